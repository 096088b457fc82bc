import {
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandInput,
  type ListObjectVersionsCommandOutput,
  type ObjectVersion,
  type DeleteMarkerEntry,
  type S3Client,
} from '@aws-sdk/client-s3'
import type { DeserializeMiddleware } from '@smithy/types'
import { listVersionsPage } from './lean/operations.js'
import { wireOf } from './requests.js'
import type { KeyHistory, VersionEntry } from './entries.js'

export type { KeyHistory, VersionEntry } from './entries.js'

/** S3's key order (lib/order.ts), where the listing's users look for it. */
export { byteOrder } from '../lib/order.js'

export interface ListOptions {
  bucket: string
  prefix: string
  expectedBucketOwner?: string
  /** Entries per page (S3 maximum 1000). */
  pageSize?: number
}

/**
 * Streams the history of every key under a prefix, one key at a time, page by page.
 * Versions and delete markers are interleaved in S3's own order, which the SDK's parsed
 * output loses (it returns them as two arrays).
 */
export async function* keyHistories(
  s3: S3Client,
  options: ListOptions,
): AsyncGenerator<KeyHistory> {
  let keyMarker: string | undefined
  let versionIdMarker: string | undefined
  let pending: KeyHistory | undefined
  for (;;) {
    const page = await listPage(s3, options, keyMarker, versionIdMarker)
    for (const entry of page.entries) {
      if (pending && pending.key !== entry.key) {
        yield pending
        pending = undefined
      }
      pending ??= { key: entry.key, entries: [] }
      pending.entries.push(entry)
    }
    if (!page.truncated) break
    keyMarker = page.nextKeyMarker
    versionIdMarker = page.nextVersionIdMarker
  }
  if (pending) yield pending
}

/**
 * The history of exactly `key` (not its neighbours such as `key.bak`), newest first; all of it,
 * or only the newest `limit` entries (one request).
 */
export async function keyHistory(
  s3: S3Client,
  bucket: string,
  key: string,
  expectedBucketOwner?: string,
  limit?: number,
): Promise<VersionEntry[]> {
  if (limit !== undefined) {
    const page = await listPage(s3, { bucket, prefix: key, expectedBucketOwner, pageSize: limit })
    return page.entries.filter((e) => e.key === key)
  }
  // `key` sorts before every longer key that starts with it, so its history comes first.
  for await (const history of keyHistories(s3, { bucket, prefix: key, expectedBucketOwner })) {
    return history.key === key ? history.entries : []
  }
  return []
}

/** One page of a version listing, entries in S3's order. */
export interface Page {
  entries: VersionEntry[]
  truncated: boolean
  nextKeyMarker?: string
  nextVersionIdMarker?: string
}

/**
 * One ListObjectVersions request: up to `pageSize` entries after the markers. On the lean path
 * the XML is read in document order; through the SDK the order is recorded from the raw body.
 */
export async function listPage(
  s3: S3Client,
  options: ListOptions,
  keyMarker?: string,
  versionIdMarker?: string,
): Promise<Page> {
  const wire = wireOf(s3)
  if (wire) {
    const page = await listVersionsPage(wire, {
      Bucket: options.bucket,
      Prefix: options.prefix,
      KeyMarker: keyMarker,
      VersionIdMarker: versionIdMarker,
      MaxKeys: options.pageSize,
      ExpectedBucketOwner: options.expectedBucketOwner,
    })
    return {
      entries: page.entries,
      truncated: page.truncated,
      nextKeyMarker: page.nextKeyMarker,
      nextVersionIdMarker: page.nextVersionIdMarker,
    }
  }
  const order: EntryKind[] = []
  const command = new ListObjectVersionsCommand({
    Bucket: options.bucket,
    Prefix: options.prefix,
    KeyMarker: keyMarker,
    VersionIdMarker: versionIdMarker,
    MaxKeys: options.pageSize,
    ExpectedBucketOwner: options.expectedBucketOwner,
  })
  command.middlewareStack.add(recordEntryOrder(order), {
    step: 'deserialize',
    priority: 'low',
    name: 's3RollbackEntryOrder',
  })
  const out = await s3.send(command)
  return {
    entries: interleave(out, order),
    truncated: out.IsTruncated === true,
    nextKeyMarker: out.NextKeyMarker,
    nextVersionIdMarker: out.NextVersionIdMarker,
  }
}

