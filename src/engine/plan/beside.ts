/**
 * What a run reads beside the listing, one key at a time: a snapshot's versions, a saved plan's
 * lines, the copies recent runs recorded. Each is a stream in S3's key order, as the listing is,
 * so the two are merged (lib/order.ts) instead of one being held in a map of every key.
 */
import { mergeByKey, OutOfOrderError } from '../../lib/order.js'
import type { RecentCopies, RecordedCopies, RunLine } from '../../history/runs.js'
import type { KeyHistory } from '../../s3/listing.js'
import type { ResolvedTarget } from '../../settings/types.js'

/** Each key's version at the target, in S3's key order (null: the key is to be absent). */
export interface RecordedVersions {
  lines(): AsyncIterable<{ key: string; versionId: string | null }>
}

/** One key to plan: its history, and what was read beside the listing for it. */
export interface KeyToPlan extends KeyHistory {
  /** The key's own target, when the versions are read beside the listing (a snapshot, a plan). */
  target?: ResolvedTarget
  /** What recent runs recorded of their copies of this key. */
  copies?: RecordedCopies
  /** Applying a saved plan: what the plan expected of this key; undefined when it is new since. */
  planned?: string
}

/**
 * The merge of the listing (`source`) with `lines`; OutOfOrderError becomes an error that names
 * the stream: the listing, or `describe` (the file) through `refuse`.
 */
export async function* beside<T extends { key: string }>(
  source: AsyncIterable<KeyToPlan>,
  lines: AsyncIterable<T>,
  refuse: (message: string) => Error,
): AsyncGenerator<{ key: string; listed?: KeyToPlan; line?: T }> {
  try {
    for await (const { key, left, right } of mergeByKey(source, lines)) {
      yield { key, listed: left, line: right }
    }
  } catch (e) {
    if (!(e instanceof OutOfOrderError)) throw e
    if (e.side === 'right') throw refuse(e.message)
    throw new Error(
      `The listing is ${e.message}; snapshots and saved plans are read beside it in that order`,
    )
  }
}

/** A key's own versions target: `versionId` (null: absent), from the run's target. */
export function keyTarget(
  target: ResolvedTarget,
  key: string,
  versionId: string | null,
): ResolvedTarget {
  if (target.kind !== 'versions') return target
  return { ...target, versions: new Map([[key, versionId]]) }
}

/**
 * The listing's keys, each with its version from `recorded` (a snapshot of the prefix). A key
 * the snapshot holds but the listing does not is not planned: a prefix run plans the keys it
 * lists, as before; a key listed but not in the snapshot is absent at the target.
 */
export async function* withVersions(
  source: AsyncIterable<KeyToPlan>,
  recorded: RecordedVersions,
  target: ResolvedTarget,
  refuse: (message: string) => Error,
): AsyncGenerator<KeyToPlan> {
  for await (const { key, listed, line } of beside(source, recorded.lines(), refuse)) {
    if (listed) yield { ...listed, target: keyTarget(target, key, line?.versionId ?? null) }
  }
}

/** The listing's keys, each with the copies recent runs recorded of it. */
export async function* withCopies(
  source: AsyncIterable<KeyToPlan>,
  copies: RecentCopies,
): AsyncGenerator<KeyToPlan> {
  const refuse = (message: string): Error => new Error(`The recent run records are ${message}`)
  for await (const { key, listed, line } of beside(source, byKey(copies.lines()), refuse)) {
    if (!listed) continue
    if (!line) yield listed
    else {
      const { versions } = line
      const own: RecordedCopies = {
        sourceOf: (k, versionId) => (k === key ? versions.get(versionId) : undefined),
        size: versions.size,
        runs: copies.runs,
      }
      yield { ...listed, copies: own }
    }
  }
}

/** Consecutive lines of one key as one value: new version → the version it is a copy of. */
async function* byKey(
  lines: AsyncIterable<RunLine>,
): AsyncGenerator<{ key: string; versions: Map<string, string | null> }> {
  let group: { key: string; versions: Map<string, string | null> } | undefined
  for await (const line of lines) {
    if (group && group.key !== line.key) {
      yield group
      group = undefined
    }
    group ??= { key: line.key, versions: new Map() }
    group.versions.set(line.newVersionId, line.sourceVersionId)
  }
  if (group) yield group
}
