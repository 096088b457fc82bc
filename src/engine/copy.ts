import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
  type ServerSideEncryption,
  type StorageClass,
} from '@aws-sdk/client-s3'
import { RaceError, VerifyError, errorMessage } from '../lib/errors.js'
import type { CopySettings } from '../settings/types.js'
import { keyHistory, type VersionEntry } from '../s3/listing.js'
import type { Logger } from '../lib/log.js'
import { headVersion, httpStatus, tagsOf, type ObjectFacts } from '../s3/objects.js'

/**
 * Whether the store honours conditional writes (If-Match / If-None-Match on the destination).
 * AWS does; Ceph RGW Pacific answers 412 even on a match. Starts on and is switched off,
 * once, when a 412 arrives although the key is exactly as planned. Either way every write is
 * re-checked against the history afterwards.
 */
export class WriteGuard {
  private honoured = true
  constructor(private readonly log: Logger) {}

  /** The condition for a write that expects `current` to be the current entry. */
  condition(current: VersionEntry | undefined): { IfMatch?: string; IfNoneMatch?: string } {
    if (!this.honoured) return {}
    if (!current || current.isDeleteMarker) return { IfNoneMatch: '*' }
    return current.eTag ? { IfMatch: current.eTag } : {}
  }

  get active(): boolean {
    return this.honoured
  }

  disable(reason: string): void {
    if (!this.honoured) return
    this.honoured = false
    this.log.warning(
      `Conditional writes are not honoured by this store (${reason}); ` +
        'relying on the history check after each write.',
    )
  }
}

/** One write: make `source` (an old version of `key`) current again, or add a delete marker. */
export interface WriteRequest {
  bucket: string
  key: string
  expectedBucketOwner?: string
  /** The entry current when the plan was made; the write is guarded against any other. */
  expected: VersionEntry | undefined
}

export interface CopyRequest extends WriteRequest {
  /** The version to copy: of `sourceKey` when given (a drill into a scratch key), else of `key`. */
  versionId: string
  sourceKey?: string
  source: ObjectFacts
}

export interface WriteResult {
  newVersionId: string
  /** HeadObject of the new version (restores only). */
  facts?: ObjectFacts
  /** How the new version was checked against its source. */
  check?: string
  multipart?: boolean
}

/** x-amz-copy-source for one version: the key URL-encoded segment by segment. */
export function copySource(bucket: string, key: string, versionId: string): string {
  const path = key.split('/').map(encodeURIComponent).join('/')
  return `${bucket}/${path}?versionId=${encodeURIComponent(versionId)}`
}

/**
 * Makes an old version current again by a server-side copy (no bytes pass through the
 * runner), then checks the new version against its source and against concurrent writers.
 */
export async function restoreVersion(
  s3: S3Client,
  request: CopyRequest,
  settings: CopySettings,
  guard: WriteGuard,
  log: Logger,
): Promise<WriteResult> {
  const multipart = request.source.size > settings.multipartThreshold
  const write = (): Promise<Landed> =>
    multipart ? multipartCopy(s3, request, settings, guard) : singleCopy(s3, request, guard)
  const landed = await guarded(s3, request, guard, write)
  const newVersionId = await confirmSequence(s3, request, landed)
  if (!multipart && sameMd5(request.source, landed.eTag)) {
    log.debug(`${request.key}: new version ${newVersionId} checked by the ETag (MD5) of the copy`)
    return { newVersionId, check: 'ETag (MD5) of the copy', multipart }
  }
  const facts = await headVersion(s3, {
    bucket: request.bucket,
    key: request.key,
    versionId: newVersionId,
    expectedBucketOwner: request.expectedBucketOwner,
  })
  const check = compareCopy(request.source, facts, multipart)
  if (!check.ok) {
    throw new VerifyError(request.key, `new version ${newVersionId}: ${check.detail}`, newVersionId)
  }
  log.debug(`${request.key}: new version ${newVersionId} checked by ${check.detail}`)
  return { newVersionId, facts, check: check.detail, multipart }
}

/** Adds a delete marker (never a versioned delete: no version is removed). */
export async function addDeleteMarker(
  s3: S3Client,
  request: WriteRequest,
  guard: WriteGuard,
): Promise<WriteResult> {
  const reported = await guarded(s3, request, guard, async () => {
    const out = await s3.send(
      new DeleteObjectCommand({
        Bucket: request.bucket,
        Key: request.key,
        ExpectedBucketOwner: request.expectedBucketOwner,
      }),
    )
    return { versionId: out.VersionId, attempts: out.$metadata?.attempts ?? 1 }
  })
  return { newVersionId: await confirmSequence(s3, request, reported) }
}

