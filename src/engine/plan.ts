import type { S3Client } from '@aws-sdk/client-s3'
import { PlanError, errorMessage, type KeyProblem } from '../lib/errors.js'
import type { IfMissing, Target } from '../settings/types.js'
import { keyHistory, type VersionEntry } from '../s3/listing.js'
import type { Logger } from '../lib/log.js'
import { headVersion, requireVersioning, type ObjectFacts } from '../s3/objects.js'
import { ARCHIVE_CLASSES, currentEntry, entryAt, isAbsent } from './select.js'

/**
 * restore: copy an old version on top; delete: add a delete marker;
 * unchanged: already in the target state; skip: absent at the target, left as is (if-missing: skip).
 */
export type Action = 'restore' | 'delete' | 'unchanged' | 'skip'

/** What to do with one key, decided before anything is written. */
export interface PlanItem {
  key: string
  action: Action
  /** The entry current now; undefined when the key has no history at all. */
  current?: VersionEntry
  /** The version the key should have (restore, or unchanged with an object); undefined = absent. */
  wanted?: VersionEntry
  /** HeadObject of `wanted`, for restores. */
  source?: ObjectFacts
}

export interface Plan {
  bucket: string
  expectedBucketOwner?: string
  items: PlanItem[]
}

export interface PlanRequest {
  bucket: string
  keys: string[]
  target: Target
  ifMissing: IfMissing
  expectedBucketOwner?: string
}

/**
 * Resolves every key against its history and checks every source, before any write.
 * Throws BucketError or PlanError (listing every bad key); returns a plan otherwise.
 */
export async function buildPlan(s3: S3Client, request: PlanRequest, log: Logger): Promise<Plan> {
  const { bucket, expectedBucketOwner } = request
  await requireVersioning(s3, bucket, expectedBucketOwner)
  const items: PlanItem[] = []
  const problems: KeyProblem[] = []
  for (const key of request.keys) {
    const entries = await keyHistory(s3, bucket, key, expectedBucketOwner)
    log.debug(`${key}: ${entries.length} entries: ${JSON.stringify(entries)}`)
    const resolved = await resolveKey(s3, request, key, entries)
    if ('problem' in resolved) problems.push(resolved)
    else items.push(resolved)
  }
  if (problems.length > 0) throw new PlanError(problems)
  return { bucket, expectedBucketOwner, items }
}

/** Where to resolve keys: the bucket and the target (a PlanRequest without its key list). */
export type ResolveRequest = Omit<PlanRequest, 'keys'>

/**
 * One key of a plan: `decide()` on its history, then for a restore a HeadObject of the source
 * (readable, not archived, not SSE-C) and the check whether the current version already is a
 * copy of it (which makes the key `unchanged`).
 */
export async function resolveKey(
  s3: S3Client,
  request: ResolveRequest,
  key: string,
  entries: readonly VersionEntry[],
): Promise<PlanItem | KeyProblem> {
  const decided = decide(key, entries, request.target, request.ifMissing)
  if ('problem' in decided || decided.action !== 'restore' || !decided.wanted) return decided
  const checked = await checkSource(s3, request, decided.wanted)
  if ('problem' in checked) return checked
  decided.source = checked
  if (await sameAsCurrent(s3, request, decided.current, checked)) decided.action = 'unchanged'
  return decided
}

/** Pure: what to do with one key given its history (newest first) and the target. */
export function decide(
  key: string,
  entries: readonly VersionEntry[],
  target: Target,
  ifMissing: IfMissing,
): PlanItem | KeyProblem {
  const current = currentEntry(entries)
  let wanted: VersionEntry | undefined
  if (target.kind === 'time') {
    wanted = entryAt(entries, target.at)
  } else {
    const versionId = target.versions.get(key)
    if (versionId !== null && versionId !== undefined) {
      wanted = entries.find((e) => e.versionId === versionId)
      if (!wanted) {
        return {
          key,
          problem: `version ${versionId} does not exist (${entries.length} versions listed)`,
        }
      }
    }
  }
  if (isAbsent(wanted)) {
    if (isAbsent(current)) return { key, action: 'unchanged', current }
    if (ifMissing === 'fail') {
      const when = target.kind === 'time' ? `at ${target.at.toISOString()}` : 'in the target'
      const why = wanted ? 'it was deleted then' : 'it did not exist yet'
      return {
        key,
        problem: `has no version ${when} (${why}); set if-missing to delete or skip to allow this`,
      }
    }
    return { key, action: ifMissing === 'delete' ? 'delete' : 'skip', current }
  }
  if (current && !current.isDeleteMarker && current.versionId === wanted?.versionId) {
    return { key, action: 'unchanged', current, wanted }
  }
  if (wanted?.storageClass && ARCHIVE_CLASSES.has(wanted.storageClass)) {
    return { key, problem: archived(wanted.versionId, wanted.storageClass) }
  }
  return { key, action: 'restore', current, wanted }
}

