/**
 * All or nothing: after a failed write, every key this run changed is put back to the entry
 * that was current before the run, by adding versions (never removing any). Every write that
 * may have landed is examined, a listing page at a time: the journal's confirmed writes, writes
 * not yet confirmed, and each failed write (its reply may have been lost after S3 did it).
 * A key whose listing keeps failing is reported as unknown, with what to run to converge.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { errorMessage } from '../../lib/errors.js'
import { RaceError, RestoreError, type FinalState } from '../errors.js'
import type { Cancellation } from '../../lib/cancel.js'
import type { Logger } from '../../lib/log.js'
import { eachLimit } from '../../lib/pool.js'
import type { Store } from '../../lib/store.js'
import type { VersionEntry } from '../../s3/listing.js'
import type { CopySettings } from '../../settings/types.js'
import { confirmWrites, ownCopies, sameWrite, type WalkOptions, type Written } from './confirm.js'
import { walkKeys } from '../../history/sources.js'
import type { PlanItem } from '../plan/decide.js'
import type { WriteGuard } from './guard.js'
import { describe, isAbsent } from '../../history/select.js'
import type { Where } from '../../history/sources.js'
import { writeItem } from './write.js'

/** A write that may have changed its key. */
export interface Candidate {
  item: PlanItem
  /** How many identical entries on top may be this write's (the SDK's attempts). */
  attempts: number
  /** The entry it made, when known (confirmed, or reported by the store). */
  newVersionId?: string
  /** Why it failed, if it did; a RaceError means another writer's entry is current. */
  error?: unknown
  /** Whether it landed is not known: only the listing can tell. */
  unsure?: boolean
}

/** Final states kept in memory (and so in the error message); the store has all of them. */
export const STATES_KEPT = 100

/** Where final states go (a file for large runs). */
export type FinalStates = Store<FinalState>

/** The writes to examine, and the guard for the writes that put keys back. */
export interface PutBackRun {
  guard: WriteGuard
  journal: Store<{ item: PlanItem; newVersionId: string }>
  candidates: Candidate[]
}

export interface PutBackOptions {
  /** The failure that stopped the run (reported as the cause). */
  failure: { item?: PlanItem; error: unknown }
  states: FinalStates
  concurrency: number
  batch?: number
  walk?: WalkOptions
  /** Once urgent (a second signal, or the deadline), no more put-back writes are started. */
  cancel?: Cancellation
}

/** Puts every changed key back, records each key's final state, and returns the run's error. */
export async function putBack(
  s3: S3Client,
  where: Where,
  settings: CopySettings,
  run: PutBackRun,
  options: PutBackOptions,
  log: Logger,
): Promise<RestoreError> {
  const kept: FinalState[] = []
  const tally = { putBack: 0, notPutBack: 0 }
  const record = async (state: FinalState): Promise<void> => {
    await options.states.write(state)
    if (kept.length < STATES_KEPT) kept.push(state)
    if (state.state.startsWith('put back to')) tally.putBack++
    if (/^(NOT put back|unknown)/.test(state.state)) tally.notPutBack++
  }
  log.warning(
    `Putting back the keys this run changed (${run.journal.count} confirmed, ` +
      `${run.candidates.length} to examine)`,
  )
  const size = options.batch ?? 1000
  let chunk: Candidate[] = []
  const flush = async (): Promise<void> => {
    await putBackChunk(s3, where, settings, run.guard, chunk, options, record)
    chunk = []
  }
  for (const candidate of run.candidates) {
    chunk.push(candidate)
    if (chunk.length >= size) await flush()
  }
  for await (const { item, newVersionId } of run.journal.read()) {
    chunk.push({ item, attempts: 1, newVersionId })
    if (chunk.length >= size) await flush()
  }
  await flush()
  await options.states.write({
    key: '*',
    state: 'every other key: not changed (no write was made to it)',
  })
  await options.states.close()
  const shown = [...kept]
  const more = options.states.count - 1 - kept.length
  if (more > 0) {
    shown.push({ key: `(${more} more)`, state: `listed in ${options.states.path ?? 'the log'}` })
  }
  shown.push({ key: '(every other key)', state: 'not changed' })
  const { failure } = options
  return new RestoreError({
    cause: failure.error,
    failedKey: failure.item?.key ?? '(unknown)',
    finalStates: shown,
    statesFile: options.states.path,
    ...tally,
  })
}

/** What the listing says of a candidate before putting it back. */
type Found = { ours: VersionEntry } | { state: string }

/** Pure: whether a candidate's write is the current entry of its key (and so to be put back). */
export function examine(entries: readonly VersionEntry[], c: Candidate): Found {
  const [newest] = entries
  const planned = c.item.current?.versionId
  if (c.error instanceof RaceError) return { state: `left as is: ${errorMessage(c.error)}` }
  if (c.newVersionId !== undefined && !c.unsure) {
    if (newest?.versionId === c.newVersionId) return { ours: newest }
    return {
      state:
        `left as is: changed by another writer after this run (now ${describe(newest)}); ` +
        `this run's ${c.newVersionId} stays in the history`,
    }
  }
  if (newest?.versionId === planned) {
    return { state: `not changed (the write failed: ${errorMessage(c.error ?? 'no reply')})` }
  }
  const ours = newest !== undefined && madeBy(newest, c.item)
  if (ours && entries[ownCopies(entries, c.attempts, planned)]?.versionId === planned) {
    return { ours: newest }
  }
  return {
    state: `left as is: changed by another writer (now ${describe(newest)}, planned on ${describe(c.item.current)})`,
  }
}