/**
 * Runs a write with the guard's condition. A 412 means either a concurrent writer (the key
 * changed: a race) or a store that mishandles conditions (the key is as planned: write again
 * without them).
 */
async function guarded(
  s3: S3Client,
  request: WriteRequest,
  guard: WriteGuard,
  write: () => Promise<Landed>,
): Promise<Landed> {
  try {
    return await write()
  } catch (e) {
    const status = httpStatus(e)
    if (!guard.active || (status !== 412 && status !== 501)) throw e
    const now = (
      await keyHistory(s3, request.bucket, request.key, request.expectedBucketOwner, 1)
    )[0]
    if (now?.versionId !== request.expected?.versionId) {
      throw new RaceError(
        request.key,
        `changed by another writer since planning (now ${describe(now)}, planned on ` +
          `${describe(request.expected)}); nothing was written to this key`,
      )
    }
    guard.disable(`HTTP ${status} although ${request.key} is as planned`)
    return write()
  }
}

/** A write's answer: the new version ID (AWS sends it, Ceph RGW does not for copies) and how
 * many attempts the SDK made (more than one means a retried write may have landed twice). */
export interface Landed {
  versionId?: string
  attempts: number
  /** The ETag a CopyObject reports for the new version. */
  eTag?: string
}

/**
 * Whether a single-part copy's reported ETag proves it holds the source's bytes: the source's
 * ETag is a plain MD5 (not multipart, not KMS or SSE-C), it has no checksum to compare instead,
 * and the copy's ETag is the same. Then a
 * HeadObject of the new version adds nothing.
 */
export function sameMd5(source: ObjectFacts, copyETag: string | undefined): boolean {
  const tag = unquote(source.eTag)
  return (
    tag !== undefined &&
    /^[0-9a-f]{32}$/i.test(tag) &&
    !source.serverSideEncryption?.startsWith('aws:kms') &&
    !source.sseCustomerAlgorithm &&
    !source.checksum &&
    unquote(copyETag) === tag
  )
}

/**
 * After a write: ours must be the newest entry, and the entry just before it must be the one
 * planned on. Otherwise another writer got in between; both writes stay in the history.
 * A write the SDK retried (a reset or timeout after the server had done it) can land more than
 * once: up to `attempts` identical entries on top count as ours.
 * Returns the ID of the current entry (ours).
 */
async function confirmSequence(
  s3: S3Client,
  request: WriteRequest,
  landed: Landed,
): Promise<string> {
  const { key } = request
  const limit = Math.max(8, landed.attempts + 2)
  const entries = await keyHistory(s3, request.bucket, key, request.expectedBucketOwner, limit)
  const newest = entries[0]
  const ours = landed.versionId ?? newest?.versionId
  const copies = ownCopies(entries, landed.attempts, request.expected?.versionId)
  const at = entries.findIndex((e) => e.versionId === ours)
  if (ours === undefined || at < 0) {
    throw new RaceError(key, `the new version ${ours ?? '(unknown)'} is not in the history`)
  }
  if (at >= copies) {
    throw new RaceError(
      key,
      `another writer wrote ${describe(newest)} after our version ${ours}; it is current now`,
    )
  }
  const before = entries[copies]
  if (before?.versionId !== request.expected?.versionId) {
    throw new RaceError(
      key,
      `another writer changed the key between planning and the write: the version before ours ` +
        `(${ours}) is ${describe(before)}, planned on ${describe(request.expected)}`,
    )
  }
  return newest.versionId
}

/**
 * How many entries on top are the same write (same kind, size and ETag as the newest), at
 * most `attempts` and stopping at the entry planned on: a retried write that landed each time.
 */
export function ownCopies(
  entries: readonly VersionEntry[],
  attempts: number,
  plannedOn?: string,
): number {
  const [newest] = entries
  if (!newest) return 0
  let n = 1
  while (
    n < attempts &&
    n < entries.length &&
    entries[n].versionId !== plannedOn &&
    sameWrite(entries[n], newest)
  ) {
    n++
  }
  return n
}

