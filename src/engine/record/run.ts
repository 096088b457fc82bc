/**
 * A rollback that leaves a record in the snapshot store (history/runs.ts). Before planning, the
 * recent records are read, so that a key an earlier run restored is seen as unchanged even where
 * the store's ETags cannot show it (SSE-KMS). Each write confirmed from the listing is a line of
 * the record as it is journalled; when the run ends — done, put back or failed — the record is
 * uploaded. A dry run reads the records and writes none; so does a run that had nothing to write
 * (a re-run that finds every key as wanted leaves the recent records to the runs that wrote).
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { errorMessage } from '../../lib/errors.js'
import { readJsonLines, runDirectory } from '../../lib/jsonl.js'
import type { Logger } from '../../lib/log.js'
import { SealedWriter } from '../../lib/sealed.js'
import { FileStore } from '../../lib/store.js'
import type { Settings, SnapshotStore } from '../../settings/types.js'
import { keyMap } from '../../settings/destination.js'
import { isAbsent } from '../../history/select.js'
import {
  RUN_FORMAT,
  recentCopies,
  saveRun,
  type RecentCopies,
  type RunBy,
  type RunHeader,
  type RunLine,
  type RunOutcome,
  type RunTarget,
} from '../../history/runs.js'
import { uriOf } from '../../history/snapshots.js'
import { RestoreError, type FinalState } from '../errors.js'
import { changedTotal, type Manifest } from '../plan/manifest.js'
import { rollback, type RunOptions } from '../rollback.js'
import type { JournalEntry } from '../write/apply.js'
import { newRunId } from './id.js'

export interface RecordOptions {
  /** Who runs it. */
  by: RunBy
  /** Told where the record was saved, once it is (also when the run then fails). */
  saved?: (uri: string) => void
  /** Test knobs passed on to rollback(). */
  run?: Omit<RunOptions, 'copies' | 'onWrite'>
  now?: () => Date
}

/** rollback(), with the recent run records read first and this run's record written after. */
export async function recordedRollback(
  s3: S3Client,
  settings: Settings,
  log: Logger,
  options: RecordOptions,
): Promise<Manifest> {
  const now = options.now ?? (() => new Date())
  const startedAt = now()
  const copies = await readCopies(s3, settings, log)
  try {
    return await recorded(s3, settings, log, { ...options, copies, startedAt })
  } finally {
    await copies?.dispose()
  }
}

/** The run, and its record once it ends. */
async function recorded(
  s3: S3Client,
  settings: Settings,
  log: Logger,
  options: RecordOptions & { copies?: RecentCopies; startedAt: Date },
): Promise<Manifest> {
  const { copies, startedAt } = options
  const now = options.now ?? (() => new Date())
  if (settings.dryRun) return rollback(s3, settings, log, { ...options.run, copies })
  const dir = await runDirectory()
  const lines = await FileStore.create<RunLine>(join(dir, 'record.jsonl'))
  const onWrite = (entry: JournalEntry): Promise<void> => lines.write(lineOf(entry))
  let manifest: Manifest | undefined
  let failure: unknown
  try {
    manifest = await rollback(s3, settings, log, { ...options.run, copies, onWrite })
  } catch (e) {
    failure = e
  }
  try {
    const wrote = manifest
      ? changedTotal(manifest) > 0
      : failure instanceof RestoreError || lines.count > 0
    if (wrote) {
      const header = headerOf(settings, {
        id: newRunId(startedAt),
        startedAt,
        finishedAt: now(),
        by: options.by,
        outcome: await outcomeOf(manifest, failure),
        written: lines.count,
        failure,
      })
      const uri = await save({ s3, settings, log }, header, lines, dir)
      if (uri) {
        log.info(`Run record (${header.outcome}, ${lines.count} key(s) written): ${uri}`)
        options.saved?.(uri)
        if (manifest) manifest.record = uri
      }
    }
  } finally {
    await lines.close()
    await rm(dir, { recursive: true, force: true })
  }
  if (manifest === undefined) throw failure
  return manifest
}

/** Where the run's records are: the snapshot store, or a destination run's own store. */
const recordStore = (settings: Settings): SnapshotStore =>
  settings.recordStore ?? settings.snapshotStore

