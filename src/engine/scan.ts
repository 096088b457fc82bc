import type { S3Client } from '@aws-sdk/client-s3'
import type { KeyProblem } from '../lib/errors.js'
import type { JsonLinesWriter } from '../lib/jsonl.js'
import { keyHistories } from '../s3/listing.js'
import type { Logger } from '../lib/log.js'
import { resolveKey, type Action, type PlanItem, type ResolveRequest } from './plan.js'
import { eachLimit } from '../lib/pool.js'
import { Progress } from '../lib/progress.js'
import { plannedOutcome } from './restore.js'

/** Problems kept in memory (and so in the error); the rest are only counted. */
export const PROBLEMS_KEPT = 100

/** What pass 1 found under a prefix. Everything else went to the files it was given. */
export interface ScanResult {
  /** Keys under the prefix (with any history at all). */
  keys: number
  /** Versions and delete markers listed. */
  versions: number
  /** Keys per planned action. */
  actions: Record<Action, number>
  /** The first PROBLEMS_KEPT keys that cannot be rolled back. */
  problems: KeyProblem[]
  problemCount: number
}

/** Where pass 1 spills: writes to do, and manifest rows of keys that need none. */
export interface ScanFiles {
  /** One PlanItem per key to write (restore or delete). */
  plan: JsonLinesWriter
  /** One KeyOutcome per key left as is (unchanged or skipped). */
  outcomes: JsonLinesWriter
}

/** What pass 1 resolves: the bucket, the target, the prefix and how many keys at once. */
export interface ScanRequest extends ResolveRequest {
  prefix: string
  /** Keys resolved at once (each restore HEADs its source, and the current version on a size match). */
  concurrency: number
  /** Versions per listing page (S3's maximum, 1000, unless a test asks for less). */
  pageSize?: number
}

/**
 * Pass 1 of a prefix rollback: streams the listing page by page and resolves each key with
 * `resolveKey` (the same decision as a `keys` run), spilling the plan to files. Memory holds
 * one page and the keys in flight, whatever the size of the prefix. Writes nothing to S3.
 */
export async function scanPrefix(
  s3: S3Client,
  request: ScanRequest,
  files: ScanFiles,
  log: Logger,
): Promise<ScanResult> {
  const result: ScanResult = {
    keys: 0,
    versions: 0,
    actions: { restore: 0, delete: 0, unchanged: 0, skip: 0 },
    problems: [],
    problemCount: 0,
  }
  const progress = new Progress('Resolved', undefined, log)
  const histories = keyHistories(s3, {
    bucket: request.bucket,
    prefix: request.prefix,
    expectedBucketOwner: request.expectedBucketOwner,
    pageSize: request.pageSize,
  })
  await eachLimit(histories, request.concurrency, async ({ key, entries }) => {
    result.keys++
    result.versions += entries.length
    const resolved = await resolveKey(s3, request, key, entries)
    if ('problem' in resolved) {
      result.problemCount++
      if (result.problems.length < PROBLEMS_KEPT) result.problems.push(resolved)
    } else {
      result.actions[resolved.action]++
      await spill(resolved, files)
    }
    progress.add(1, `${result.versions} versions listed, ${writes(result)} to write`)
  })
  progress.finish(`${result.versions} versions listed, ${writes(result)} to write`)
  return result
}

function writes(result: ScanResult): number {
  return result.actions.restore + result.actions.delete
}

async function spill(item: PlanItem, files: ScanFiles): Promise<void> {
  if (item.action === 'restore' || item.action === 'delete') await files.plan.write(item)
  else await files.outcomes.write(plannedOutcome(item))
}
