import type { S3Client } from '@aws-sdk/client-s3'
import {
  addDeleteMarker,
  describe,
  ownCopies,
  restoreVersion,
  runPool,
  WriteGuard,
  type WriteRequest,
  type WriteResult,
} from './copy.js'
import { RaceError, RestoreError, errorMessage, type FinalState } from '../lib/errors.js'
import type { CopySettings } from '../settings/types.js'
import { keyHistory, type VersionEntry } from '../s3/listing.js'
import type { Logger } from '../lib/log.js'
import { headVersion } from '../s3/objects.js'
import { MAX_ATTEMPTS } from '../s3/client.js'
import type { Plan, PlanItem } from './plan.js'
import { isAbsent } from './select.js'

export type OutcomeAction = 'restored' | 'deleted' | 'unchanged' | 'skipped'

/** What happened to one key (one row of the manifest). */
export interface KeyOutcome {
  key: string
  action: OutcomeAction
  /** The version current before the run; null when the key did not exist (or was deleted). */
  previousVersionId: string | null
  /** The version that is current after the run because of the target; null when absent. */
  restoredVersionId: string | null
  /** The version or delete marker this run wrote; null when nothing was written. */
  newVersionId: string | null
  size: number | null
  eTag: string | null
  /** LastModified of the restored version. */
  lastModified: string | null
  /** How the new version was checked against its source. */
  check?: string
}

export interface ExecuteOptions {
  /** Keys written at once. */
  concurrency: number
}

const ACTIONS: Record<PlanItem['action'], OutcomeAction> = {
  restore: 'restored',
  delete: 'deleted',
  unchanged: 'unchanged',
  skip: 'skipped',
}

/** The manifest row for a planned item, before (or without) any write. */
export function plannedOutcome(item: PlanItem): KeyOutcome {
  const wanted = item.action === 'delete' || item.action === 'skip' ? undefined : item.wanted
  return {
    key: item.key,
    action: ACTIONS[item.action],
    previousVersionId: isAbsent(item.current) ? null : (item.current?.versionId ?? null),
    restoredVersionId: wanted?.versionId ?? null,
    newVersionId: null,
    size: item.source?.size ?? wanted?.size ?? null,
    eTag: item.source?.eTag ?? wanted?.eTag ?? null,
    lastModified: wanted?.lastModified.toISOString() ?? null,
  }
}

/**
 * Carries out a plan. All or nothing: when a write fails, every key this run already changed
 * is put back to what was current before (by adding versions, never removing any), and a
 * RestoreError lists each key's final state.
 */
export async function executePlan(
  s3: S3Client,
  plan: Plan,
  settings: CopySettings,
  options: ExecuteOptions,
  log: Logger,
): Promise<KeyOutcome[]> {
  const outcomes = plan.items.map(plannedOutcome)
  const writes = plan.items
    .map((item, index) => ({ item, index }))
    .filter(({ item }) => item.action === 'restore' || item.action === 'delete')
  const guard = new WriteGuard(log)
  const landed: Array<{ item: PlanItem; result: WriteResult }> = []
  let failure: { key: string; error: unknown } | undefined
  try {
    await runPool(writes.length, options.concurrency, async (i) => {
      const { item, index } = writes[i]
      try {
        const result = await write(s3, plan, item, settings, guard, log)
        landed.push({ item, result })
        outcomes[index] = {
          ...outcomes[index],
          newVersionId: result.newVersionId,
          check: result.check,
        }
        log.info(
          `${outcomes[index].action} ${item.key}: ${describe(item.wanted ?? undefined)} ` +
            `→ new ${item.action === 'delete' ? 'delete marker' : 'version'} ${result.newVersionId}` +
            (result.check
              ? ` (checked: ${result.check}${result.multipart ? ', multipart copy' : ''})`
              : ''),
        )
      } catch (error) {
        failure ??= { key: item.key, error }
        throw error
      }
    })
  } catch (error) {
    const failed = failure ?? { key: '(unknown)', error }
    throw await putBack(s3, plan, settings, guard, landed, failed, log)
  }
  return outcomes
}

/** The bucket a write goes to (a Plan without its items). */
export type PlanTarget = Pick<Plan, 'bucket' | 'expectedBucketOwner'>