/** The recent records' copies of this run's keys; none (with a warning) when unreadable. */
async function readCopies(
  s3: S3Client,
  settings: Settings,
  log: Logger,
): Promise<RecentCopies | undefined> {
  const { prefix, keys, destination } = settings
  const map = keyMap(settings.bucket, prefix, destination)
  const listed = new Set(keys.map(map.to))
  const under = prefix === undefined ? undefined : map.to(prefix)
  const wanted =
    under !== undefined
      ? (key: string) => key.startsWith(under)
      : listed.size > 0
        ? (key: string) => listed.has(key)
        : () => true
  const store = recordStore(settings)
  try {
    const copies = await recentCopies(s3, store, map.bucket, wanted)
    if (copies.runs > 0) {
      log.info(
        `Read ${copies.runs} recent run record(s): ${copies.size} recorded write(s) of these keys`,
      )
    }
    return copies
  } catch (e) {
    log.warning(
      `Could not read the run records in ${uriOf(store, 'runs/')} ` +
        `(${errorMessage(e)}); planning without them: a key whose restored copy only a record ` +
        'can show (SSE-KMS ETags) is copied again',
    )
    return undefined
  }
}

/**
 * A journal entry as a line of the record: the new entry, and what it is a copy of (with its key
 * and bucket when they are not the key's own: a destination run).
 */
export function lineOf({ item, newVersionId }: JournalEntry): RunLine {
  const copy = item.action === 'restore' ? item.wanted : undefined
  const elsewhere = copy && (copy.key !== item.key || item.from !== undefined)
  return {
    key: item.key,
    newVersionId,
    sourceVersionId: copy?.versionId ?? null,
    previousVersionId: isAbsent(item.current) ? null : (item.current?.versionId ?? null),
    ...(copy?.size === undefined ? {} : { size: copy.size }),
    ...(elsewhere ? { from: { ...(item.from ? { bucket: item.from } : {}), key: copy.key } } : {}),
  }
}

function targetOf(settings: Settings): RunTarget {
  const { target } = settings
  if (target.kind === 'time') return { toTime: target.at.toISOString() }
  if (target.kind === 'snapshot') return { snapshot: target.ref }
  if (target.kind === 'plan') return { plan: target.file }
  if (target.origin) return { snapshot: target.origin.ref, snapshotId: target.origin.id }
  return { versionIds: target.versions.size }
}

/** Whether a failed run put back every key it changed (none is left NOT put back or unknown). */
async function everyKeyPutBack(error: RestoreError): Promise<boolean> {
  const bad = (s: FinalState): boolean => /^(NOT put back|unknown)/.test(s.state)
  if (error.statesFile) {
    for await (const state of readJsonLines<FinalState>(error.statesFile)) {
      if (bad(state)) return false
    }
    return true
  }
  return !error.finalStates.some(bad)
}

/** done; put back (every key this run changed is as before it); or failed. */
async function outcomeOf(manifest: Manifest | undefined, failure: unknown): Promise<RunOutcome> {
  if (manifest) return 'done'
  return failure instanceof RestoreError && (await everyKeyPutBack(failure)) ? 'put back' : 'failed'
}

/** The record's header: who ran what, when, how it ended. */
function headerOf(
  settings: Settings,
  run: Pick<RunHeader, 'id' | 'by' | 'outcome' | 'written'> & {
    startedAt: Date
    finishedAt: Date
    failure: unknown
  },
): RunHeader {
  const { failure } = run
  const { prefix, destination } = settings
  const map = keyMap(settings.bucket, prefix, destination)
  const source = { bucket: settings.bucket, ...(prefix === undefined ? {} : { prefix }) }
  return {
    ...RUN_FORMAT,
    id: run.id,
    bucket: map.bucket,
    ...(destination ? { source } : {}),
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
    by: run.by,
    target: targetOf(settings),
    scope: prefix === undefined ? { keys: settings.keys.length } : { prefix: map.to(prefix) },
    outcome: run.outcome,
    written: run.written,
    ...(failure === undefined ? {} : { error: errorMessage(failure).split('\n')[0] }),
  }
}

/** Seals the record's lines under its header and uploads it; undefined (a warning) on failure. */
async function save(
  run: { s3: S3Client; settings: Settings; log: Logger },
  header: RunHeader,
  lines: FileStore<RunLine>,
  dir: string,
): Promise<string | undefined> {
  const { s3, settings, log } = run
  try {
    await lines.close()
    const file = join(dir, `${header.id}.jsonl.gz`)
    const writer = await SealedWriter.create<RunLine>(file, header, { gzip: true })
    for await (const line of lines.read()) await writer.write(line)
    await writer.close()
    return await saveRun(s3, recordStore(settings), file, header.id)
  } catch (e) {
    log.warning(
      `Could not save the run record in ${uriOf(recordStore(settings), 'runs/')}: ` +
        `${errorMessage(e)}; a later run may copy this run's keys again`,
    )
    return undefined
  }
}
