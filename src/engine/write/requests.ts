/** What a write is asked to do and what it answers: the shapes shared by the copy paths. */
import type { ServerSideEncryption, StorageClass } from '@aws-sdk/client-s3'
import type { VersionEntry } from '../../s3/listing.js'
import type { ObjectFacts } from '../../s3/objects.js'

/** The bucket written to. */
export interface Bucket {
  bucket: string
  expectedBucketOwner?: string
}

/**
 * One copy: make `wanted` (a version of `wanted.key`, in the bucket `from`, by default the bucket
 * written) current on `key`.
 */
export interface CopyRequest {
  key: string
  /** The version to copy, as listed (size, ETag and storage class come from here). */
  wanted: VersionEntry
  /** The bucket of `wanted`, when it is not the bucket written (a destination, a drill). */
  from?: string
  /** HeadObject of the version, when planning made one (then its encryption is kept too). */
  source?: ObjectFacts
  /** The entry current when the plan was made; the write is guarded against any other. */
  expected: VersionEntry | undefined
}

/** A write's answer, before the listing confirms it. */
export interface Landed {
  /** The new entry's version ID, where the store says it (AWS does; Ceph RGW not for copies). */
  versionId?: string
  /** The SDK's attempts: more than one means a retried write may have landed more than once. */
  attempts: number
  multipart?: boolean
  /** The store could not say whether the write landed (a retried completion found no upload). */
  uncertain?: boolean
  /**
   * A retried conditional write met an entry that was not there when it was planned (412): an
   * earlier attempt of its own that landed while its answer was lost, or another writer's. The
   * listing decides; an entry that is not a copy of the source is then another writer's.
   */
  unseen?: boolean
}

/** x-amz-copy-source for one version: the key URL-encoded segment by segment. */
export function copySource(bucket: string, key: string, versionId: string): string {
  const path = key.split('/').map(encodeURIComponent).join('/')
  return `${bucket}/${path}?versionId=${encodeURIComponent(versionId)}`
}

/**
 * CopyObject resets the storage class to STANDARD and the encryption to the bucket's default:
 * the class is the listed one; the encryption is the source's where planning read it (a KMS
 * key is kept), else the bucket default, which confirm.ts checks against the source when the
 * copy's ETag differs from it.
 */
export function storageAndEncryption(
  wanted: Pick<VersionEntry, 'storageClass'>,
  source: ObjectFacts | undefined,
): {
  StorageClass?: StorageClass
  ServerSideEncryption?: ServerSideEncryption
  SSEKMSKeyId?: string
  BucketKeyEnabled?: boolean
} {
  const kms = source?.serverSideEncryption?.startsWith('aws:kms') === true
  return {
    StorageClass: (source?.storageClass ?? wanted.storageClass) as StorageClass | undefined,
    ServerSideEncryption: source?.serverSideEncryption as ServerSideEncryption | undefined,
    SSEKMSKeyId: kms ? source?.kmsKeyId : undefined,
    BucketKeyEnabled: kms ? source?.bucketKeyEnabled : undefined,
  }
}
