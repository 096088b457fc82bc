/** A dry run's plan file: what `plan-file` applies later, once approved. */
import { rm } from 'node:fs/promises'
import { runDirectory } from '../../lib/jsonl.js'
import { PlanRecorder } from '../plan/saved-plan.js'
import type { PlanItem } from '../plan/decide.js'
import type { ResolvedSettings } from '../plan/target.js'
import type { RunStores } from './stores.js'

/** The plan a dry run records as it goes: sealed when the run ends, dropped when it fails. */
export interface RunPlan {
  record(item: PlanItem): Promise<void>
  /** Seals the plan file: its path and digest. */
  close(): Promise<{ file: string; digest: string }>
  /** A run that failed: removes what the plan wrote (and its own folder), so nothing is left. */
  discard(): Promise<void>
}

/** Records the plan next to the manifest of a prefix run, else in a new directory. */
export async function planRecorder(
  settings: ResolvedSettings,
  stores: RunStores,
): Promise<RunPlan> {
  const { target } = settings
  const own = stores.dir === undefined
  const dir = stores.dir ?? (await runDirectory())
  const recorder = await PlanRecorder.create(dir, {
    bucket: settings.bucket,
    createdAt: new Date().toISOString(),
    target:
      target.kind === 'time'
        ? { toTime: target.at.toISOString() }
        : { versionIds: true, ...(target.origin ? { snapshot: target.origin } : {}) },
    ...(settings.prefix === undefined ? {} : { prefix: settings.prefix }),
    ...(settings.destination ? { destination: settings.destination } : {}),
    ifMissing: settings.ifMissing,
  })
  return {
    record: (item) => recorder.record(item),
    close: () => recorder.close(),
    discard: async () => {
      await recorder.discard()
      if (own) await rm(dir, { recursive: true, force: true })
    },
  }
}
