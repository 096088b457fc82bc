/** A dry run's plan file: what `plan-file` applies later, once approved. */
import { runDirectory } from '../../lib/jsonl.js'
import { PlanRecorder } from '../plan/saved-plan.js'
import type { ResolvedSettings } from '../plan/target.js'
import type { RunStores } from './stores.js'

/** Records the plan next to the manifest of a prefix run, else in a new directory. */
export async function planRecorder(
  settings: ResolvedSettings,
  stores: RunStores,
): Promise<PlanRecorder> {
  const { target } = settings
  return PlanRecorder.create(stores.dir ?? (await runDirectory()), {
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
}
