/**
 * Helpers for the real local S3 (Ceph RGW started by scripts/local-s3.sh), shared by the
 * integration tests and bench/. Integration tests fail, not skip, when it is not running.
 */
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { randomBytes } from 'node:crypto'
import { parseSettings, type Settings } from '../../src/settings/index.js'
import { createS3Client } from '../../src/s3/client.js'

export function endpoint(): string {
  const url = process.env.S3_ENDPOINT_URL
  if (!url || !process.env.AWS_ACCESS_KEY_ID) {
    throw new Error(
      'Integration tests and benchmarks need the local S3: run `scripts/local-s3.sh start` and ' +
        '`eval "$(scripts/local-s3.sh env)"` (scripts/test.sh does both).',
    )
  }
  return url
}

export function client(): S3Client {
  return createS3Client({ endpoint: endpoint(), forcePathStyle: true })
}

/** A client whose requests go through a proxy in front of the local S3 (faultproxy, awsproxy). */
export function proxiedClient(url: string): S3Client {
  return createS3Client({ endpoint: url, forcePathStyle: true })
}

/** A new bucket with a unique name (`<prefix>-<random>`); versioning Enabled unless told otherwise. */
export async function newBucket(
  s3: S3Client,
  versioning: 'Enabled' | 'Suspended' | 'none' = 'Enabled',
  prefix = 'it',
): Promise<string> {
  const bucket = `${prefix}-${randomBytes(6).toString('hex')}`
  await s3.send(new CreateBucketCommand({ Bucket: bucket }))
  if (versioning !== 'none') {
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: bucket,
        VersioningConfiguration: { Status: versioning },
      }),
    )
  }
  return bucket
}

/** Writes a version and returns its version ID. */
export async function put(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string | Uint8Array,
  extra: Partial<PutObjectCommandInput> = {},
): Promise<string> {
  const out = await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...extra }),
  )
  return out.VersionId ?? 'null'
}

/**
 * Uploads `sizes` as the parts of one new version of `key` (part n filled with the byte 64 + n),
 * as an application/zip; returns its version ID.
 */
export async function uploadInParts(
  s3: S3Client,
  bucket: string,
  key: string,
  sizes: number[],
): Promise<string> {
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'application/zip' }),
  )
  const parts = []
  for (const [i, size] of sizes.entries()) {
    const out = await s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        PartNumber: i + 1,
        Body: Buffer.alloc(size, 65 + i),
      }),
    )
    parts.push({ PartNumber: i + 1, ETag: out.ETag })
  }
  const done = await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: parts },
    }),
  )
  return done.VersionId ?? 'null'
}

/** The current content of a key, or null when it does not exist (or a delete marker is current). */
export async function read(s3: S3Client, bucket: string, key: string): Promise<string | null> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    return (await out.Body?.transformToString()) ?? ''
  } catch (e) {
    if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
      return null
    }
    throw e
  }
}

export interface ListedEntry {
  key: string
  versionId: string
  deleteMarker: boolean
  isLatest: boolean
  lastModified: Date
  /** Versions only. */
  size?: number
  eTag?: string
}

/** Every version and delete marker in the bucket (all pages). */
export async function allVersions(s3: S3Client, bucket: string): Promise<ListedEntry[]> {
  const entries: ListedEntry[] = []
  let KeyMarker: string | undefined
  let VersionIdMarker: string | undefined
  for (;;) {
    const out = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker, VersionIdMarker }),
    )
    for (const v of out.Versions ?? []) {
      entries.push({
        key: v.Key ?? '',
        versionId: v.VersionId ?? 'null',
        deleteMarker: false,
        isLatest: v.IsLatest === true,
        lastModified: v.LastModified ?? new Date(0),
        size: v.Size,
        eTag: v.ETag,
      })
    }
    for (const m of out.DeleteMarkers ?? []) {
      entries.push({
        key: m.Key ?? '',
        versionId: m.VersionId ?? 'null',
        deleteMarker: true,
        isLatest: m.IsLatest === true,
        lastModified: m.LastModified ?? new Date(0),
      })
    }
    if (!out.IsTruncated) return entries
    KeyMarker = out.NextKeyMarker
    VersionIdMarker = out.NextVersionIdMarker
  }
}

const id = (e: ListedEntry): string => `${e.key}\u0000${e.versionId}`

/** Entries of `after` that were not in `before`; throws if any entry of `before` is gone. */
export function added(before: ListedEntry[], after: ListedEntry[]): ListedEntry[] {
  const now = new Set(after.map(id))
  const lost = before.filter((e) => !now.has(id(e)))
  if (lost.length > 0) {
    throw new Error(`versions were lost: ${lost.map((e) => `${e.key}@${e.versionId}`).join(', ')}`)
  }
  const then = new Set(before.map(id))
  return after.filter((e) => !then.has(id(e)))
}

/** LastModified of a version as the listing reports it (the instant a to-time refers to). */
export async function modifiedAt(
  s3: S3Client,
  bucket: string,
  key: string,
  versionId: string,
): Promise<string> {
  const entry = (await allVersions(s3, bucket)).find(
    (e) => e.key === key && e.versionId === versionId,
  )
  if (!entry) throw new Error(`no version ${versionId} of ${key}`)
  return entry.lastModified.toISOString()
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Settings as the action would read them, pointed at the local S3. */
export function settings(inputs: Record<string, string>): Settings {
  const all: Record<string, string> = {
    'endpoint-url': endpoint(),
    'force-path-style': 'true',
    ...inputs,
  }
  return parseSettings((name) => all[name] ?? '')
}