/** Two entries that one write would make: both delete markers, or the same size and ETag. */
export function sameWrite(a: VersionEntry, b: VersionEntry): boolean {
  if (a.isDeleteMarker || b.isDeleteMarker) return a.isDeleteMarker && b.isDeleteMarker
  return a.size === b.size && a.eTag !== undefined && unquote(a.eTag) === unquote(b.eTag)
}

export function describe(entry: VersionEntry | undefined): string {
  if (!entry) return 'no entry'
  return entry.isDeleteMarker ? `delete marker ${entry.versionId}` : `version ${entry.versionId}`
}

async function singleCopy(s3: S3Client, request: CopyRequest, guard: WriteGuard): Promise<Landed> {
  const { source, key } = request
  const out = await s3.send(
    new CopyObjectCommand({
      Bucket: request.bucket,
      Key: key,
      CopySource: copySource(request.bucket, request.sourceKey ?? key, request.versionId),
      ExpectedBucketOwner: request.expectedBucketOwner,
      ExpectedSourceBucketOwner: request.expectedBucketOwner,
      MetadataDirective: 'COPY',
      TaggingDirective: 'COPY',
      WebsiteRedirectLocation: source.websiteRedirectLocation,
      ...storageAndEncryption(source),
      ...guard.condition(request.expected),
    }),
  )
  return {
    versionId: out.VersionId,
    attempts: out.$metadata?.attempts ?? 1,
    eTag: out.CopyObjectResult?.ETag,
  }
}

/** CopyObject resets the storage class to STANDARD and encryption to the bucket default. */
function storageAndEncryption(source: ObjectFacts): {
  StorageClass?: StorageClass
  ServerSideEncryption?: ServerSideEncryption
  SSEKMSKeyId?: string
  BucketKeyEnabled?: boolean
} {
  const kms = source.serverSideEncryption?.startsWith('aws:kms') === true
  return {
    StorageClass: source.storageClass as StorageClass | undefined,
    ServerSideEncryption: source.serverSideEncryption as ServerSideEncryption | undefined,
    SSEKMSKeyId: kms ? source.kmsKeyId : undefined,
    BucketKeyEnabled: kms ? source.bucketKeyEnabled : undefined,
  }
}

/** Byte ranges of at most `partSize` (raised so that 10,000 parts cover the object). */
export function partRanges(size: number, partSize: number): Array<{ start: number; end: number }> {
  const MiB = 1024 * 1024
  const minimum = Math.ceil(size / 10_000 / MiB) * MiB
  const step = Math.max(partSize, minimum)
  const ranges: Array<{ start: number; end: number }> = []
  for (let start = 0; start < size; start += step) {
    ranges.push({ start, end: Math.min(start + step, size) - 1 })
  }
  return ranges
}

/**
 * A multipart copy for sources above the threshold. UploadPartCopy carries no metadata or
 * tags, so they are set on CreateMultipartUpload from the source's HeadObject and tag set.
 */
async function multipartCopy(
  s3: S3Client,
  request: CopyRequest,
  settings: CopySettings,
  guard: WriteGuard,
): Promise<Landed> {
  const { bucket, key, source, expectedBucketOwner } = request
  const sourceKey = request.sourceKey ?? key
  const tags = await tagsOf(s3, {
    bucket,
    key: sourceKey,
    versionId: request.versionId,
    expectedBucketOwner,
  })
  const fullObjectCrc =
    source.checksum &&
    source.checksum.type !== 'COMPOSITE' &&
    source.checksum.algorithm.startsWith('CRC')
      ? source.checksum.algorithm
      : undefined
  const created = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ExpectedBucketOwner: expectedBucketOwner,
      ContentType: source.contentType,
      CacheControl: source.cacheControl,
      ContentDisposition: source.contentDisposition,
      ContentEncoding: source.contentEncoding,
      ContentLanguage: source.contentLanguage,
      Expires: source.expires,
      WebsiteRedirectLocation: source.websiteRedirectLocation,
      Metadata: source.metadata,
      Tagging: tags || undefined,
      ChecksumAlgorithm: fullObjectCrc,
      ChecksumType: fullObjectCrc ? 'FULL_OBJECT' : undefined,
      ...storageAndEncryption(source),
    }),
  )
  const uploadId = created.UploadId
  if (!uploadId) throw new Error(`${key}: CreateMultipartUpload returned no UploadId`)
  try {
    const ranges = partRanges(source.size, settings.partSize)
    const parts: CompletedPart[] = new Array(ranges.length)
    await runPool(ranges.length, settings.partConcurrency, async (i) => {
      const { start, end } = ranges[i]
      const out = await s3.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: i + 1,
          CopySource: copySource(bucket, sourceKey, request.versionId),
          CopySourceRange: `bytes=${start}-${end}`,
          ExpectedBucketOwner: expectedBucketOwner,
          ExpectedSourceBucketOwner: expectedBucketOwner,
        }),
      )
      const r = out.CopyPartResult
      parts[i] = {
        PartNumber: i + 1,
        ETag: r?.ETag,
        ChecksumCRC32: r?.ChecksumCRC32,
        ChecksumCRC32C: r?.ChecksumCRC32C,
        ChecksumCRC64NVME: r?.ChecksumCRC64NVME,
      }
    })
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
        ExpectedBucketOwner: expectedBucketOwner,
        ...guard.condition(request.expected),
      }),
    )
    await ensureTags(s3, { bucket, key, versionId: done.VersionId, expectedBucketOwner }, tags)
    return { versionId: done.VersionId, attempts: done.$metadata?.attempts ?? 1 }
  } catch (e) {
    await s3
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
      .catch((abortError: unknown) => {
        throw new Error(
          `${errorMessage(e)} (and aborting upload ${uploadId} failed: ${errorMessage(abortError)})`,
        )
      })
    throw e
  }
}

