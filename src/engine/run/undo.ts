/** The undo file of a prefix run: what to pass as `version-ids` to put every key back. */
import { open } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Store } from '../../lib/store.js'
import { changed, undoLine, type KeyOutcome } from '../plan/manifest.js'

/**
 * Writes undo.txt next to the manifest file: the `key=versionId` line (undoVersionIds) of every
 * key this run changed, and of no other: an unchanged key needs no undo.
 */
export async function writeUndo(outcomes: Store<KeyOutcome>): Promise<string> {
  const path = join(dirname(outcomes.path ?? ''), 'undo.txt')
  const file = await open(path, 'w')
  try {
    for await (const row of outcomes.read()) {
      if (changed(row)) await file.write(`${undoLine(row)}\n`)
    }
  } finally {
    await file.close()
  }
  return path
}
