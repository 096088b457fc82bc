/**
 * Multipart copies: UploadPartCopy with the source's own part boundaries, so the copy's ETag is
 * the source's (an MD5 of the part MD5s) and a later run can tell from a listing that the key is
 * already restored. Uploads this run opens are aborted when it cannot complete them, including
 * ones a retried CreateMultipartUpload opened without the run hearing of them.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  PutObjectTaggingCommand,
  type CompletedPart,
  type CompleteMultipartUploadCommandInput,
  type CreateMultipartUploadCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3'
import { errorMessage } from '../../lib/errors.js'
import { eachLimit } from '../../lib/pool.js'
import { uploadPartCopy } from '../../s3/requests.js'
import { keyHistory } from '../../s3/listing.js'
import { headVersion, httpStatus, tagsOf, type ObjectFacts } from '../../s3/objects.js'
import type { WriteTarget } from './context.js'
import { guarded, type WriteGuard } from './guard.js'
import { partRanges, sourceLayout, type Range } from './parts.js'
import { partProgress } from './part-progress.js'
import { copySource, storageAndEncryption, type CopyRequest, type Landed } from './requests.js'

/** How a source is to be copied in parts: its facts, tags and ranges. */
async function prepare(
  to: WriteTarget,
  request: CopyRequest,
): Promise<{ facts: ObjectFacts; tags: string; ranges: Range[] }> {
  const { s3, where } = to
  const { wanted } = request
  const size = wanted.size ?? 0
  const ref = {
    ...where,
    bucket: request.from ?? where.bucket,
    key: wanted.key,
    versionId: wanted.versionId,
  }
  const parts = Number(/-(\d+)"?$/.exec(wanted.eTag ?? '')?.[1] ?? 0)
  const head = await headVersion(s3, parts > 0 ? { ...ref, partNumber: 1 } : ref)
  // A part's HeadObject carries the object's headers, but its length and checksum are the part's.
  const firstPart = head.partsCount === parts ? head.size : undefined
  const facts: ObjectFacts = {
    ...(request.source ?? head),
    size,
    checksum: request.source?.checksum ?? (parts > 0 ? undefined : head.checksum),
  }
  const ranges =
    parts > 0 ? sourceLayout(size, parts, firstPart) : partRanges(size, to.copy.partSize)
  return { facts, tags: await tagsOf(s3, ref), ranges }
}

/** A multipart copy of `request.wanted`, with metadata and tags set on the upload. */
export async function multipartCopy(
  to: WriteTarget,
  request: CopyRequest,
  guard: WriteGuard,
): Promise<Landed> {
  const { s3, where } = to
  const { bucket, expectedBucketOwner } = where
  const { key, wanted } = request
  const { facts, tags, ranges } = await prepare(to, request)
  const checksum = fullObjectChecksum(facts)
  const uploadId = await createUpload(s3, {
    Bucket: bucket,
    Key: key,
    ExpectedBucketOwner: expectedBucketOwner,
    ContentType: facts.contentType,
    CacheControl: facts.cacheControl,
    ContentDisposition: facts.contentDisposition,
    ContentEncoding: facts.contentEncoding,
    ContentLanguage: facts.contentLanguage,
    Expires: facts.expires,
    WebsiteRedirectLocation: facts.websiteRedirectLocation,
    Metadata: facts.metadata,
    Tagging: tags || undefined,
    ...storageAndEncryption(wanted, facts),
    ...(checksum ? { ChecksumAlgorithm: checksum.algorithm, ChecksumType: 'FULL_OBJECT' } : {}),
  })
  const progress = partProgress(to.log, key, ranges, to.partProgress)
  try {
    const parts: CompletedPart[] = new Array(ranges.length)
    const indexes = ranges.map((_, i) => i)
    await eachLimit(indexes, to.copy.partConcurrency, async (i) => {
      const { start, end } = ranges[i]
      const out = await uploadPartCopy(s3, {
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: i + 1,
        CopySource: copySource(request.from ?? bucket, wanted.key, wanted.versionId),
        CopySourceRange: `bytes=${start}-${end}`,
        ExpectedBucketOwner: expectedBucketOwner,
        ExpectedSourceBucketOwner: expectedBucketOwner,
      })
      parts[i] = { PartNumber: i + 1, ETag: out.CopyPartResult?.ETag }
      if (checksum) {
        const field = `Checksum${checksum.algorithm}` as const
        const value = out.CopyPartResult?.[field]
        if (value) parts[i][field] = value
      }
      progress.partDone(i)
    })
    progress.finish()
    const retried = (attempts: number): Landed => ({ attempts, unseen: true })
    const condition = (): Record<string, string> => ({
      ...guard.condition(request.expected),
      // The source's whole-object checksum: S3 computes the copy's and refuses (BadDigest) if
      // they differ, and a later run can tell from it that the copy is the source's bytes.
      ...(checksum
        ? { [`Checksum${checksum.algorithm}`]: checksum.value, ChecksumType: 'FULL_OBJECT' }
        : {}),
    })
    const landed = await guarded(
      s3,
      { ...where, key, expected: request.expected },
      { guard, retried },
      () => complete(s3, { ...where, key, uploadId }, parts, condition()),
    )
    if (!landed.uncertain)
      await ensureTags(s3, { ...where, key, versionId: landed.versionId }, tags)
    return { ...landed, multipart: true }
  } catch (e) {
    progress.finish()
    await abort(s3, { bucket, key, uploadId }).catch((abortError: unknown) => {
      throw new Error(
        `${errorMessage(e)} (and aborting upload ${uploadId} failed: ${errorMessage(abortError)})`,
      )
    })
    throw e
  }
}

/** Algorithms whose checksum S3 can keep for a whole multipart object (FULL_OBJECT). */
const FULL_OBJECT_ALGORITHMS: ReadonlySet<string> = new Set(['CRC64NVME', 'CRC32', 'CRC32C'])

/**
 * The source's whole-object checksum, when the copy can be given the same one: a CRC of the
 * whole object (what HeadObject with checksum mode says of an object uploaded in one part, or
 * of one uploaded with a full-object checksum). Stores without checksums (Ceph RGW) have none.
 */
function fullObjectChecksum(
  facts: ObjectFacts,
): { algorithm: 'CRC64NVME' | 'CRC32' | 'CRC32C'; value: string } | undefined {
  const c = facts.checksum
  if (!c || c.type === 'COMPOSITE' || !FULL_OBJECT_ALGORITHMS.has(c.algorithm)) return undefined
  return { algorithm: c.algorithm as 'CRC64NVME' | 'CRC32' | 'CRC32C', value: c.value }
}

/** An open multipart upload of one key. */
interface Upload {
  bucket: string
  key: string
  uploadId: string
  expectedBucketOwner?: string
}

async function complete(
  s3: S3Client,
  upload: Upload,
  parts: CompletedPart[],
  /** The write's condition (If-Match, If-None-Match) and the source's checksum. */
  condition: Partial<CompleteMultipartUploadCommandInput>,
): Promise<Landed> {
  try {
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: upload.bucket,
        Key: upload.key,
        UploadId: upload.uploadId,
        MultipartUpload: { Parts: parts },
        ExpectedBucketOwner: upload.expectedBucketOwner,
        ...condition,
      }),
    )
    return { versionId: done.VersionId, attempts: done.$metadata?.attempts ?? 1 }
  } catch (e) {
    // A retry of a completion whose answer was lost finds the upload gone: it may have landed.
    const attempts = (e as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1
    if (httpStatus(e) === 404 && attempts > 1) return { attempts, uncertain: true }
    throw e
  }
}