/**
 * Stores that ignore x-amz-tagging on CreateMultipartUpload (Ceph RGW Pacific) get the tag set
 * put on the new version itself. Without a version ID in the response, the newest is ours
 * (checked right after by the history check).
 */
async function ensureTags(
  s3: S3Client,
  ref: { bucket: string; key: string; versionId?: string; expectedBucketOwner?: string },
  tags: string,
): Promise<void> {
  if (!tags) return
  const versionId =
    ref.versionId ??
    (await keyHistory(s3, ref.bucket, ref.key, ref.expectedBucketOwner, 1))[0]?.versionId
  if ((await tagsOf(s3, { ...ref, versionId })) === tags) return
  await s3.send(
    new PutObjectTaggingCommand({
      Bucket: ref.bucket,
      Key: ref.key,
      VersionId: versionId,
      ExpectedBucketOwner: ref.expectedBucketOwner,
      Tagging: { TagSet: [...new URLSearchParams(tags)].map(([Key, Value]) => ({ Key, Value })) },
    }),
  )
}

/** Runs `task(0..count-1)` with at most `limit` at a time; the first failure stops new starts. */
export async function runPool(
  count: number,
  limit: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0
  let failed = false
  const errors: unknown[] = []
  const worker = async (): Promise<void> => {
    while (!failed && next < count) {
      const i = next++
      try {
        await task(i)
      } catch (e) {
        failed = true
        errors.push(e)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, count)) }, worker))
  if (errors.length > 0) throw errors[0]
}

const unquote = (etag: string | undefined): string | undefined => etag?.replace(/^"|"$/g, '')

/**
 * Checks a new version against its source: size always; the full-object checksum where both
 * have one of the same algorithm; else the ETag, which equals the content MD5 only for
 * single-part, non-KMS objects copied in one piece.
 */
export function compareCopy(
  source: ObjectFacts,
  copy: ObjectFacts,
  multipart: boolean,
): { ok: boolean; detail: string } {
  if (source.size !== copy.size) {
    return { ok: false, detail: `size ${copy.size} differs from the source's ${source.size}` }
  }
  const a = source.checksum
  const b = copy.checksum
  if (a && b && a.algorithm === b.algorithm && a.type !== 'COMPOSITE' && b.type !== 'COMPOSITE') {
    return a.value === b.value
      ? { ok: true, detail: `size and ${a.algorithm} checksum` }
      : {
          ok: false,
          detail: `${a.algorithm} checksum ${b.value} differs from the source's ${a.value}`,
        }
  }
  const sourceTag = unquote(source.eTag)
  const md5Like =
    !multipart &&
    sourceTag !== undefined &&
    !sourceTag.includes('-') &&
    !source.serverSideEncryption?.startsWith('aws:kms')
  if (md5Like) {
    return sourceTag === unquote(copy.eTag)
      ? { ok: true, detail: 'size and ETag' }
      : { ok: false, detail: `ETag ${copy.eTag} differs from the source's ${source.eTag}` }
  }
  return { ok: true, detail: 'size' }
}
