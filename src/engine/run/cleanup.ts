/** What is kept of a run's working files once it ends. */
import { rm } from 'node:fs/promises'
import { RestoreError } from '../errors.js'
import type { RunStores } from './stores.js'

/**
 * Removes the run's working files, keeping what the user needs: after a run, the manifest
 * file (and the undo lines next to it); after a failed write, the final state of every key.
 * A run stopped before its first write keeps nothing (its error says what happened).
 */
export async function cleanUp(stores: RunStores, error?: unknown): Promise<void> {
  if (!stores.dir) return
  await Promise.all([stores.plan.remove(), stores.journal.remove()])
  if (error === undefined) {
    await stores.states.remove()
  } else if (!(error instanceof RestoreError)) {
    await rm(stores.dir, { recursive: true, force: true })
  } else {
    await stores.outcomes.remove()
  }
}
