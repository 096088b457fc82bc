import type { Target } from './inputs.js'
import type { KeyOutcome } from './restore.js'

/** The `manifest` output: what the run did (or, in a dry run, would do) to each key. */
export interface Manifest {
  bucket: string
  target: { toTime: string } | { versionIds: Record<string, string | null> }
  dryRun: boolean
  keys: KeyOutcome[]
}

export function buildManifest(
  bucket: string,
  target: Target,
  dryRun: boolean,
  keys: KeyOutcome[],
): Manifest {
  return {
    bucket,
    target:
      target.kind === 'time'
        ? { toTime: target.at.toISOString() }
        : { versionIds: Object.fromEntries(target.versions) },
    dryRun,
    keys,
  }
}

/** Keys whose current version this run changed. */
export function changedCount(outcomes: readonly KeyOutcome[]): number {
  return outcomes.filter((o) => o.newVersionId !== null).length
}

/**
 * `key=versionId` lines of what was current before the run (empty: the key did not exist).
 * Passed back as `version-ids` with `if-missing: delete`, they undo the run.
 */
export function undoVersionIds(outcomes: readonly KeyOutcome[]): string {
  return outcomes.map((o) => `${o.key}=${o.previousVersionId ?? ''}`).join('\n')
}