function archived(versionId: string, storageClass: string): string {
  return (
    `version ${versionId} is in the ${storageClass} storage class and cannot be copied until it is ` +
    'restored from archive (aws s3api restore-object)'
  )
}

/**
 * True when the current version is a copy of the wanted one (an earlier rollback made it):
 * same size, same content (ETag or full-object checksum), same content type and metadata.
 * This is what makes running the same rollback twice write nothing the second time.
 */
async function sameAsCurrent(
  s3: S3Client,
  request: ResolveRequest,
  current: VersionEntry | undefined,
  wanted: ObjectFacts,
): Promise<boolean> {
  if (!current || current.isDeleteMarker || current.size !== wanted.size) return false
  if (differentMd5(current, wanted)) return false
  const facts = await headVersion(s3, {
    bucket: request.bucket,
    key: current.key,
    versionId: current.versionId,
    expectedBucketOwner: request.expectedBucketOwner,
  })
  return sameContent(facts, wanted)
}

/**
 * Pure: true when the listing alone shows different bytes: both ETags are plain MD5s (single
 * part) of a source that is not KMS-encrypted, and they differ. Saves a HeadObject per key.
 * (A current version that holds the same bytes under KMS would count as different: one extra
 * copy, never a wrong skip.)
 */
export function differentMd5(current: VersionEntry, wanted: ObjectFacts): boolean {
  const plain = (etag: string | undefined): boolean => /^[0-9a-f]{32}$/i.test(unquote(etag) ?? '')
  const kms = wanted.serverSideEncryption?.startsWith('aws:kms') === true
  return (
    !kms &&
    !wanted.sseCustomerAlgorithm &&
    plain(current.eTag) &&
    plain(wanted.eTag) &&
    unquote(current.eTag) !== unquote(wanted.eTag)
  )
}

/** Pure: whether two versions hold the same bytes, content type and user metadata. */
export function sameContent(a: ObjectFacts, b: ObjectFacts): boolean {
  if (a.size !== b.size || a.contentType !== b.contentType) return false
  if (JSON.stringify(sorted(a.metadata)) !== JSON.stringify(sorted(b.metadata))) return false
  const x = a.checksum
  const y = b.checksum
  if (x && y && x.algorithm === y.algorithm && x.type !== 'COMPOSITE' && y.type !== 'COMPOSITE') {
    return x.value === y.value
  }
  return a.eTag !== undefined && unquote(a.eTag) === unquote(b.eTag)
}

const unquote = (etag: string | undefined): string | undefined => etag?.replace(/^"|"$/g, '')
const sorted = (m: Record<string, string>): Array<[string, string]> =>
  Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1))

async function checkSource(
  s3: S3Client,
  request: ResolveRequest,
  wanted: VersionEntry,
): Promise<ObjectFacts | KeyProblem> {
  const { key, versionId } = wanted
  let facts: ObjectFacts
  try {
    facts = await headVersion(s3, {
      bucket: request.bucket,
      key,
      versionId,
      expectedBucketOwner: request.expectedBucketOwner,
    })
  } catch (e) {
    return { key, problem: `version ${versionId} cannot be read: ${errorMessage(e)}` }
  }
  const restored = facts.restore?.includes('ongoing-request="false"') === true
  if (facts.storageClass && ARCHIVE_CLASSES.has(facts.storageClass) && !restored) {
    return { key, problem: archived(versionId, facts.storageClass) }
  }
  if (facts.sseCustomerAlgorithm) {
    return {
      key,
      problem: `version ${versionId} is encrypted with a customer key (SSE-C), which this action cannot copy`,
    }
  }
  return facts
}
