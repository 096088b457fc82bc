/**
 * A whole rollback, one pipeline for every input shape: a source of key histories (the listed
 * keys, or a prefix) → pass 1 resolves every key (nothing is written if any key is bad) → pass 2
 * writes, confirms from the listing, and on failure puts back → the manifest. The action and
 * the CLI both call this.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { dirname, join } from 'node:path'
import { open, rm } from 'node:fs/promises'
import { InputError, SnapshotError, StepError } from '../lib/errors.js'
import { PlanError, RestoreError, type FinalState } from './errors.js'
import { reviveDates, runDirectory } from '../lib/jsonl.js'
import { SealedFileError } from '../lib/sealed.js'
import type { Logger } from '../lib/log.js'
import { FileStore, MemoryStore, type Store } from '../lib/store.js'
import { requireVersioning } from '../s3/objects.js'
import type { Settings } from '../settings/types.js'
import { applyPlan, type JournalEntry } from './write/apply.js'
import type { PlanItem } from './plan/decide.js'
import {
  INLINE_KEYS,
  buildManifest,
  undoLine,
  plannedOutcome,
  type KeyOutcome,
  type Manifest,
  type PrefixSummary,
} from './plan/manifest.js'
import { scan, type ScanResult } from './plan/scan.js'
import { PlanRecorder } from './plan/saved-plan.js'
import { applyWithBatch, splitOf, describeWriters, type Writers } from './batch/jobs.js'
import { createControlClient } from '../s3/control.js'
import type { S3ControlClient } from '@aws-sdk/client-s3-control'
import { histories, prefixSelection, type Selection } from '../history/sources.js'
import { resolveTarget, type ResolvedSettings } from './plan/target.js'
import type { WalkOptions } from './write/confirm.js'
import type { RecordedCopies } from '../history/runs.js'
import { tapJournal } from './record/tap.js'

/** The stores of one run: in memory for listed keys, JSON Lines files for a prefix. */
export interface RunStores {
  /** The run's own directory, when it keeps files (a prefix run); cleaned up at the end. */
  dir?: string
  plan: Store<PlanItem>
  journal: Store<JournalEntry>
  /** One manifest row per key (the `manifest-file` output of a prefix run). */
  outcomes: Store<KeyOutcome>
  states: Store<FinalState>
}

/** Revives the Date fields of a PlanItem read back from JSON. */
export const revivePlanItem = reviveDates(['lastModified', 'expires'])

/** Files in a new private directory under RUNNER_TEMP (or the OS temp). */
export async function fileStores(dir?: string): Promise<RunStores> {
  const at = dir ?? (await runDirectory())
  return {
    dir: dir === undefined ? at : undefined,
    plan: await FileStore.create(join(at, 'plan.jsonl'), revivePlanItem),
    journal: await FileStore.create(join(at, 'journal.jsonl'), revivePlanItem),
    outcomes: await FileStore.create(join(at, 'manifest.jsonl')),
    states: await FileStore.create(join(at, 'final-states.jsonl')),
  }
}

export function memoryStores(): RunStores {
  return {
    plan: new MemoryStore(),
    journal: new MemoryStore(),
    outcomes: new MemoryStore(),
    states: new MemoryStore(),
  }
}

/** Test and benchmark knobs; a run needs none of them. */
export interface RunOptions {
  stores?: RunStores
  /** engine: batch-operations: the S3 Control client (tests pass one for a local fake). */
  control?: S3ControlClient
  pageSize?: number
  batch?: number
  walk?: WalkOptions
  /** The run record (record/run.ts): recent runs' copies for planning; each confirmed write. */
  copies?: RecordedCopies
  onWrite?: (entry: JournalEntry) => Promise<void>
}

