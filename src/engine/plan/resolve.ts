/** Resolving one key: the decision from its listing, plus a HeadObject where only that can tell. */
import type { S3Client } from '@aws-sdk/client-s3'
import { errorMessage } from '../../lib/errors.js'
import { type KeyProblem } from '../errors.js'
import type { KeyHistory, VersionEntry } from '../../s3/listing.js'
import { sameBytes } from '../../history/content.js'
import type { RecordedCopies } from '../../history/runs.js'
import { headVersion, type ObjectFacts } from '../../s3/objects.js'
import type { IfMissing, ResolvedTarget } from '../../settings/types.js'
import { decide, mayBeSame, needsSourceCheck, sourceProblem, type PlanItem } from './decide.js'

/** Where and to what keys are resolved. */
export interface ResolveRequest {
  /** The bucket written (in place: the bucket rolled back). */
  bucket: string
  /** The bucket the versions are read from, when it is not `bucket` (a destination run). */
  from?: string
  expectedBucketOwner?: string
  target: ResolvedTarget
  ifMissing: IfMissing
  /**
   * HeadObject every version to restore (a dry run: the plan an approver reads has checked
   * every source). Otherwise only where the listing cannot tell (archive classes, equal sizes).
   */
  checkSources?: boolean
  /**
   * What recent runs recorded of their own copies (history/runs.ts): where the content rule
   * cannot tell from the store's facts (SSE-KMS ETags, no checksums), a current entry that a run
   * recorded as its copy of the wanted version is that version.
   */
  copies?: RecordedCopies
}

/**
 * One key: `decide()` on its history; for a restore, a HeadObject of the source when the
 * listing cannot tell whether it can be copied, and of both versions when they have the same
 * size but different ETags (the current one may be a copy of it after all).
 */
export async function resolveKey(
  s3: S3Client,
  request: ResolveRequest,
  history: { key: string; entries: readonly VersionEntry[]; destination?: KeyHistory },
): Promise<PlanItem | KeyProblem> {
  const { key, entries, destination } = history
  const rule = { ifMissing: request.ifMissing }
  const decided = decide(key, entries, request.target, rule, destination)
  if ('problem' in decided) return { key, problem: decided.problem }
  if (decided.action !== 'restore' || !decided.wanted) return decided
  const { wanted, current } = decided
  if (request.from !== undefined) decided.from = request.from
  if (request.copies && recordedCopy(request.copies, { ...decided, wanted })) {
    return { ...decided, action: 'unchanged' }
  }
  const same = mayBeSame(current, wanted)
  if (!request.checkSources && !needsSourceCheck(wanted) && !same) return decided
  let source: ObjectFacts
  try {
    source = await head(s3, request, request.from ?? request.bucket, wanted)
  } catch (e) {
    return { key, problem: `version ${wanted.versionId} cannot be read: ${errorMessage(e)}` }
  }
  const problem = sourceProblem(wanted.versionId, source)
  if (problem) return { key, problem }
  decided.source = source
  if (same && current && sameObject(await head(s3, request, request.bucket, current), source)) {
    decided.action = 'unchanged'
  }
  return decided
}

/** Recorded copies of copies are followed this far back (a key restored, then restored again). */
const HOPS = 8

/**
 * Pure: whether run records show that the key's current entry is a copy of the wanted version
 * (directly, or a copy of a recorded copy of it), while the content rule does not find them
 * different (their sizes). A copy from another key or bucket (a destination run) matches only
 * that key's version in that bucket (`item.from`).
 */
export function recordedCopy(
  copies: RecordedCopies,
  item: Pick<PlanItem, 'key' | 'current' | 'from'> & { wanted: VersionEntry },
): boolean {
  const { key, current, wanted } = item
  if (!current || current.isDeleteMarker || !mayBeSame(current, wanted)) return false
  const inPlace = item.from === undefined && wanted.key === key
  let versionId: string | null | undefined = current.versionId
  for (let hop = 0; hop < HOPS && versionId; hop++) {
    const origin = copies.originOf?.(key, versionId)
    if (origin) {
      return (
        origin.bucket === item.from &&
        origin.key === wanted.key &&
        origin.versionId === wanted.versionId
      )
    }
    versionId = copies.sourceOf(key, versionId)
    if (inPlace && versionId === wanted.versionId) return true
  }
  return false
}

function head(
  s3: S3Client,
  request: ResolveRequest,
  bucket: string,
  entry: VersionEntry,
): Promise<ObjectFacts> {
  return headVersion(s3, {
    bucket,
    key: entry.key,
    versionId: entry.versionId,
    expectedBucketOwner: request.expectedBucketOwner,
  })
}

/**
 * Pure: the current version already is the wanted one as a restore would make it: the same
 * bytes by the content rule, and the same content type and user metadata (which a copy keeps).
 */
export function sameObject(a: ObjectFacts, b: ObjectFacts): boolean {
  return sameHeaders(a, b) && sameBytes(a, b, 'head').same === true
}

/** Pure: the same content type and user metadata (what a copy keeps of its source). */
export function sameHeaders(a: ObjectFacts, b: ObjectFacts): boolean {
  if (a.contentType !== b.contentType) return false
  return JSON.stringify(sorted(a.metadata)) === JSON.stringify(sorted(b.metadata))
}

const sorted = (m: Record<string, string>): Array<[string, string]> =>
  Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1))
