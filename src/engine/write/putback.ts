/**
 * All or nothing: after a failed write, every key this run changed is put back to the entry
 * that was current before the run, by adding versions (never removing any). Every write that
 * may have landed is examined, a listing page at a time: the journal's confirmed writes, writes
 * not yet confirmed, and each failed write (its reply may have been lost after S3 did it).
 * A key whose listing keeps failing is reported as unknown, with what to run to converge.
 */
import { errorMessage } from '../../lib/errors.js'
import { RaceError, RestoreError, type FinalState } from '../errors.js'
import { eachAdaptive } from '../../lib/pool.js'
import type { Store } from '../../lib/store.js'
import type { VersionEntry } from '../../s3/listing.js'
import { headVersion, type ObjectFacts } from '../../s3/objects.js'
import { confirmWrites, sameLanding, ownCopies, sameWrite, type Written } from './confirm.js'
import { writePool, type WriteContext } from './context.js'
import { walkKeys } from '../../history/sources.js'
import type { PlanItem } from '../plan/decide.js'
import type { WriteGuard } from './guard.js'
import { describeEntry, isAbsent } from '../../history/select.js'
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

/** Why the run stopped, and where each key's final state goes. */
export interface PutBackOutcome {
  /** The failure that stopped the run (reported as the cause). */
  failure: { item?: PlanItem; error: unknown }
  states: FinalStates
}

/** Records one key's final state. */
type RecordState = (state: FinalState) => Promise<void>

