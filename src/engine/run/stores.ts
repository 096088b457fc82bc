/** The stores of one run: in memory for listed keys, JSON Lines files for a prefix. */
import { join } from 'node:path'
import { reviveDates, runDirectory } from '../../lib/jsonl.js'
import { FileStore, MemoryStore, type Store } from '../../lib/store.js'
import type { FinalState } from '../errors.js'
import type { PlanItem } from '../plan/decide.js'
import type { KeyOutcome } from '../plan/manifest.js'
import type { JournalEntry } from '../write/apply.js'

export interface RunStores {
  /** The run's own directory, when it keeps files (a prefix run); cleaned up at the end. */
  dir?: string
  plan: Store<PlanItem>
  journal: Store<JournalEntry>
  /** One manifest row per key (the `manifest-file` output of a prefix run). */
  outcomes: Store<KeyOutcome>
  states: Store<FinalState>
}

/** Revives the Date fields of a PlanItem read back from JSON. */
export const revivePlanItem = reviveDates(['lastModified', 'expires'])

/** Files in a new private directory under RUNNER_TEMP (or the OS temp). */
export async function fileStores(dir?: string): Promise<RunStores> {
  const at = dir ?? (await runDirectory())
  return {
    dir: dir === undefined ? at : undefined,
    plan: await FileStore.create(join(at, 'plan.jsonl'), revivePlanItem),
    journal: await FileStore.create(join(at, 'journal.jsonl'), revivePlanItem),
    outcomes: await FileStore.create(join(at, 'manifest.jsonl')),
    states: await FileStore.create(join(at, 'final-states.jsonl')),
  }
}

export function memoryStores(): RunStores {
  return {
    plan: new MemoryStore(),
    journal: new MemoryStore(),
    outcomes: new MemoryStore(),
    states: new MemoryStore(),
  }
}

/** Closes every store of the run. */
export async function closeStores(stores: RunStores): Promise<void> {
  await Promise.all([
    stores.plan.close(),
    stores.journal.close(),
    stores.outcomes.close(),
    stores.states.close(),
  ])
}
