import {
  GetBucketVersioningCommand,
  GetObjectTaggingCommand,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3'
import { BucketError, StepError } from '../lib/errors.js'
import { headObject } from './requests.js'

/** What a HeadObject of one version says, as far as copying it faithfully needs. */
export interface ObjectFacts {
  versionId?: string
  size: number
  eTag?: string
  lastModified?: Date
  storageClass?: string
  contentType?: string
  cacheControl?: string
  contentDisposition?: string
  contentEncoding?: string
  contentLanguage?: string
  expires?: Date
  websiteRedirectLocation?: string
  metadata: Record<string, string>
  serverSideEncryption?: string
  kmsKeyId?: string
  bucketKeyEnabled?: boolean
  sseCustomerAlgorithm?: string
  /** x-amz-restore: set for archived objects with a restore requested or done. */
  restore?: string
  /** x-amz-archive-status: ARCHIVE_ACCESS or DEEP_ARCHIVE_ACCESS for archived Intelligent-Tiering objects. */
  archiveStatus?: string
  /** With a part number: how many parts the object was uploaded in (stores that say so). */
  partsCount?: number
  /** A full-object checksum, when the store keeps one (AWS does; Ceph RGW Pacific does not). */
  checksum?: { algorithm: ChecksumAlgorithmName; value: string; type?: string }
}

export type ChecksumAlgorithmName = 'CRC64NVME' | 'CRC32' | 'CRC32C' | 'SHA1' | 'SHA256'
const CHECKSUMS: ChecksumAlgorithmName[] = ['CRC64NVME', 'CRC32', 'CRC32C', 'SHA1', 'SHA256']

export interface ObjectRef {
  bucket: string
  key: string
  versionId?: string
  expectedBucketOwner?: string
  /** HEAD one part: `size` is then that part's, and `partsCount` says how many there are. */
  partNumber?: number
}

/** HeadObject of one version (with its checksum where the store keeps one). */
export async function headVersion(s3: S3Client, ref: ObjectRef): Promise<ObjectFacts> {
  const out = await headObject(s3, {
    Bucket: ref.bucket,
    Key: ref.key,
    VersionId: ref.versionId,
    ExpectedBucketOwner: ref.expectedBucketOwner,
    PartNumber: ref.partNumber,
    ChecksumMode: 'ENABLED',
  })
  return factsFromHead(out)
}

export function factsFromHead(out: HeadObjectCommandOutput): ObjectFacts {
  return {
    versionId: out.VersionId,
    size: out.ContentLength ?? 0,
    eTag: out.ETag,
    lastModified: out.LastModified,
    storageClass: out.StorageClass,
    contentType: out.ContentType,
    cacheControl: out.CacheControl,
    contentDisposition: out.ContentDisposition,
    contentEncoding: out.ContentEncoding,
    contentLanguage: out.ContentLanguage,
    expires: out.Expires,
    websiteRedirectLocation: out.WebsiteRedirectLocation,
    metadata: out.Metadata ?? {},
    serverSideEncryption: out.ServerSideEncryption,
    kmsKeyId: out.SSEKMSKeyId,
    bucketKeyEnabled: out.BucketKeyEnabled,
    sseCustomerAlgorithm: out.SSECustomerAlgorithm,
    restore: out.Restore,
    archiveStatus: out.ArchiveStatus,
    partsCount: out.PartsCount,
    checksum: checksumOf(out),
  }
}

function checksumOf(out: HeadObjectCommandOutput): ObjectFacts['checksum'] {
  for (const algorithm of CHECKSUMS) {
    const value = out[`Checksum${algorithm}`]
    if (value) return { algorithm, value, type: out.ChecksumType }
  }
  return undefined
}

/** The tags of one version as a URL-encoded query string (the form x-amz-tagging takes). */
export async function tagsOf(s3: S3Client, ref: ObjectRef): Promise<string> {
  const out = await s3.send(
    new GetObjectTaggingCommand({
      Bucket: ref.bucket,
      Key: ref.key,
      VersionId: ref.versionId,
      ExpectedBucketOwner: ref.expectedBucketOwner,
    }),
  )
  return new URLSearchParams(
    (out.TagSet ?? []).map((t): [string, string] => [t.Key ?? '', t.Value ?? '']),
  ).toString()
}

/**
 * Fails unless versioning is Enabled: a rollback relies on history, and keeps it (`role`: the
 * bucket's part in the run, for the message: the bucket rolled back, or the destination).
 */
export async function requireVersioning(
  s3: S3Client,
  bucket: string,
  expectedBucketOwner?: string,
  role: 'bucket' | 'destination' = 'bucket',
): Promise<void> {
  let status: string | undefined
  try {
    const out = await s3.send(
      new GetBucketVersioningCommand({ Bucket: bucket, ExpectedBucketOwner: expectedBucketOwner }),
    )
    status = out.Status
  } catch (e) {
    const what = role === 'bucket' ? 'checking the bucket' : 'checking the destination bucket'
    throw new StepError(what, `s3://${bucket}`, e)
  }
  if (status !== 'Enabled') {
    const name = role === 'bucket' ? `Bucket ${bucket}` : `The destination bucket ${bucket}`
    const why =
      role === 'bucket'
        ? '(it restores old versions and must keep every version it replaces)'
        : '(a restore into it must keep every version it replaces, as in place)'
    throw new BucketError(
      `${name} has versioning ${status ?? 'never enabled'}; a rollback needs it Enabled ${why}.`,
    )
  }
}

/** An HTTP status from an SDK error, if any. */
export function httpStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode
}