/** Rolls `settings.keys`, or every key under `settings.prefix`, back to `settings.target`. */
export async function rollback(
  s3: S3Client,
  asked: Settings,
  log: Logger,
  options: RunOptions = {},
): Promise<Manifest> {
  const { bucket, expectedBucketOwner, dryRun } = asked
  await requireVersioning(s3, bucket, expectedBucketOwner)
  const { settings, plan } = await resolveTarget(s3, asked).catch((e: unknown) => {
    throw e instanceof InputError || e instanceof SnapshotError || e instanceof SealedFileError
      ? e
      : new StepError('reading the target', describeTarget(asked), e)
  })
  if (plan)
    log.info(`Applying the plan in ${describeTarget(asked)} (made ${plan.header.createdAt})`)
  const prefix = settings.prefix
  const where = { bucket, expectedBucketOwner, pageSize: options.pageSize }
  const selection: Selection =
    prefix === undefined
      ? { keys: settings.keys }
      : prefixSelection(prefix, bucket, settings.snapshotStore)
  const stores = options.stores ?? (prefix === undefined ? memoryStores() : await fileStores())
  if (options.onWrite) stores.journal = tapJournal(stores.journal, options.onWrite)
  const recorder = dryRun ? await planRecorder(settings, stores) : undefined
  const observe = async (item: PlanItem): Promise<void> => {
    plan?.check(item)
    await recorder?.record(item)
  }
  const subject = prefix === undefined ? `s3://${bucket}` : `s3://${bucket}/${prefix}`
  let result: ScanResult
  let written = 0
  let writers: Writers | undefined
  try {
    result = await log
      .group(resolving(bucket, prefix), async () => {
        if (prefix !== undefined && prefix !== '' && !prefix.endsWith('/')) {
          log.info(`Note: prefix ${prefix} is not a folder: it also matches ${prefix}.bak and such`)
        }
        const request = { ...settings, checkSources: dryRun, copies: options.copies }
        const source = histories(s3, where, selection)
        const each = prefix === undefined
        const found = await scan(
          s3,
          request,
          source,
          stores,
          settings.concurrency,
          log,
          each,
          observe,
        )
        await stores.plan.close()
        return found
      })
      .catch((e: unknown) => {
        throw e instanceof StepError ? e : new StepError('listing', subject, e)
      })
    check(result, prefix)
    plan?.finish()
    const planned = result.actions.restore + result.actions.delete
    log.info(
      `${result.keys} keys, ${result.versions} versions: ${result.actions.restore} to restore, ` +
        `${result.actions.delete} to delete, ${result.actions.unchanged} unchanged, ` +
        `${result.actions.skip} skipped`,
    )
    const applyOptions = {
      concurrency: settings.concurrency,
      total: planned,
      batch: options.batch,
      walk: options.walk,
    }
    const batch = settings.engine.kind === 'batch-operations' ? settings.engine : undefined
    if (batch) writers = await splitOf(stores.plan, settings.copy)
    if (dryRun || planned === 0) {
      for await (const item of stores.plan.read()) await stores.outcomes.write(plannedOutcome(item))
    } else if (batch && writers && writers.jobs.length > 0) {
      const control = options.control ?? createControlClient(settings.s3)
      const found = writers
      written = await applyWithBatch(
        s3,
        control,
        where,
        settings.copy,
        batch,
        stores,
        applyOptions,
        log,
        found,
      ).finally(() => {
        if (!options.control) control.destroy()
      })
    } else {
      written = await log.group(`Restoring ${planned} keys`, () =>
        applyPlan(s3, where, settings.copy, stores.plan.read(), stores, applyOptions, log),
      )
    }
  } catch (e) {
    await recorder?.close()
    await cleanUp(stores, e)
    throw e
  } finally {
    await Promise.all([
      stores.plan.close(),
      stores.journal.close(),
      stores.outcomes.close(),
      stores.states.close(),
    ])
  }
  const manifest = await manifestOf(settings, result, written, stores.outcomes)
  await cleanUp(stores)
  if (recorder) manifest.plan = await recorder.close()
  if (writers) manifest.writers = describeWriters(writers)
  if (plan) manifest.appliedPlan = plan.digest
  return manifest
}

/** What a run was asked to go back to, for messages. */
function describeTarget(settings: Settings): string {
  const { target } = settings
  if (target.kind === 'plan') return `plan file ${target.file}`
  if (target.kind === 'snapshot') return `snapshot ${target.ref}`
  return `s3://${settings.bucket}`
}