/** A window around a CreateMultipartUpload for uploads it may have opened (clock skew included). */
const SKEW_MS = 60_000

/**
 * CreateMultipartUpload. When the SDK had to retry it (an answer lost), earlier attempts may
 * have opened uploads the run never heard of: those of this key opened since the first attempt
 * are aborted, so none is left open (and billed).
 */
async function createUpload(
  s3: S3Client,
  input: CreateMultipartUploadCommandInput,
): Promise<string> {
  const bucket = input.Bucket ?? ''
  const key = input.Key ?? ''
  const since = Date.now() - SKEW_MS
  let uploadId: string | undefined
  try {
    const out = await s3.send(new CreateMultipartUploadCommand(input))
    uploadId = out.UploadId
    if ((out.$metadata?.attempts ?? 1) > 1) await abortStrays(s3, { bucket, key, since, uploadId })
  } catch (e) {
    await abortStrays(s3, { bucket, key, since }).catch(() => undefined)
    throw e
  }
  if (!uploadId) throw new Error(`${key}: CreateMultipartUpload returned no UploadId`)
  return uploadId
}

/** Aborts the uploads of `key` opened since `since`, except the one kept (`uploadId`). */
async function abortStrays(
  s3: S3Client,
  strays: { bucket: string; key: string; since: number; uploadId?: string },
): Promise<void> {
  const { bucket, key, since, uploadId: keep } = strays
  const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }))
  for (const upload of out.Uploads ?? []) {
    const opened = upload.Initiated?.getTime() ?? 0
    if (upload.Key !== key || upload.UploadId === keep || !upload.UploadId || opened < since)
      continue
    await abort(s3, { bucket, key, uploadId: upload.UploadId })
  }
}

/** Aborts an upload; one already gone (a retried abort that had landed) is fine. */
async function abort(s3: S3Client, upload: Omit<Upload, 'expectedBucketOwner'>): Promise<void> {
  const { bucket, key, uploadId } = upload
  try {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
  } catch (e) {
    if (httpStatus(e) !== 404) throw e
  }
}

/**
 * Stores that ignore x-amz-tagging on CreateMultipartUpload (Ceph RGW Pacific) get the tag set
 * put on the new version itself. Without a version ID in the response, the newest is ours
 * (checked right after by the listing).
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
