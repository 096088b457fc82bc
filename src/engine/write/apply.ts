/**
 * Pass 2: the writes. One bounded pool over the plan, whatever its source; landed writes are
 * confirmed from the listing a batch at a time and journalled; the first failure stops new
 * writes, and then every key this run may have changed is put back (putback.ts).
 */
import { untilCancelled } from '../../lib/cancel.js'
import { eachAdaptive } from '../../lib/pool.js'
import { Progress } from '../../lib/progress.js'
import type { Store } from '../../lib/store.js'
import { confirmWrites, type Written } from './confirm.js'
import { writePool, type WriteContext } from './context.js'
import type { RestoreError } from '../errors.js'
import type { PlanItem } from '../plan/decide.js'
import { WriteGuard } from './guard.js'
import { plannedOutcome, type KeyOutcome } from '../plan/manifest.js'
import { putBack, type Candidate, type FinalStates } from './putback.js'
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

/** Writes every planned key (`total` of them), all or nothing. Returns the number of keys written. */
export async function applyPlan(
  ctx: WriteContext,
  plan: AsyncIterable<PlanItem>,
  stores: ApplyStores,
  total: number,
): Promise<number> {
  const guard = new WriteGuard(ctx.log)
  const progress = new Progress('Restored', total, ctx.log)
  const batchSize = ctx.batch ?? 1000
  const pending: Written[] = []
  const failed: Candidate[] = []
  const confirmPending = async (): Promise<void> => {
    const batch = pending.splice(0)
    if (batch.length === 0) return
    await confirmBatch(ctx, batch, stores, failed)
    const [first] = failed
    if (first) throw first.error
  }
  try {
    const pool = writePool(ctx, (item: PlanItem) => item.key, { cancel: ctx.cancel, report: true })
    await eachAdaptive(untilCancelled(plan, ctx.cancel), pool, async (item) => {
      try {
        pending.push({ item, landed: await writeItem(ctx, item, guard) })
      } catch (error) {
        failed.push({ item, attempts: Number.MAX_SAFE_INTEGER, error, unsure: true })
        throw error
      }
      progress.add()
      if (pending.length >= batchSize) await confirmPending()
    })
    // Cancelled while the last writes were in flight: put them back too.
    ctx.cancel?.throwIfRequested()
    await confirmPending()
  } catch (error) {
    progress.finish(
      ctx.cancel?.requested ? `stopped by ${ctx.cancel.requested}` : 'stopped by a failed write',
    )
    throw await putBackAll(ctx, { guard, stores, failed, pending, error })
  }
  progress.finish()
  return stores.journal.count
}

/** Confirms landed writes from the listing: journals each confirmed one, adds the rest to `failed`. */
async function confirmBatch(
  ctx: WriteContext,
  batch: Written[],
  stores: ApplyStores,
  failed: Candidate[],
): Promise<void> {
  const { s3, where, copy, walk, log } = ctx
  for (const result of await confirmWrites(s3, where, batch, { copy, walk })) {
    const { item, landed } = result.written
    if ('error' in result) {
      failed.push({ item, attempts: landed.attempts, newVersionId: landed.versionId, ...result })
      continue
    }
    await recordWrite(stores, item, result)
    log.debug(`${item.key}: ${item.action} → new entry ${result.newVersionId} (${result.check})`)
  }
}

/** After a failed write: every write that may have landed is examined and its key put back. */
async function putBackAll(
  ctx: WriteContext,
  stopped: {
    guard: WriteGuard
    stores: ApplyStores
    /** Writes that failed, or that the listing did not confirm. */
    failed: Candidate[]
    /** Writes that landed and were not confirmed yet (taken from it). */
    pending: Written[]
    /** What stopped the writes. */
    error: unknown
  },
): Promise<RestoreError> {
  const { guard, stores, failed, error } = stopped
  await stores.journal.flush()
  const unconfirmed = stopped.pending.splice(0).map(({ item, landed }): Candidate => ({
    item,
    attempts: landed.attempts,
    newVersionId: landed.versionId,
    unsure: landed.uncertain,
  }))
  const [first] = failed
  return putBack(
    ctx,
    { guard, journal: stores.journal, candidates: [...failed, ...unconfirmed] },
    {
      failure: first ? { item: first.item, error: first.error ?? error } : { error },
      states: stores.states,
    },
  )
}