/** A dry run's plan file: next to the manifest of a prefix run, else in a new directory. */
async function planRecorder(settings: ResolvedSettings, stores: RunStores): Promise<PlanRecorder> {
  const { target } = settings
  return PlanRecorder.create(stores.dir ?? (await runDirectory()), {
    bucket: settings.bucket,
    createdAt: new Date().toISOString(),
    target:
      target.kind === 'time'
        ? { toTime: target.at.toISOString() }
        : { versionIds: true, ...(target.origin ? { snapshot: target.origin } : {}) },
    ...(settings.prefix === undefined ? {} : { prefix: settings.prefix }),
    ifMissing: settings.ifMissing,
  })
}

/**
 * Removes the run's working files, keeping what the user needs: after a run, the manifest
 * file (and the undo lines next to it); after a failed write, the final state of every key.
 * A run stopped before its first write keeps nothing (its error says what happened).
 */
async function cleanUp(stores: RunStores, error?: unknown): Promise<void> {
  if (!stores.dir) return
  await Promise.all([stores.plan.remove(), stores.journal.remove()])
  if (error === undefined) {
    await stores.states.remove()
  } else if (!(error instanceof RestoreError)) {
    await rm(stores.dir, { recursive: true, force: true })
  } else {
    await stores.outcomes.remove()
  }
}

function resolving(bucket: string, prefix: string | undefined): string {
  if (prefix === undefined) return 'Resolving versions'
  return `Resolving versions under ${prefix === '' ? `s3://${bucket} (whole bucket)` : `s3://${bucket}/${prefix}`}`
}

/** Nothing is written when any key cannot be rolled back, or when a prefix has no key. */
function check(result: ScanResult, prefix: string | undefined): void {
  if (result.problemCount > 0) {
    const more = result.problemCount - result.problems.length
    const problems = [...result.problems]
    if (more > 0) problems.push({ key: `(${more} more keys)`, problem: 'not listed' })
    throw new PlanError(problems)
  }
  if (prefix !== undefined && result.keys === 0) {
    throw new PlanError([
      {
        key: prefix,
        problem: 'no key has any version under this prefix (prefixes are case-sensitive)',
      },
    ])
  }
}

/**
 * The manifest: every row for listed keys (in the order given); for a prefix, the totals, the
 * file with every row, and the rows themselves when there are at most INLINE_KEYS.
 */
async function manifestOf(
  settings: ResolvedSettings,
  result: ScanResult,
  written: number,
  outcomes: Store<KeyOutcome>,
): Promise<Manifest> {
  const { bucket, target, dryRun, prefix } = settings
  const omitted = prefix !== undefined && result.keys > INLINE_KEYS
  const rows: KeyOutcome[] = []
  if (!omitted) for await (const row of outcomes.read()) rows.push(row)
  const order = new Map(settings.keys.map((k, i) => [k, i]))
  rows.sort((a, b) =>
    prefix === undefined
      ? (order.get(a.key) ?? 0) - (order.get(b.key) ?? 0)
      : a.key < b.key
        ? -1
        : a.key > b.key
          ? 1
          : 0,
  )
  const manifest = buildManifest(bucket, target, dryRun, rows)
  if (prefix === undefined) return manifest
  const undoFile = dryRun || !outcomes.path ? undefined : await writeUndo(outcomes)
  const summary: PrefixSummary = {
    prefix,
    keys: result.keys,
    versions: result.versions,
    restored: result.actions.restore,
    deleted: result.actions.delete,
    unchanged: result.actions.unchanged,
    skipped: result.actions.skip,
    written,
    manifestFile: outcomes.path ?? '',
    keysOmitted: omitted,
    ...(undoFile ? { undoFile } : {}),
  }
  return { ...manifest, summary }
}

/** Writes undo.txt next to the manifest file: its `key=versionId` lines (undoVersionIds). */
async function writeUndo(outcomes: Store<KeyOutcome>): Promise<string> {
  const path = join(dirname(outcomes.path ?? ''), 'undo.txt')
  const file = await open(path, 'w')
  try {
    for await (const row of outcomes.read()) await file.write(`${undoLine(row)}\n`)
  } finally {
    await file.close()
  }
  return path
}