/**
 * One ListObjectVersions request with a delimiter: the common prefixes one level below `prefix`
 * (`tiles/` gives `tiles/0/`, `tiles/1/`, ...), and whether there are more than this page holds
 * (keys directly at the level count towards the page too).
 */
export async function listPrefixes(
  s3: S3Client,
  options: ListOptions,
  delimiter = '/',
): Promise<{ prefixes: string[]; truncated: boolean }> {
  const out = await s3.send(
    new ListObjectVersionsCommand({
      Bucket: options.bucket,
      Prefix: options.prefix,
      Delimiter: delimiter,
      MaxKeys: options.pageSize,
      ExpectedBucketOwner: options.expectedBucketOwner,
    }),
  )
  const prefixes = (out.CommonPrefixes ?? []).flatMap((p) => (p.Prefix ? [p.Prefix] : []))
  return { prefixes, truncated: out.IsTruncated === true }
}

export type EntryKind = 'Version' | 'DeleteMarker'

/** Reads the raw XML before the SDK parses it and records the order of its entries. */
function recordEntryOrder(
  order: EntryKind[],
): DeserializeMiddleware<ListObjectVersionsCommandInput, ListObjectVersionsCommandOutput> {
  return (next) => async (args) => {
    const result = await next(args)
    const response = result.response as { body?: unknown }
    const body = response.body
    if (body && typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
      const chunks: Uint8Array[] = []
      for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk)
      const bytes = Buffer.concat(chunks)
      order.push(...entryOrder(bytes.toString('utf8')))
      response.body = new Uint8Array(bytes)
    }
    return result
  }
}

/** The sequence of `<Version>` and `<DeleteMarker>` elements in a ListVersionsResult. */
export function entryOrder(xml: string): EntryKind[] {
  return [...xml.matchAll(/<(Version|DeleteMarker)>/g)].map((m) => m[1] as EntryKind)
}

/**
 * Merges the SDK's two arrays back into listing order. If the recorded order does not fit
 * (no raw body seen), falls back to newest first, keeping each array's own order on ties.
 */
export function interleave(
  out: Pick<ListObjectVersionsCommandOutput, 'Versions' | 'DeleteMarkers'>,
  order: EntryKind[],
): VersionEntry[] {
  const versions = (out.Versions ?? []).map(fromVersion)
  const markers = (out.DeleteMarkers ?? []).map(fromMarker)
  const fits =
    order.length === versions.length + markers.length &&
    order.filter((k) => k === 'Version').length === versions.length
  if (fits) {
    let v = 0
    let d = 0
    return order.map((kind) => (kind === 'Version' ? versions[v++] : markers[d++]))
  }
  const merged: VersionEntry[] = []
  let v = 0
  let d = 0
  while (v < versions.length || d < markers.length) {
    const a = versions[v]
    const b = markers[d]
    const takeVersion =
      b === undefined ||
      (a !== undefined &&
        (a.key < b.key ||
          (a.key === b.key &&
            (a.lastModified > b.lastModified ||
              (a.lastModified.getTime() === b.lastModified.getTime() && !b.isLatest)))))
    merged.push(takeVersion ? versions[v++] : markers[d++])
  }
  return merged
}

function fromVersion(v: ObjectVersion): VersionEntry {
  return {
    key: v.Key ?? '',
    versionId: v.VersionId ?? 'null',
    isDeleteMarker: false,
    isLatest: v.IsLatest === true,
    lastModified: v.LastModified ?? new Date(0),
    size: v.Size,
    eTag: v.ETag,
    storageClass: v.StorageClass,
  }
}

function fromMarker(m: DeleteMarkerEntry): VersionEntry {
  return {
    key: m.Key ?? '',
    versionId: m.VersionId ?? 'null',
    isDeleteMarker: true,
    isLatest: m.IsLatest === true,
    lastModified: m.LastModified ?? new Date(0),
  }
}
