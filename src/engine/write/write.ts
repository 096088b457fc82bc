/**
 * The writes of a rollback: a server-side copy of an old version on top of its key (no bytes
 * pass through the runner), or a delete marker. Never a versioned delete: no version is removed.
 * A write only lands; confirm.ts then checks it against the listing.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { addDeleteMarker as deleteMarker, copyObject } from '../../s3/requests.js'
import type { VersionEntry } from '../../s3/listing.js'
import type { PlanItem } from '../plan/decide.js'
import type { WriteTarget } from './context.js'
import { guarded, type WriteGuard } from './guard.js'
import { isMultipartETag } from './parts.js'
import { multipartCopy } from './multipart.js'
import {
  copySource,
  storageAndEncryption,
  type Bucket,
  type CopyRequest,
  type Landed,
} from './requests.js'

/** Carries out one planned write (a restore or a delete). */
export function writeItem(to: WriteTarget, item: PlanItem, guard: WriteGuard): Promise<Landed> {
  const { s3, where } = to
  if (item.action === 'delete') {
    return addDeleteMarker(s3, where, { key: item.key, expected: item.current }, guard)
  }
  if (item.action !== 'restore' || !item.wanted) {
    throw new Error(`${item.key}: nothing to write for action ${item.action}`)
  }
  const request = {
    key: item.key,
    wanted: item.wanted,
    from: item.from,
    source: item.source,
    expected: item.current,
  }
  return copyVersion(to, request, guard)
}

/**
 * Copies a version on top of its key. A source uploaded in parts is copied with the same part
 * boundaries (so the copy has the source's ETag, and a later run sees it as unchanged), as is a
 * single-part source above `multipartThreshold`; every other source takes one CopyObject.
 */
export function copyVersion(
  to: WriteTarget,
  request: CopyRequest,
  guard: WriteGuard,
): Promise<Landed> {
  const size = request.wanted.size ?? 0
  if (isMultipartETag(request.wanted.eTag) || size > to.copy.multipartThreshold) {
    return multipartCopy(to, request, guard)
  }
  return singleCopy(to.s3, to.where, request, guard)
}

/** Adds a delete marker (a DeleteObject without a version ID). */
export async function addDeleteMarker(
  s3: S3Client,
  where: Bucket,
  request: { key: string; expected: VersionEntry | undefined },
  guard: WriteGuard,
): Promise<Landed> {
  return guarded(s3, { ...where, ...request }, { guard }, async () => {
    const out = await deleteMarker(s3, {
      Bucket: where.bucket,
      Key: request.key,
      ExpectedBucketOwner: where.expectedBucketOwner,
    })
    return { versionId: out.VersionId, attempts: out.$metadata?.attempts ?? 1 }
  })
}

function singleCopy(
  s3: S3Client,
  where: Bucket,
  request: CopyRequest,
  guard: WriteGuard,
): Promise<Landed> {
  const { key, wanted, source } = request
  const copy = async (): Promise<Landed> => {
    const out = await copyObject(s3, {
      Bucket: where.bucket,
      Key: key,
      CopySource: copySource(request.from ?? where.bucket, wanted.key, wanted.versionId),
      ExpectedBucketOwner: where.expectedBucketOwner,
      ExpectedSourceBucketOwner: where.expectedBucketOwner,
      MetadataDirective: 'COPY',
      TaggingDirective: 'COPY',
      WebsiteRedirectLocation: source?.websiteRedirectLocation,
      ...storageAndEncryption(wanted, source),
      ...guard.condition(request.expected),
    })
    return { versionId: out.VersionId, attempts: out.$metadata?.attempts ?? 1 }
  }
  const retried = (attempts: number): Landed => ({ attempts, unseen: true })
  return guarded(s3, { ...where, key, expected: request.expected }, { guard, retried }, copy)
}