/** One planned write: a restore (copy) or a delete marker. */
export function write(
  s3: S3Client,
  plan: PlanTarget,
  item: PlanItem,
  settings: CopySettings,
  guard: WriteGuard,
  log: Logger,
): Promise<WriteResult> {
  const request: WriteRequest = {
    bucket: plan.bucket,
    key: item.key,
    expectedBucketOwner: plan.expectedBucketOwner,
    expected: item.current,
  }
  if (item.action === 'delete') return addDeleteMarker(s3, request, guard)
  if (!item.wanted || !item.source) throw new Error(`${item.key}: restore planned without a source`)
  return restoreVersion(
    s3,
    { ...request, versionId: item.wanted.versionId, source: item.source },
    settings,
    guard,
    log,
  )
}

/** Puts every key this run changed back to its state before the run; builds the error. */
async function putBack(
  s3: S3Client,
  plan: Plan,
  settings: CopySettings,
  guard: WriteGuard,
  landed: Array<{ item: PlanItem; result: WriteResult }>,
  failed: { key: string; error: unknown },
  log: Logger,
): Promise<RestoreError> {
  const states = new Map<string, string>()
  const failedItem = plan.items.find((i) => i.key === failed.key)
  if (failed.error instanceof RaceError) {
    states.set(failed.key, `left as is: ${errorMessage(failed.error)}`)
  } else if (failedItem) {
    const ours = await landedVersion(s3, plan, failedItem)
    if (ours) landed.push({ item: failedItem, result: { newVersionId: ours.versionId } })
    else states.set(failed.key, `not changed (the write failed: ${errorMessage(failed.error)})`)
  }
  log.warning(`Putting back ${landed.length} key(s) changed by this run`)
  for (const { item, result } of [...landed].reverse()) {
    states.set(item.key, await putBackOne(s3, plan, settings, guard, item, result, log))
  }
  const finalStates: FinalState[] = plan.items.map((item) => ({
    key: item.key,
    state: states.get(item.key) ?? `not changed (current: ${describe(item.current)})`,
  }))
  return new RestoreError(failed.error, failed.key, finalStates)
}

/**
 * Our version, if the failed write landed after all: the newest entries are what this write
 * makes (a delete marker, or a copy of the wanted version's size and ETag; more than one when
 * the SDK retried a write that had landed) and the entry below them is the one planned on.
 */
export async function landedVersion(
  s3: S3Client,
  plan: PlanTarget,
  item: PlanItem,
): Promise<VersionEntry | undefined> {
  try {
    const entries = await keyHistory(
      s3,
      plan.bucket,
      item.key,
      plan.expectedBucketOwner,
      MAX_ATTEMPTS + 1,
    )
    const [newest] = entries
    if (!newest || newest.versionId === item.current?.versionId || !isOurs(newest, item)) {
      return undefined
    }
    const copies = ownCopies(entries, MAX_ATTEMPTS, item.current?.versionId)
    return entries[copies]?.versionId === item.current?.versionId ? newest : undefined
  } catch {
    return undefined
  }
}

/** Whether an entry is what the planned write would make. */
function isOurs(entry: VersionEntry, item: PlanItem): boolean {
  if (item.action === 'delete') return entry.isDeleteMarker
  const size = item.source?.size ?? item.wanted?.size
  return !entry.isDeleteMarker && entry.size === size
}

/** Puts one key back to `item.current`; returns its final state in words. */
export async function putBackOne(
  s3: S3Client,
  plan: PlanTarget,
  settings: CopySettings,
  guard: WriteGuard,
  item: PlanItem,
  result: WriteResult,
  log: Logger,
): Promise<string> {
  const previous = item.current
  const [ours] = await keyHistory(s3, plan.bucket, item.key, plan.expectedBucketOwner, 1).catch(
    () => [],
  )
  const request: WriteRequest = {
    bucket: plan.bucket,
    key: item.key,
    expectedBucketOwner: plan.expectedBucketOwner,
    expected: ours,
  }
  try {
    if (ours?.versionId !== result.newVersionId) {
      throw new RaceError(
        item.key,
        `changed by another writer after this run (now ${describe(ours)})`,
      )
    }
    let back: WriteResult
    if (isAbsent(previous)) {
      back = await addDeleteMarker(s3, request, guard)
    } else {
      const versionId = previous?.versionId ?? 'null'
      const source = await headVersion(s3, {
        bucket: plan.bucket,
        key: item.key,
        versionId,
        expectedBucketOwner: plan.expectedBucketOwner,
      })
      back = await restoreVersion(s3, { ...request, versionId, source }, settings, guard, log)
    }
    return `put back to ${describe(previous)} (new entry ${back.newVersionId}; this run's ${result.newVersionId} stays in the history)`
  } catch (e) {
    return (
      `NOT put back: ${errorMessage(e)}; this run's ${result.newVersionId} is current, ` +
      `${describe(previous)} is in the history`
    )
  }
}
