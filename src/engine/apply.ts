import type { S3Client } from '@aws-sdk/client-s3'
import { WriteGuard, type WriteResult } from './copy.js'
import { RaceError, RestoreError, errorMessage, type FinalState } from '../lib/errors.js'
import type { CopySettings } from '../settings/types.js'
import { JsonLinesWriter, readJsonLines, reviveDates } from '../lib/jsonl.js'
import type { Logger } from '../lib/log.js'
import type { PlanItem } from './plan.js'
import { eachLimit } from '../lib/pool.js'
import { Progress } from '../lib/progress.js'
import {
  landedVersion,
  plannedOutcome,
  putBackOne,
  write,
  type KeyOutcome,
  type PlanTarget,
} from './restore.js'

/** Final states kept in memory (and so in the error message); all are in the states file. */
export const STATES_KEPT = 100

/** Revives the Date fields of a PlanItem read back from JSON. */
export const revivePlanItem = reviveDates(['lastModified', 'expires'])

/** One line of the journal: a write that landed, and what was current before it. */
export interface JournalEntry {
  item: PlanItem
  newVersionId: string
}

/** The files pass 2 reads and writes. */
export interface ApplyFiles {
  /** The plan from pass 1 (one PlanItem per key to write). */
  plan: string
  /** Every write that landed, appended as it lands: what a put-back reads. */
  journal: JsonLinesWriter
  /** Manifest rows of the keys written. */
  outcomes: JsonLinesWriter
  /** Where the final state of each key goes when the run fails. */
  states: string
}

/** How pass 2 writes: keys at once, and how many there are (for progress). */
export interface ApplyOptions {
  concurrency: number
  /** Keys in the plan file (for progress). */
  total: number
}

/**
 * Pass 2 of a prefix rollback: writes the planned keys from the plan file, `concurrency` at a
 * time, journalling each write. All or nothing: when a write fails, no new write starts, and
 * every key in the journal is put back to what was current before (by adding versions, never
 * removing any). The RestoreError carries the first STATES_KEPT final states; the states file
 * has all of them. Returns the number of keys written.
 */
export async function applyPlan(
  s3: S3Client,
  target: PlanTarget,
  settings: CopySettings,
  files: ApplyFiles,
  options: ApplyOptions,
  log: Logger,
): Promise<number> {
  const guard = new WriteGuard(log)
  const progress = new Progress('Restored', options.total, log)
  const failures: Failure[] = []
  const items = readJsonLines<PlanItem>(files.plan, revivePlanItem)
  try {
    await eachLimit(items, options.concurrency, async (item) => {
      let result: WriteResult
      try {
        result = await write(s3, target, item, settings, guard, log)
      } catch (error) {
        failures.push({ item, error })
        throw error
      }
      await files.journal.write({ item, newVersionId: result.newVersionId } as JournalEntry)
      await files.outcomes.write(written(item, result))
      log.debug(`${item.key}: ${item.action} → new entry ${result.newVersionId}`)
      progress.add()
    })
  } catch (error) {
    progress.finish('stopped by a failed write')
    await files.journal.flush()
    if (failures.length === 0) failures.push({ error })
    const { concurrency } = options
    throw await putBackAll(s3, target, settings, { guard, files, failures, concurrency }, log)
  }
  progress.finish()
  return files.journal.count
}

/** The manifest row of a key this run wrote. */
export function written(item: PlanItem, result: WriteResult): KeyOutcome {
  return { ...plannedOutcome(item), newVersionId: result.newVersionId, check: result.check }
}

interface Failure {
  item?: PlanItem
  error: unknown
}

/**
 * Puts back every key in the journal (and each failed key whose write landed after all),
 * writes each final state to the states file, and builds the error (about the first failure).
 */
async function putBackAll(
  s3: S3Client,
  target: PlanTarget,
  settings: CopySettings,
  run: { guard: WriteGuard; files: ApplyFiles; failures: Failure[]; concurrency: number },
  log: Logger,
): Promise<RestoreError> {
  const { guard, files, failures } = run
  const states = await JsonLinesWriter.create(files.states)
  const kept: FinalState[] = []
  const record = async (state: FinalState): Promise<void> => {
    await states.write(state)
    if (kept.length < STATES_KEPT) kept.push(state)
  }
  const toPutBack: JournalEntry[] = []
  for (const { item, error } of failures) {
    if (!item) continue
    if (error instanceof RaceError) {
      await record({ key: item.key, state: `left as is: ${errorMessage(error)}` })
      continue
    }
    const ours = await landedVersion(s3, target, item)
    if (ours) toPutBack.push({ item, newVersionId: ours.versionId })
    else
      await record({
        key: item.key,
        state: `not changed (the write failed: ${errorMessage(error)})`,
      })
  }
  const journalled = files.journal.count + toPutBack.length
  log.warning(`Putting back ${journalled} key(s) changed by this run`)
  const progress = new Progress('Put back', journalled, log)
  const entries = concat(toPutBack, readJsonLines<JournalEntry>(files.journal.path, revivePlanItem))
  // Put-backs do not stop at a failure: each key gets its own final state.
  await eachLimit(entries, run.concurrency, async (entry) => {
    const result = { newVersionId: entry.newVersionId }
    const state = await putBackOne(s3, target, settings, guard, entry.item, result, log)
    await record({ key: entry.item.key, state })
    progress.add()
  })
  progress.finish()
  const rest = 'every other key: not changed (no write was made to it)'
  await states.write({ key: '*', state: rest })
  await states.close()
  const shown = [...kept]
  if (states.count - 1 > kept.length) {
    shown.push({
      key: `(${states.count - 1 - kept.length} more)`,
      state: `listed in ${files.states}`,
    })
  }
  shown.push({ key: '(every other key)', state: 'not changed' })
  const [first] = failures
  return new RestoreError(first.error, first.item?.key ?? '(unknown)', shown)
}

async function* concat<T>(first: T[], rest: AsyncIterable<T>): AsyncGenerator<T> {
  yield* first
  yield* rest
}
