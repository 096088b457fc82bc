/**
 * What changed between two states of a bucket's keys, each a snapshot, a point in time or now:
 * keys added, removed and changed, with sizes. One listing pass serves both sides when either is
 * a time or now; a snapshot is downloaded from the store and read beside the listing (or the
 * other snapshot) in key order. A key is unchanged when both sides hold the
 * same version, or versions with the same size and ETag (an earlier rollback's copy).
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { sameBytes } from '../history/content.js'
import { SnapshotError } from '../lib/errors.js'
import type { Access } from '../settings/index.js'
import type { DiffSide } from '../settings/snapshot.js'
import { currentEntry, entryAt, isAbsent } from '../history/select.js'
import { histories, prefixSelection, type Selection } from '../history/sources.js'
import type { VersionEntry } from '../s3/listing.js'
import {
  downloadSnapshot,
  resolveRef,
  type LocalSnapshot,
  type SnapshotLine,
} from '../history/snapshots.js'
import { rm } from 'node:fs/promises'
import { runDirectory } from '../lib/jsonl.js'
import { mergeByKey, OutOfOrderError } from '../lib/order.js'

/** One side of a diff. */
export type Side = DiffSide

/** A key's state on one side: a version with its size and ETag. */
export interface KeyState {
  versionId: string
  size?: number
  eTag?: string
}

export interface Change {
  key: string
  change: 'added' | 'removed' | 'changed'
  before: KeyState | null
  after: KeyState | null
}

export interface DiffResult {
  bucket: string
  from: string
  to: string
  /** Keys compared (present on at least one side). */
  keys: number
  totals: { added: number; removed: number; changed: number; unchanged: number }
  changes: Change[]
}

/** A snapshot side: downloaded and checked, read beside the other side one key at a time. */
interface Loaded {
  label: string
  snapshot: LocalSnapshot
}

/**
 * Memory holds one listing page and one line of each snapshot, plus the changes found (they are
 * the result); a snapshot is read beside the listing or the other snapshot, in key order.
 */
export async function diff(
  s3: S3Client,
  access: Access,
  scope: { keys: string[]; prefix?: string },
  from: Side,
  to: Side,
): Promise<DiffResult> {
  const dir = await runDirectory()
  try {
    const [a, b] = await Promise.all([load(s3, access, from, dir), load(s3, access, to, dir)])
    return await compareSides(s3, access, { scope, from, to, a, b })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function compareSides(
  s3: S3Client,
  access: Access,
  sides: {
    scope: { keys: string[]; prefix?: string }
    from: Side
    to: Side
    a?: Loaded
    b?: Loaded
  },
): Promise<DiffResult> {
  const { from, to, a, b } = sides
  const selection = await selectionOf(access, sides.scope, a ?? b)
  const result: DiffResult = {
    bucket: access.bucket,
    from: label(from, a),
    to: label(to, b),
    keys: 0,
    totals: { added: 0, removed: 0, changed: 0, unchanged: 0 },
    changes: [],
  }
  const compare = (key: string, before: KeyState | null, after: KeyState | null): void => {
    if (!before && !after) return
    result.keys++
    const change = classify(before, after)
    if (change === 'unchanged') result.totals.unchanged++
    else {
      result.totals[change]++
      result.changes.push({ key, change, before, after })
    }
  }
  const listed = 'keys' in selection ? new Set(selection.keys) : undefined
  const inScope = (key: string): boolean =>
    'prefix' in selection
      ? key.startsWith(selection.prefix) &&
        !(selection.exclude && key.startsWith(selection.exclude))
      : (listed?.has(key) ?? false)
  if (a && b) {
    for await (const { key, left, right } of mergeByKey(a.snapshot.lines(), b.snapshot.lines())) {
      if (inScope(key)) compare(key, lineState(left), lineState(right))
    }
  } else {
    const snapshot = a ?? b
    const listing = histories(s3, access, selection)
    const lines = snapshot ? snapshot.snapshot.lines() : emptyLines()
    for await (const { key, left, right } of inOrder(mergeByKey(listing, lines))) {
      if (!left && !inScope(key)) continue
      const entries = left?.entries ?? []
      compare(key, stateOf(from, a, right, entries), stateOf(to, b, right, entries))
    }
  }
  result.changes.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
  return result
}

/** The merge, with a listing out of key order named as such (a snapshot's order was checked). */
async function* inOrder<T>(merged: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* merged
  } catch (e) {
    if (!(e instanceof OutOfOrderError)) throw e
    throw new SnapshotError(
      `The listing is ${e.message}; a snapshot is compared with it in that order`,
    )
  }
}

async function* emptyLines(): AsyncGenerator<SnapshotLine> {}

function lineState(line: SnapshotLine | undefined): KeyState | null {
  if (!line || line.versionId === null) return null
  return { versionId: line.versionId, size: line.size, eTag: line.eTag }
}

/** Pure: how a key's two states differ. */
export function classify(
  before: KeyState | null,
  after: KeyState | null,
): Change['change'] | 'unchanged' {
  if (!before) return 'added'
  if (!after) return 'removed'
  if (before.versionId === after.versionId) return 'unchanged'
  return sameBytes(before, after, 'listing').same === true ? 'unchanged' : 'changed'
}

async function load(
  s3: S3Client,
  access: Access,
  side: Side,
  dir: string,
): Promise<Loaded | undefined> {
  if (side.kind !== 'snapshot') return undefined
  const id = await resolveRef(s3, access.snapshotStore, side.ref)
  const snapshot = await downloadSnapshot(s3, access.snapshotStore, id, access.bucket, dir)
  return { label: side.ref === id ? id : `${side.ref} (${id})`, snapshot }
}

/** The keys to compare: as given, else the scope of the (first) snapshot. */
async function selectionOf(
  access: Access,
  scope: { keys: string[]; prefix?: string },
  loaded: Loaded | undefined,
): Promise<Selection> {
  const prefixOf = (prefix: string): Selection =>
    prefixSelection(prefix, access.bucket, access.snapshotStore)
  if (scope.prefix !== undefined) return prefixOf(scope.prefix)
  if (scope.keys.length > 0) return { keys: scope.keys }
  if (!loaded) {
    throw new SnapshotError('Nothing to compare: give keys or a prefix (or compare a snapshot)')
  }
  const s = loaded.snapshot.header.scope
  if ('prefix' in s) return prefixOf(s.prefix)
  const keys: string[] = []
  for await (const line of loaded.snapshot.lines()) keys.push(line.key)
  return { keys }
}

/** A key's state on one side: the snapshot's line of it, or its entry at the side's time. */
function stateOf(
  side: Side,
  loaded: Loaded | undefined,
  line: SnapshotLine | undefined,
  entries: readonly VersionEntry[],
): KeyState | null {
  if (loaded) return lineState(line)
  const entry = side.kind === 'time' ? entryAt(entries, side.at) : currentEntry(entries)
  if (!entry || isAbsent(entry)) return null
  return { versionId: entry.versionId, size: entry.size, eTag: entry.eTag }
}

function label(side: Side, loaded: Loaded | undefined): string {
  if (loaded) return `snapshot ${loaded.label}`
  return side.kind === 'time' ? side.text : 'now'
}
