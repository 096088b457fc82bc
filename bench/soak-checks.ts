/**
 * The real server's state, read (never through the proxies) before and after each invocation
 * of a soak run, and what the invariants compare in it: entries lost, keys not as wanted,
 * multipart uploads left open.
 */
import { GetObjectCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3'
import { createHash } from 'node:crypto'
import { allVersions } from '../__tests__/helpers/s3.js'
import { parallel } from './lib.js'
import { MiB } from './soak-types.js'

/** size:md5 of some bytes: what "the same content" means here. */
export function fingerprint(bytes: Uint8Array): string {
  return `${bytes.length}:${createHash('md5').update(bytes).digest('hex')}`
}

export interface Entry {
  key: string
  versionId: string
  deleteMarker: boolean
  isLatest: boolean
  lastModified: Date
  size: number
  eTag: string
}

export const entryId = (e: Pick<Entry, 'key' | 'versionId'>): string =>
  `${e.key}\u0000${e.versionId}`

export async function listAll(s3: S3Client, bucket: string): Promise<Entry[]> {
  return (await allVersions(s3, bucket)).map((e) => ({
    ...e,
    size: e.size ?? 0,
    eTag: (e.eTag ?? '').replace(/"/g, ''),
  }))
}

/** Every entry of a bucket, and each key's current content (fingerprint; null: absent). */
export interface Snapshot {
  ids: Set<string>
  entries: Entry[]
  current: Map<string, string | null>
  currentVersion: Map<string, string>
}

/** Fingerprints of versions (immutable, so cached): the ETag when it is the MD5, else a GET. */
export class Fingerprints {
  private readonly cache = new Map<string, string>()
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async of(entry: Entry): Promise<string | null> {
    if (entry.deleteMarker) return null
    if (/^[0-9a-f]{32}$/.test(entry.eTag) && entry.size < 5 * MiB) {
      return `${entry.size}:${entry.eTag}`
    }
    const id = entryId(entry)
    const known = this.cache.get(id)
    if (known) return known
    const out = await this.s3.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: entry.key, VersionId: entry.versionId }),
    )
    const bytes = (await out.Body?.transformToByteArray()) ?? new Uint8Array()
    const print = fingerprint(bytes)
    this.cache.set(id, print)
    return print
  }

  async snapshot(): Promise<Snapshot> {
    const entries = await listAll(this.s3, this.bucket)
    const current = new Map<string, string | null>()
    const currentVersion = new Map<string, string>()
    const latest = entries.filter((e) => e.isLatest)
    await parallel(
      latest.map((e) => async () => {
        current.set(e.key, await this.of(e))
        currentVersion.set(e.key, `${e.deleteMarker ? 'delete marker' : 'version'} ${e.versionId}`)
      }),
      8,
    )
    return { ids: new Set(entries.map(entryId)), entries, current, currentVersion }
  }
}

const shown = (print: string | null | undefined): string =>
  print === null || print === undefined ? 'absent' : print.slice(0, 20)

/** Entries of `before` missing from `after`. */
export function lostEntries(before: Snapshot, after: Snapshot): string[] {
  return before.entries
    .filter((e) => !after.ids.has(entryId(e)))
    .map((e) => `${e.key}@${e.versionId}${e.deleteMarker ? ' (delete marker)' : ''}`)
}

export interface Mismatch {
  key: string
  text: string
}

/** What a check needs to know of a planned key (soak-scenario.ts KeyPlan). */
export interface Planned {
  key: string
  kind: string
  big: boolean
}

/** Keys of `plans` whose current content is not `wanted(plan)`. */
export function mismatches<P extends Planned>(
  plans: readonly P[],
  now: Snapshot,
  wanted: (p: P) => string | null,
): Mismatch[] {
  return plans
    .filter((p) => (now.current.get(p.key) ?? null) !== wanted(p))
    .map((p) => ({
      key: p.key,
      text:
        `${JSON.stringify(p.key)} (${p.kind}${p.big ? ', big' : ''}): want ${shown(wanted(p))}, ` +
        `current ${shown(now.current.get(p.key))} (${now.currentVersion.get(p.key) ?? 'no entry'})`,
    }))
}

export function list(items: ReadonlyArray<string | Mismatch>, max = 6): string {
  const texts = items.map((i) => (typeof i === 'string' ? i : i.text))
  const more = texts.length > max ? `; and ${texts.length - max} more` : ''
  return `${texts.length}: ${texts.slice(0, max).join('; ')}${more}`
}

export async function openUploads(s3: S3Client, bucket: string): Promise<Array<[string, string]>> {
  const uploads: Array<[string, string]> = []
  let KeyMarker: string | undefined
  let UploadIdMarker: string | undefined
  for (;;) {
    const out = await s3.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker, UploadIdMarker }),
    )
    for (const u of out.Uploads ?? []) uploads.push([u.Key ?? '', u.UploadId ?? ''])
    if (!out.IsTruncated) return uploads
    KeyMarker = out.NextKeyMarker
    UploadIdMarker = out.NextUploadIdMarker
  }
}
