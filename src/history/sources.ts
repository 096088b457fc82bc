/**
 * Where a run's keys come from: the streamed listing of a prefix, or the histories of a list of
 * keys. Both yield one KeyHistory per key, in S3's key order, so everything after this point is
 * one pipeline whatever the input shape.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { fannedKeyHistories } from '../s3/fanout.js'
import { byteOrder, listPage, type KeyHistory } from '../s3/listing.js'

/** The bucket to list, and how. */
export interface Where {
  bucket: string
  expectedBucketOwner?: string
  /** Entries per listing page (S3's maximum, 1000, unless a test asks for less). */
  pageSize?: number
}

/**
 * The keys of a run: every key under a prefix ('' = the whole bucket) except those under
 * `exclude` (the snapshot store), or exactly these keys.
 */
export type Selection = { prefix: string; exclude?: string } | { keys: readonly string[] }

/** The history of every selected key, in key order. */
export function histories(
  s3: S3Client,
  where: Where,
  selection: Selection,
): AsyncIterable<KeyHistory> {
  if (!('prefix' in selection)) return historiesOf(s3, where, selection.keys)
  // A prefix of more than a page is listed in key ranges at once (s3/fanout.ts), in key order.
  const all = fannedKeyHistories(s3, { ...where, prefix: selection.prefix })
  const { exclude } = selection
  return exclude ? without(all, exclude) : all
}

async function* without(
  source: AsyncIterable<KeyHistory>,
  exclude: string,
): AsyncGenerator<KeyHistory> {
  for await (const history of source) if (!history.key.startsWith(exclude)) yield history
}

/**
 * A prefix selection that leaves out the snapshot store when it lives in the same bucket
 * under that prefix: a rollback or a snapshot of a prefix never touches the store.
 */
export function prefixSelection(
  prefix: string,
  bucket: string,
  store: { bucket: string; prefix: string },
): Selection {
  const inside = store.bucket === bucket && store.prefix.startsWith(prefix)
  return inside ? { prefix, exclude: store.prefix } : { prefix }
}

/**
 * The history of exactly each of `keys` (a key that never existed has no entries), in key
 * order. Keys that sit close together share listing pages: the walk lists the keys' common
 * prefix from just before the next key it needs, and follows pages while they hold wanted keys;
 * when a page ends before the next wanted key, it jumps there. So a dense list of keys costs
 * what a prefix listing costs, and a sparse one about one request per key.
 */
export async function* historiesOf(
  s3: S3Client,
  where: Where,
  keys: readonly string[],
): AsyncGenerator<KeyHistory> {
  const wanted = [...new Set(keys)].sort(byteOrder)
  let i = 0
  let pending: KeyHistory | undefined
  /** Emits every wanted key before `key` (exclusive), with what was collected for it. */
  function* passTo(key: string | undefined): Generator<KeyHistory> {
    while (i < wanted.length && (key === undefined || byteOrder(wanted[i], key) < 0)) {
      yield pending?.key === wanted[i] ? pending : { key: wanted[i], entries: [] }
      pending = undefined
      i++
    }
  }
  while (i < wanted.length) {
    const prefix = commonPrefix(wanted[i], wanted[wanted.length - 1])
    let keyMarker = markerBefore(wanted[i])
    let versionIdMarker: string | undefined
    for (;;) {
      const page = await listPage(s3, { ...where, prefix }, keyMarker, versionIdMarker)
      for (const entry of page.entries) {
        yield* passTo(entry.key)
        if (i >= wanted.length) return
        if (entry.key !== wanted[i]) continue
        pending ??= { key: entry.key, entries: [] }
        pending.entries.push(entry)
      }
      if (!page.truncated) {
        yield* passTo(undefined)
        return
      }
      keyMarker = page.nextKeyMarker
      versionIdMarker = page.nextVersionIdMarker
      const jump = markerBefore(wanted[i])
      const behind =
        keyMarker === undefined || (jump !== undefined && byteOrder(jump, keyMarker) > 0)
      if (pending === undefined && behind) break // the next wanted key is further on: jump there
    }
  }
}

/** A key marker that sorts before `key` and after every key that sorts before it but a few. */
function markerBefore(key: string): string | undefined {
  const chars = Array.from(key)
  return chars.length > 1 ? chars.slice(0, -1).join('') : undefined
}

/** The longest common prefix of two keys, whole characters only. */
function commonPrefix(a: string, b: string): string {
  const x = Array.from(a)
  const y = Array.from(b)
  let n = 0
  while (n < x.length && n < y.length && x[n] === y[n]) n++
  return x.slice(0, n).join('')
}

/** How hard a walk tries when a listing fails (on top of the SDK's own retries). */
export interface WalkOptions {
  /** Walks of the keys not yet done, after the first (default 5). */
  retries?: number
  /** Pause before the first retry, doubled each time (default 2 s: 62 s in all). */
  pauseMs?: number
}

/**
 * Lists the histories of `keys` (historiesOf) and visits each. When a listing fails for good,
 * the keys not yet visited are walked again, after a pause, up to `retries` times. Returns the
 * keys that could not be listed, with the last error: a failed read is not evidence of anything.
 */
export async function walkKeys(
  s3: S3Client,
  where: Where,
  keys: readonly string[],
  options: WalkOptions,
  visit: (history: KeyHistory) => Promise<void>,
): Promise<Map<string, unknown>> {
  let left = new Set(keys)
  const retries = options.retries ?? 5
  let pause = options.pauseMs ?? 2000
  for (let attempt = 0; ; attempt++) {
    try {
      for await (const history of historiesOf(s3, where, [...left])) {
        await visit(history)
        left.delete(history.key)
      }
      return new Map()
    } catch (error) {
      if (attempt >= retries) return new Map([...left].map((key) => [key, error]))
      await new Promise((resolve) => setTimeout(resolve, pause))
      pause *= 2
      left = new Set(left)
    }
  }
}
