/**
 * Pass 2: the writes. One bounded pool over the plan, whatever its source; landed writes are
 * confirmed from the listing a batch at a time and journalled; the first failure stops new
 * writes, and then every key this run may have changed is put back (putback.ts).
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { untilCancelled, type Cancellation } from '../../lib/cancel.js'
import type { Logger } from '../../lib/log.js'
import { eachLimit } from '../../lib/pool.js'
import { Progress } from '../../lib/progress.js'
import type { Store } from '../../lib/store.js'
import type { CopySettings } from '../../settings/types.js'
import { confirmWrites, type WalkOptions, type Written } from './confirm.js'
import type { PlanItem } from '../plan/decide.js'
import { WriteGuard } from './guard.js'
import { plannedOutcome, type KeyOutcome } from '../plan/manifest.js'
import { putBack, type Candidate, type FinalStates } from './putback.js'
import type { Where } from '../../history/sources.js'
import { writeItem } from './write.js'

/** One line of the journal: a confirmed write, and what was current before it (in `item`). */
export interface JournalEntry {
  item: PlanItem
  newVersionId: string
}

/** Where pass 2 records what it did. */
export interface ApplyStores {
  /** Every confirmed write, as it is confirmed: what a put-back reads. */
  journal: Store<JournalEntry>
  /** Manifest rows of the keys written. */
  outcomes: Store<KeyOutcome>
  /** Final states, when the run fails. */
  states: FinalStates
}

export interface ApplyOptions {
  /** Keys written at once. */
  concurrency: number
  /** Keys in the plan (for progress). */
  total: number
  /** Writes confirmed per listing walk (default 1000: about a page of keys). */
  batch?: number
  /** Retries of a failed listing walk (tests shorten the pauses). */
  walk?: WalkOptions
  /** Stops new writes when set, and then the put-back once urgent. */
  cancel?: Cancellation
}

/** A confirmed write: a journal line (what a put-back reads) and the key's manifest row. */
export async function recordWrite(
  stores: Omit<ApplyStores, 'states'>,
  item: PlanItem,
  confirmed: { newVersionId: string; check: string },
): Promise<void> {
  const { newVersionId, check } = confirmed
  await stores.journal.write({ item, newVersionId })
  await stores.outcomes.write({ ...plannedOutcome(item), newVersionId, check })
}

/** Writes every planned key, all or nothing. Returns the number of keys written. */
export async function applyPlan(
  s3: S3Client,
  where: Where,
  settings: CopySettings,
  plan: AsyncIterable<PlanItem>,
  stores: ApplyStores,
  options: ApplyOptions,
  log: Logger,
): Promise<number> {
  const guard = new WriteGuard(log)
  const progress = new Progress('Restored', options.total, log)
  const batchSize = options.batch ?? 1000
  const pending: Written[] = []
  const failed: Candidate[] = []
  const confirmPending = async (): Promise<void> => {
    const batch = pending.splice(0)
    if (batch.length === 0) return
    for (const result of await confirmWrites(s3, where, batch, {
      copy: settings,
      walk: options.walk,
    })) {
      const { item, landed } = result.written
      if ('error' in result) {
        failed.push({ item, attempts: landed.attempts, newVersionId: landed.versionId, ...result })
        continue
      }
      await recordWrite(stores, item, result)
      log.debug(`${item.key}: ${item.action} → new entry ${result.newVersionId} (${result.check})`)
    }
    const [first] = failed
    if (first) throw first.error
  }
  try {
    await eachLimit(untilCancelled(plan, options.cancel), options.concurrency, async (item) => {
      try {
        pending.push({ item, landed: await writeItem(s3, where, item, settings, guard) })
      } catch (error) {
        failed.push({ item, attempts: Number.MAX_SAFE_INTEGER, error, unsure: true })
        throw error
      }
      progress.add()
      if (pending.length >= batchSize) await confirmPending()
    })
    await confirmPending()
  } catch (error) {
    progress.finish(
      options.cancel?.requested
        ? `stopped by ${options.cancel.requested}`
        : 'stopped by a failed write',
    )
    await stores.journal.flush()
    const unconfirmed = pending.splice(0).map(({ item, landed }): Candidate => ({
      item,
      attempts: landed.attempts,
      newVersionId: landed.versionId,
      unsure: landed.uncertain,
    }))
    const [first] = failed
    throw await putBack(
      s3,
      where,
      settings,
      { guard, journal: stores.journal, candidates: [...failed, ...unconfirmed] },
      {
        failure: first ? { item: first.item, error: first.error ?? error } : { error },
        states: stores.states,
        ...options,
      },
      log,
    )
  }
  progress.finish()
  return stores.journal.count
}
