/** Resolving one key: the decision from its listing, plus a HeadObject where only that can tell. */
import type { S3Client } from '@aws-sdk/client-s3'
import { errorMessage } from '../../lib/errors.js'
import { type KeyProblem } from '../errors.js'
import type { VersionEntry } from '../../s3/listing.js'
import { sameBytes } from '../../history/content.js'
import { headVersion, type ObjectFacts } from '../../s3/objects.js'
import type { IfMissing, ResolvedTarget } from '../../settings/types.js'
import { decide, mayBeSame, needsSourceCheck, sourceProblem, type PlanItem } from './decide.js'

/** Where and to what keys are resolved. */
export interface ResolveRequest {
  bucket: string
  expectedBucketOwner?: string
  target: ResolvedTarget
  ifMissing: IfMissing
  /**
   * HeadObject every version to restore (a dry run: the plan an approver reads has checked
   * every source). Otherwise only where the listing cannot tell (archive classes, equal sizes).
   */
  checkSources?: boolean
}

/**
 * One key: `decide()` on its history; for a restore, a HeadObject of the source when the
 * listing cannot tell whether it can be copied, and of both versions when they have the same
 * size but different ETags (the current one may be a copy of it after all).
 */
export async function resolveKey(
  s3: S3Client,
  request: ResolveRequest,
  key: string,
  entries: readonly VersionEntry[],
): Promise<PlanItem | KeyProblem> {
  const decided = decide(key, entries, request.target, { ifMissing: request.ifMissing })
  if ('problem' in decided) return { key, problem: decided.problem }
  if (decided.action !== 'restore' || !decided.wanted) return decided
  const { wanted, current } = decided
  const same = mayBeSame(current, wanted)
  if (!request.checkSources && !needsSourceCheck(wanted) && !same) return decided
  let source: ObjectFacts
  try {
    source = await head(s3, request, wanted)
  } catch (e) {
    return { key, problem: `version ${wanted.versionId} cannot be read: ${errorMessage(e)}` }
  }
  const problem = sourceProblem(wanted.versionId, source)
  if (problem) return { key, problem }
  decided.source = source
  if (same && current && sameObject(await head(s3, request, current), source)) {
    decided.action = 'unchanged'
  }
  return decided
}

function head(s3: S3Client, request: ResolveRequest, entry: VersionEntry): Promise<ObjectFacts> {
  return headVersion(s3, {
    bucket: request.bucket,
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
  if (a.contentType !== b.contentType) return false
  if (JSON.stringify(sorted(a.metadata)) !== JSON.stringify(sorted(b.metadata))) return false
  return sameBytes(a, b, 'head').same === true
}

const sorted = (m: Record<string, string>): Array<[string, string]> =>
  Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1))
