/**
 * What a run reads beside the listing, one key at a time: a snapshot's versions, a saved plan's
 * lines, the copies recent runs recorded. Each is a stream in S3's key order, as the listing is,
 * so the two are merged (lib/order.ts) instead of one being held in a map of every key.
 */
import { mergeByKey, OutOfOrderError } from '../../lib/order.js'
import type { CopyOrigin, RecentCopies, RecordedCopies, RunLine } from '../../history/runs.js'
import type { KeyHistory } from '../../s3/listing.js'
import type { ResolvedTarget } from '../../settings/types.js'
import type { KeyMap } from '../../settings/destination.js'

/** Each key's version at the target, in S3's key order (null: the key is to be absent). */
export interface RecordedVersions {
  lines(): AsyncIterable<{ key: string; versionId: string | null }>
}

/** One key to plan: its history, and what was read beside the listing for it. */
export interface KeyToPlan extends KeyHistory {
  /** A destination run: the key the state is restored to, and its history there. */
  destination?: KeyHistory
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

/**
 * The listing's keys, each with the history of the key it is restored to (`there`: the
 * destination's listing, in S3's key order, which `map` keeps). A key that only the destination
 * has comes with no history of its own: it did not exist at any target.
 */
export async function* withDestination(
  source: AsyncIterable<KeyToPlan>,
  there: AsyncIterable<KeyHistory>,
  map: KeyMap,
): AsyncGenerator<KeyToPlan> {
  const refuse = (message: string): Error => new Error(`The destination's listing is ${message}`)
  for await (const { key, listed, line } of beside(source, sourceKeys(there, map), refuse)) {
    const history = line?.history ?? { key: map.to(key), entries: [] }
    yield { ...(listed ?? { key, entries: [] }), destination: history }
  }
}

/** The destination's histories, each under the source key it is restored from. */
async function* sourceKeys(
  there: AsyncIterable<KeyHistory>,
  map: KeyMap,
): AsyncGenerator<{ key: string; history: KeyHistory }> {
  for await (const history of there) yield { key: map.from(history.key), history }
}

/**
 * The listing's keys, each with the copies recent runs recorded of the key it is written to
 * (`map`: a destination run's records name the destination's keys).
 */
export async function* withCopies(
  source: AsyncIterable<KeyToPlan>,
  copies: RecentCopies,
  map?: KeyMap,
): AsyncGenerator<KeyToPlan> {
  const refuse = (message: string): Error => new Error(`The recent run records are ${message}`)
  const lines = byKey(copies.lines(), map)
  for await (const { listed, line } of beside(source, lines, refuse)) {
    if (!listed) continue
    if (!line) yield listed
    else {
      const { written, versions, origins } = line
      const own: RecordedCopies = {
        sourceOf: (k, versionId) => (k === written ? versions.get(versionId) : undefined),
        originOf: (k, versionId) => (k === written ? origins.get(versionId) : undefined),
        size: versions.size + origins.size,
        runs: copies.runs,
      }
      yield { ...listed, copies: own }
    }
  }
}

/** A key's recorded copies: new version → the version of the key it copies, or its origin. */
interface KeyCopies {
  /** The source key (`map.from` of the key written), for the merge with the listing. */
  key: string
  /** The key written, as the records name it. */
  written: string
  versions: Map<string, string | null>
  origins: Map<string, CopyOrigin & { versionId: string }>
}

/** Consecutive lines of one key as one value. */
async function* byKey(lines: AsyncIterable<RunLine>, map?: KeyMap): AsyncGenerator<KeyCopies> {
  let group: KeyCopies | undefined
  for await (const line of lines) {
    if (group && group.written !== line.key) {
      yield group
      group = undefined
    }
    group ??= {
      key: map ? map.from(line.key) : line.key,
      written: line.key,
      versions: new Map(),
      origins: new Map(),
    }
    if (line.from && line.sourceVersionId !== null) {
      group.origins.set(line.newVersionId, { ...line.from, versionId: line.sourceVersionId })
    } else {
      group.versions.set(line.newVersionId, line.sourceVersionId)
    }
  }
  if (group) yield group
}