/** Whether an entry is what the planned write makes: a delete marker, or a copy of `wanted`. */
function madeBy(entry: VersionEntry, item: PlanItem): boolean {
  if (item.action === 'delete') return entry.isDeleteMarker
  return !!item.wanted && sameWrite(entry, item.wanted)
}

async function putBackChunk(
  s3: S3Client,
  where: Where,
  settings: CopySettings,
  guard: WriteGuard,
  chunk: Candidate[],
  options: PutBackOptions,
  record: (state: FinalState) => Promise<void>,
): Promise<void> {
  if (chunk.length === 0) return
  const byKey = new Map(chunk.map((c) => [c.item.key, c]))
  const back: Array<{ c: Candidate; ours: VersionEntry }> = []
  const unlisted = await walkKeys(s3, where, [...byKey.keys()], options.walk ?? {}, async (h) => {
    const c = byKey.get(h.key)
    if (!c) return
    const found = examine(h.entries, c)
    if ('state' in found) await record({ key: h.key, state: found.state })
    else back.push({ c, ours: found.ours })
  })
  for (const [key, error] of unlisted) await record({ key, state: unknown(byKey.get(key), error) })
  await writeBack(s3, where, settings, guard, back, options, record)
}

/**
 * The put-back writes, confirmed from the listing. A write that fails (an outage can outlast the
 * SDK's retries, and its retry budget) is looked up again after a pause: written after all, it
 * counts; still not written, it is tried again, up to the walk's retries.
 */
async function writeBack(
  s3: S3Client,
  where: Where,
  settings: CopySettings,
  guard: WriteGuard,
  back: Array<{ c: Candidate; ours: VersionEntry }>,
  options: PutBackOptions,
  record: (state: FinalState) => Promise<void>,
): Promise<void> {
  const retries = options.walk?.retries ?? 5
  let pause = options.walk?.pauseMs ?? 2000
  let todo = back.map(({ c, ours }) => ({ ours, item: reverse(c.item, ours) }))
  for (let round = 0; todo.length > 0; round++) {
    const written: Written[] = []
    const failed: Array<{ ours: VersionEntry; item: PlanItem; error: unknown }> = []
    await eachLimit(todo, options.concurrency, async ({ ours, item }) => {
      if (options.cancel?.urgent) {
        await record({ key: item.key, state: notPutBack(item, CUT_SHORT) })
        return
      }
      try {
        written.push({ item, landed: await writeItem(s3, where, item, settings, guard) })
      } catch (error) {
        failed.push({ ours, item, error })
      }
    })
    for (const result of await confirmWrites(s3, where, written, {
      copy: settings,
      walk: options.walk,
    })) {
      const { item } = result.written
      await record({
        key: item.key,
        state:
          'error' in result ? notPutBack(item, result.error) : putBackTo(item, result.newVersionId),
      })
    }
    todo = []
    if (failed.length === 0) break
    if (options.cancel?.urgent) {
      for (const f of failed) await record({ key: f.item.key, state: notPutBack(f.item, f.error) })
      break
    }
    if (round >= retries) {
      for (const f of failed) await record({ key: f.item.key, state: notPutBack(f.item, f.error) })
      break
    }
    await new Promise((resolve) => setTimeout(resolve, pause))
    pause *= 2
    const byKey = new Map(failed.map((f) => [f.item.key, f]))
    const unlisted = await walkKeys(s3, where, [...byKey.keys()], options.walk ?? {}, async (h) => {
      const f = byKey.get(h.key)
      if (!f) return
      if (h.entries[0]?.versionId === f.ours.versionId) {
        todo.push({ ours: f.ours, item: f.item }) // not written: try again
        return
      }
      const found = examine(h.entries, { item: f.item, attempts: Infinity, unsure: true })
      const state = 'ours' in found ? putBackTo(f.item, found.ours.versionId) : found.state
      await record({ key: h.key, state })
    })
    for (const [key, error] of unlisted) {
      await record({ key, state: notPutBack(byKey.get(key)?.item, error) })
    }
  }
}

/** Why a put-back write was not made: the run was cancelled again, or ran out of time. */
const CUT_SHORT = new Error(
  'the put-back was cut short (a second signal, or the time before the runner kills the step ran out)',
)

function putBackTo(back: PlanItem, newVersionId: string): string {
  return (
    `put back to ${describe(back.wanted)} (new entry ${newVersionId}; ` +
    `this run's ${back.current?.versionId} stays in the history)`
  )
}

/** The write that puts a key back: from our entry to what was current before the run. */
function reverse(item: PlanItem, ours: VersionEntry): PlanItem {
  const previous = item.current
  return isAbsent(previous)
    ? { key: item.key, action: 'delete', current: ours, wanted: previous }
    : { key: item.key, action: 'restore', current: ours, wanted: previous }
}

/** `back` is a put-back write: its `current` is this run's entry, its `wanted` the one before. */
function notPutBack(back: PlanItem | undefined, e: unknown): string {
  return (
    `NOT put back: ${errorMessage(e)}; this run's ${back?.current?.versionId} is current, ` +
    `${describe(back?.wanted)} is in the history`
  )
}

function unknown(c: Candidate | undefined, error: unknown): string {
  const before = c?.item.current
  const undo = `${c?.item.key ?? ''}=${isAbsent(before) ? '' : (before?.versionId ?? '')}`
  return (
    `unknown: its versions could not be listed to put it back (${errorMessage(error)}); ` +
    `to put it back run a rollback with 'version-ids' "${undo}" and 'if-missing' delete`
  )
}
