import type { Destination, ResolvedTarget } from '../../settings/types.js'
import type { PlanItem } from './decide.js'
import { isAbsent } from '../../history/select.js'

export type OutcomeAction = 'restored' | 'deleted' | 'unchanged' | 'skipped'

/** What happened to one key (one row of the manifest). */
export interface KeyOutcome {
  key: string
  action: OutcomeAction
  /** The version current before the run; null when the key did not exist (or was deleted). */
  previousVersionId: string | null
  /** LastModified of that version (when the version this run replaced was written); null with it. */
  previousLastModified: string | null
  /** The version that is current after the run because of the target; null when absent. */
  restoredVersionId: string | null
  /** The version or delete marker this run wrote; null when nothing was written. */
  newVersionId: string | null
  size: number | null
  eTag: string | null
  /** LastModified of the restored version. */
  lastModified: string | null
  /** How the new version was checked against its source. */
  check?: string
}

const ACTIONS: Record<PlanItem['action'], OutcomeAction> = {
  restore: 'restored',
  delete: 'deleted',
  unchanged: 'unchanged',
  skip: 'skipped',
}

/** The manifest row for a planned item, before (or without) any write. */
export function plannedOutcome(item: PlanItem): KeyOutcome {
  const wanted = item.action === 'delete' || item.action === 'skip' ? undefined : item.wanted
  const before = isAbsent(item.current) ? undefined : item.current
  return {
    key: item.key,
    action: ACTIONS[item.action],
    previousVersionId: before?.versionId ?? null,
    previousLastModified: before?.lastModified.toISOString() ?? null,
    restoredVersionId: wanted?.versionId ?? null,
    newVersionId: null,
    size: item.source?.size ?? wanted?.size ?? null,
    eTag: item.source?.eTag ?? wanted?.eTag ?? null,
    lastModified: wanted?.lastModified.toISOString() ?? null,
  }
}

/** The `manifest` output: what the run did (or, in a dry run, would do) to each key. */
export interface Manifest {
  /** The bucket rolled back (a destination run: the bucket the state was read from). */
  bucket: string
  /**
   * A run into a destination: the bucket and prefix written; `keys` then name the destination's
   * keys, and the undo lines are for that bucket.
   */
  destination?: Destination
  target:
    | { toTime: string }
    | { versionIds: Record<string, string | null> }
    | { snapshot: string; snapshotId: string }
  dryRun: boolean
  keys: KeyOutcome[]
  /** Prefix runs only: totals, and the file with every key's row. */
  summary?: PrefixSummary
  /** A dry run: the saved plan (`plan-file`) and its digest. */
  plan?: { file: string; digest: string }
  /** A run of a saved plan: that plan's digest. */
  appliedPlan?: string
  /**
   * A run of a saved plan: keys the plan would write that were already as it wants them (an
   * earlier apply of the plan wrote them), so they were not written again.
   */
  alreadyApplied?: number
  /** engine: batch-operations: which keys the copy jobs took, and which this process. */
  writers?: WritersSummary
  /** The record this run left in the snapshot store (an S3 URI), when it wrote any key. */
  record?: string
}

export interface WritersSummary {
  runner: number
  jobs: {
    id?: string
    storageClass: string
    keys: number
    status?: string
    succeeded?: number
    failed?: number
  }[]
}

/** Prefix runs: at most this many keys are listed in the `manifest` output itself. */
export const INLINE_KEYS = 1000

/** The totals of a prefix run (for every key, also when `keys` is left out). */
export interface PrefixSummary {
  /** The prefix rolled back ('' for the whole bucket). */
  prefix: string
  /** Keys under the prefix with any history. */
  keys: number
  /** Versions and delete markers listed. */
  versions: number
  restored: number
  deleted: number
  unchanged: number
  skipped: number
  /** Keys this run wrote (0 in a dry run). */
  written: number
  /** JSON Lines file with one manifest row (KeyOutcome) per key. */
  manifestFile: string
  /** True when `keys` is left out (more than INLINE_KEYS keys): read manifestFile. */
  keysOmitted: boolean
  /** Not in a dry run: a file with the undo lines of every key (undoVersionIds), by the manifest. */
  undoFile?: string
}

export function buildManifest(
  bucket: string,
  target: ResolvedTarget,
  dryRun: boolean,
  keys: KeyOutcome[],
): Manifest {
  return {
    bucket,
    target:
      target.kind === 'time'
        ? { toTime: target.at.toISOString() }
        : target.origin
          ? { snapshot: target.origin.ref, snapshotId: target.origin.id }
          : { versionIds: Object.fromEntries(target.versions) },
    dryRun,
    keys,
  }
}

/** The bucket the run wrote (and an undo writes): the destination's, or the bucket itself. */
export function writtenBucket(manifest: Pick<Manifest, 'bucket' | 'destination'>): string {
  return manifest.destination?.bucket ?? manifest.bucket
}

/** Keys this run changed, also when the manifest leaves out its keys. */
export function changedTotal(manifest: Manifest): number {
  return manifest.summary?.written ?? changedCount(manifest.keys)
}

/** Keys whose current version this run changed. */
export function changedCount(outcomes: readonly KeyOutcome[]): number {
  return outcomes.filter(changed).length
}

/** Whether the run changed this key's current version (and so an undo has to put it back). */
export function changed(o: KeyOutcome): boolean {
  return o.newVersionId !== null && o.newVersionId !== undefined
}

/**
 * `key=versionId` lines of what was current before the run (empty: the key did not exist), for
 * the keys the run changed. Passed back as `version-ids` with `if-missing: delete`, they undo it.
 */
export function undoVersionIds(outcomes: readonly KeyOutcome[]): string {
  return outcomes.filter(changed).map(undoLine).join('\n')
}

export function undoLine(o: KeyOutcome): string {
  return `${o.key}=${o.previousVersionId ?? ''}`
}
