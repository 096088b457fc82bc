/**
 * What changed between two states of a bucket's keys, each a snapshot, a point in time or now:
 * keys added, removed and changed, with sizes. One listing pass serves both sides when either is
 * a time or now; a snapshot is read from the store. A key is unchanged when both sides hold the
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
import { openSnapshot, resolveRef, type SnapshotHeader } from '../history/snapshots.js'

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

/** A snapshot side, read: its states, its scope, and which keys the listing has visited. */
interface Loaded {
  label: string
  states: Map<string, KeyState | null>
  header: SnapshotHeader
}

export async function diff(
  s3: S3Client,
  access: Access,
  scope: { keys: string[]; prefix?: string },
  from: Side,
  to: Side,
): Promise<DiffResult> {
  const [a, b] = await Promise.all([load(s3, access, from), load(s3, access, to)])
  const selection = selectionOf(access, scope, a ?? b)
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
    for (const key of new Set([...a.states.keys(), ...b.states.keys()])) {
      if (inScope(key)) compare(key, a.states.get(key) ?? null, b.states.get(key) ?? null)
    }
  } else {
    const visited = new Set<string>()
    for await (const { key, entries } of histories(s3, access, selection)) {
      visited.add(key)
      compare(key, stateOf(from, a, key, entries), stateOf(to, b, key, entries))
    }
    for (const key of (a ?? b)?.states.keys() ?? []) {
      if (!visited.has(key) && inScope(key)) {
        compare(key, stateOf(from, a, key, []), stateOf(to, b, key, []))
      }
    }
  }
  result.changes.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
  return result
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

async function load(s3: S3Client, access: Access, side: Side): Promise<Loaded | undefined> {
  if (side.kind !== 'snapshot') return undefined
  const id = await resolveRef(s3, access.snapshotStore, side.ref)
  const { header, values } = await openSnapshot(s3, access.snapshotStore, id, access.bucket)
  const states = new Map<string, KeyState | null>()
  for await (const line of values) {
    states.set(
      line.key,
      line.versionId === null
        ? null
        : { versionId: line.versionId, size: line.size, eTag: line.eTag },
    )
  }
  return { label: side.ref === id ? id : `${side.ref} (${id})`, states, header }
}

/** The keys to compare: as given, else the scope of the (first) snapshot. */
function selectionOf(
  access: Access,
  scope: { keys: string[]; prefix?: string },
  snapshot: Loaded | undefined,
): Selection {
  const prefixOf = (prefix: string): Selection =>
    prefixSelection(prefix, access.bucket, access.snapshotStore)
  if (scope.prefix !== undefined) return prefixOf(scope.prefix)
  if (scope.keys.length > 0) return { keys: scope.keys }
  if (!snapshot) {
    throw new SnapshotError('Nothing to compare: give keys or a prefix (or compare a snapshot)')
  }
  const s = snapshot.header.scope
  return 'prefix' in s ? prefixOf(s.prefix) : { keys: [...snapshot.states.keys()] }
}

function stateOf(
  side: Side,
  loaded: Loaded | undefined,
  key: string,
  entries: readonly VersionEntry[],
): KeyState | null {
  if (loaded) return loaded.states.get(key) ?? null
  const entry = side.kind === 'time' ? entryAt(entries, side.at) : currentEntry(entries)
  if (!entry || isAbsent(entry)) return null
  return { versionId: entry.versionId, size: entry.size, eTag: entry.eTag }
}

function label(side: Side, loaded: Loaded | undefined): string {
  if (loaded) return `snapshot ${loaded.label}`
  return side.kind === 'time' ? side.text : 'now'
}