/** Puts every changed key back, records each key's final state, and returns the run's error. */
export async function putBack(
  ctx: WriteContext,
  run: PutBackRun,
  outcome: PutBackOutcome,
): Promise<RestoreError> {
  const { states, failure } = outcome
  const kept: FinalState[] = []
  const tally = { putBack: 0, notPutBack: 0 }
  const record = async (state: FinalState): Promise<void> => {
    await states.write(state)
    if (kept.length < STATES_KEPT) kept.push(state)
    if (state.state.startsWith('put back to')) tally.putBack++
    if (/^(NOT put back|unknown)/.test(state.state)) tally.notPutBack++
  }
  ctx.log.warning(
    `Putting back the keys this run changed (${run.journal.count} confirmed, ` +
      `${run.candidates.length} to examine)`,
  )
  const size = ctx.batch ?? 1000
  let chunk: Candidate[] = []
  const flush = async (): Promise<void> => {
    await putBackChunk(ctx, run.guard, chunk, record)
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
  await states.write({
    key: '*',
    state: 'every other key: not changed (no write was made to it)',
  })
  await states.close()
  const shown = [...kept]
  const more = states.count - 1 - kept.length
  if (more > 0) {
    shown.push({ key: `(${more} more)`, state: `listed in ${states.path ?? 'the log'}` })
  }
  shown.push({ key: '(every other key)', state: 'not changed' })
  return new RestoreError({
    cause: failure.error,
    failedKey: failure.item?.key ?? '(unknown)',
    finalStates: shown,
    statesFile: states.path,
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
        `left as is: changed by another writer after this run (now ${describeEntry(newest)}); ` +
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
    state: `left as is: changed by another writer (now ${describeEntry(newest)}, planned on ${describeEntry(c.item.current)})`,
  }
}

/** Whether an entry is what the planned write makes: a delete marker, or a copy of `wanted`. */
function madeBy(entry: VersionEntry, item: PlanItem): boolean {
  if (item.action === 'delete') return entry.isDeleteMarker
  return !!item.wanted && sameWrite(entry, item.wanted)
}

/** One listing walk over a chunk of candidates; those that are ours are put back. */
async function putBackChunk(
  ctx: WriteContext,
  guard: WriteGuard,
  chunk: Candidate[],
  record: RecordState,
): Promise<void> {
  if (chunk.length === 0) return
  const { s3, where } = ctx
  const byKey = new Map(chunk.map((c) => [c.item.key, c]))
  const back: Array<{ c: Candidate; ours: VersionEntry }> = []
  const unlisted = await walkKeys(s3, where, [...byKey.keys()], ctx.walk ?? {}, async (h) => {
    const c = byKey.get(h.key)
    if (!c) return
    const found = examine(h.entries, c)
    const ours = 'ours' in found ? found.ours : await landedUnseen(ctx, h.entries, c)
    if (ours) back.push({ c, ours })
    else if ('state' in found) await record({ key: h.key, state: found.state })
  })
  for (const [key, error] of unlisted) await record({ key, state: unknown(byKey.get(key), error) })
  await writeBack(ctx, guard, back, record)
}

/**
 * A copy whose every answer was lost, on a store whose ETags are not the content's MD5 (SSE-KMS):
 * the listing cannot show that the entries on top of the planned one are this write's landings.
 * HeadObject can: each of them (at most the write's attempts) must be the same object as the
 * source (size, encryption, content type, metadata; the checksum where the store keeps one).
 * Returns the newest of them, to put back; undefined when the listing's answer stands.
 */
async function landedUnseen(
  ctx: WriteContext,
  entries: readonly VersionEntry[],
  c: Candidate,
): Promise<VersionEntry | undefined> {
  const { item } = c
  const wanted = item.wanted
  if (item.action !== 'restore' || !wanted || c.error instanceof RaceError) return undefined
  if (c.newVersionId !== undefined && !c.unsure) return undefined
  const on = entries.findIndex((e) => e.versionId === item.current?.versionId)
  const above = on < 0 ? (item.current ? -1 : entries.length) : on
  if (above < 1 || above > c.attempts || entries.slice(0, above).some((e) => e.isDeleteMarker)) {
    return undefined
  }
  const { s3, where } = ctx
  const head = (bucket: string, key: string, versionId: string): Promise<ObjectFacts> =>
    headVersion(s3, { ...where, bucket, key, versionId })
  const source =
    item.source ?? (await head(item.from ?? where.bucket, wanted.key, wanted.versionId))
  if (!source.serverSideEncryption?.startsWith('aws:kms')) return undefined
  for (const entry of entries.slice(0, above)) {
    if (!sameLanding(source, await head(where.bucket, item.key, entry.versionId))) return undefined
  }
  return entries[0]
}

/**
 * The put-back writes, confirmed from the listing. A write that fails (an outage can outlast the
 * SDK's retries, and its retry budget) is looked up again after a pause: written after all, it
 * counts; still not written, it is tried again, up to the walk's retries.
 */
async function writeBack(
  ctx: WriteContext,
  guard: WriteGuard,
  back: Array<{ c: Candidate; ours: VersionEntry }>,
  record: RecordState,
): Promise<void> {
  const { s3, where, copy, walk } = ctx
  const retries = walk?.retries ?? 5
  let pause = walk?.pauseMs ?? 2000
  let todo: ToPutBack[] = back.map(({ c, ours }) => ({ ours, item: reverse(c.item, ours) }))
  for (let round = 0; todo.length > 0; round++) {
    const written: Written[] = []
    const failed: Array<ToPutBack & { error: unknown }> = []
    // Not cancellable: a put-back runs after the cancel, until the cancel is urgent.
    const pool = writePool(ctx, (t: ToPutBack) => t.item.key)
    await eachAdaptive(todo, pool, async ({ ours, item }) => {
      if (ctx.cancel?.urgent) {
        await record({ key: item.key, state: notPutBack(item, CUT_SHORT) })
        return
      }
      try {
        written.push({ item, landed: await writeItem(ctx, item, guard) })
      } catch (error) {
        failed.push({ ours, item, error })
      }
    })
    for (const result of await confirmWrites(s3, where, written, { copy, walk })) {
      const { item } = result.written
      await record({
        key: item.key,
        state:
          'error' in result ? notPutBack(item, result.error) : putBackTo(item, result.newVersionId),
      })
    }
    todo = []
    if (failed.length === 0) break
    if (ctx.cancel?.urgent) {
      for (const f of failed) await record({ key: f.item.key, state: notPutBack(f.item, f.error) })
      break
    }
    if (round >= retries) {
      for (const f of failed) await record({ key: f.item.key, state: notPutBack(f.item, f.error) })
      break
    }
    await new Promise((resolve) => setTimeout(resolve, pause))
    pause *= 2
    todo = await lookAgain(ctx, failed, record)
  }
}

/** A put-back write: the key's entry from this run, and the write that puts it back. */
interface ToPutBack {
  ours: VersionEntry
  item: PlanItem
}

/**
 * Failed put-back writes, looked up again: a write that landed after all is recorded; one that
 * did not is returned, to be tried again.
 */
async function lookAgain(
  ctx: WriteContext,
  failed: Array<ToPutBack & { error: unknown }>,
  record: RecordState,
): Promise<ToPutBack[]> {
  const todo: ToPutBack[] = []
  const byKey = new Map(failed.map((f) => [f.item.key, f]))
  const unlisted = await walkKeys(
    ctx.s3,
    ctx.where,
    [...byKey.keys()],
    ctx.walk ?? {},
    async (h) => {
      const f = byKey.get(h.key)
      if (!f) return
      if (h.entries[0]?.versionId === f.ours.versionId) {
        todo.push({ ours: f.ours, item: f.item }) // not written: try again
        return
      }
      const found = examine(h.entries, { item: f.item, attempts: Infinity, unsure: true })
      const state = 'ours' in found ? putBackTo(f.item, found.ours.versionId) : found.state
      await record({ key: h.key, state })
    },
  )
  for (const [key, error] of unlisted) {
    await record({ key, state: notPutBack(byKey.get(key)?.item, error) })
  }
  return todo
}

/** Why a put-back write was not made: the run was cancelled again, or ran out of time. */
const CUT_SHORT = new Error(
  'the put-back was cut short (a second signal, or the time before the runner kills the step ran out)',
)

function putBackTo(back: PlanItem, newVersionId: string): string {
  return (
    `put back to ${describeEntry(back.wanted)} (new entry ${newVersionId}; ` +
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
    `${describeEntry(back?.wanted)} is in the history`
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
