/**
 * A whole rollback, one pipeline for every input shape: a source of key histories (the listed
 * keys, or a prefix) → pass 1 resolves every key (nothing is written if any key is bad) → pass 2
 * writes, confirms from the listing, and on failure puts back → the manifest. The action and
 * the CLI both call this.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import type { S3ControlClient } from '@aws-sdk/client-s3-control'
import { InputError, SnapshotError, StepError } from '../lib/errors.js'
import { SealedFileError } from '../lib/sealed.js'
import { CancelledError, untilCancelled, type Cancellation } from '../lib/cancel.js'
import type { Logger } from '../lib/log.js'
import { requireVersioning } from '../s3/objects.js'
import { createControlClient } from '../s3/control.js'
import type { Settings } from '../settings/types.js'
import { histories, prefixSelection, type Where } from '../history/sources.js'
import type { PlanItem } from './plan/decide.js'
import { plannedOutcome, type Manifest } from './plan/manifest.js'
import { checkPlan, scan, type ScanResult } from './plan/scan.js'
import { resolveTarget, type Resolved, type ResolvedSettings } from './plan/target.js'
import {
  withCopies,
  withDestination,
  withVersions,
  type KeyToPlan,
  type RecordedVersions,
} from './plan/beside.js'
import { checkDestination, keyMap, uriOf, type KeyMap } from '../settings/destination.js'
import type { LoadedPlan } from './plan/saved-plan.js'
import { applyPlan } from './write/apply.js'
import type { WalkOptions } from './write/confirm.js'
import type { WriteContext } from './write/context.js'
import type { JournalEntry } from './write/apply.js'
import type { RecentCopies } from '../history/runs.js'
import { tapJournal } from './record/tap.js'
import { applyWithBatch } from './batch/jobs.js'
import { describeWriters, splitOf, type Writers } from './batch/split.js'
import { cleanUp } from './run/cleanup.js'
import { manifestOf } from './run/manifest.js'
import { planRecorder } from './run/recorder.js'
import { closeStores, fileStores, memoryStores, type RunStores } from './run/stores.js'

/** Test and benchmark knobs; a run needs none of them. */
export interface RunOptions {
  stores?: RunStores
  /** engine: batch-operations: the S3 Control client (tests pass one for a local fake). */
  control?: S3ControlClient
  pageSize?: number
  batch?: number
  walk?: WalkOptions
  /** The run's stop switch (the action and the CLI turn SIGINT and SIGTERM into it). */
  cancel?: Cancellation
  /** The run record (record/run.ts): recent runs' copies for planning; each confirmed write. */
  copies?: RecentCopies
  onWrite?: (entry: JournalEntry) => Promise<void>
}

/** What every stage of one run works on. */
interface Run {
  s3: S3Client
  settings: ResolvedSettings
  /** The bucket listed for the keys' histories. */
  where: Where
  /** The bucket written: `where`, or the destination's. */
  to: Where
  /** Which key each key is written to (in place: itself). */
  map: KeyMap
  stores: RunStores
  log: Logger
  cancel?: Cancellation
  copies?: RecentCopies
  /** A saved plan, read beside the listing. */
  plan?: LoadedPlan
  /** A prefix's snapshot, read beside the listing. */
  recorded?: RecordedVersions
}

/** Rolls `settings.keys`, or every key under `settings.prefix`, back to `settings.target`. */
export async function rollback(
  s3: S3Client,
  asked: Settings,
  log: Logger,
  options: RunOptions = {},
): Promise<Manifest> {
  await requireVersioning(s3, asked.bucket, asked.expectedBucketOwner)
  const resolved = await readTarget(s3, asked, log)
  try {
    const { destination } = resolved.settings
    checkDestination(resolved.settings, destination)
    if (destination) {
      await requireVersioning(s3, destination.bucket, asked.expectedBucketOwner, 'destination')
    }
    return await runResolved(s3, resolved, log, options)
  } finally {
    await resolved.dispose()
  }
}

/** The run itself, once its target is read and checked. */
async function runResolved(
  s3: S3Client,
  resolved: Resolved,
  log: Logger,
  options: RunOptions,
): Promise<Manifest> {
  const { settings, plan, recorded } = resolved
  const { bucket, expectedBucketOwner, dryRun } = settings
  const where = { bucket, expectedBucketOwner, pageSize: options.pageSize }
  const map = keyMap(bucket, settings.prefix, settings.destination)
  const to = { ...where, bucket: map.bucket }
  const stores =
    options.stores ?? (settings.prefix === undefined ? memoryStores() : await fileStores())
  if (options.onWrite) stores.journal = tapJournal(stores.journal, options.onWrite)
  const recorder = dryRun ? await planRecorder(settings, stores) : undefined
  const { cancel, copies } = options
  const run: Run = { s3, settings, where, to, map, stores, log, cancel, copies, plan, recorded }
  let result: ScanResult
  let wrote: Wrote
  try {
    result = await planKeys(run, async (item, key) => {
      plan?.check(item, key.planned)
      await recorder?.record(item)
    })
    checkPlan(result, settings.prefix)
    plan?.finish()
    wrote = await writeKeys(run, result, options)
  } catch (e) {
    await recorder?.discard()
    await cleanUp(stores, e)
    throw e
  } finally {
    await closeStores(stores)
  }
  const manifest = await manifestOf(settings, result, wrote.written, stores.outcomes)
  await cleanUp(stores)
  if (recorder) manifest.plan = await recorder.close()
  if (wrote.writers) manifest.writers = describeWriters(wrote.writers)
  if (plan) manifest.appliedPlan = plan.digest
  if (plan && plan.applied() > 0) manifest.alreadyApplied = plan.applied()
  return manifest
}

/** The target as the engine plans with it (a saved plan or a snapshot read and checked). */
async function readTarget(s3: S3Client, asked: Settings, log: Logger): Promise<Resolved> {
  const resolved = await resolveTarget(s3, asked).catch((e: unknown) => {
    throw e instanceof InputError || e instanceof SnapshotError || e instanceof SealedFileError
      ? e
      : new StepError('reading the target', describeTarget(asked), e)
  })
  const { plan } = resolved
  if (plan)
    log.info(`Applying the plan in ${describeTarget(asked)} (made ${plan.header.createdAt})`)
  return resolved
}

/** What a run was asked to go back to, for messages. */
function describeTarget(settings: Settings): string {
  const { target } = settings
  if (target.kind === 'plan') return `plan file ${target.file}`
  if (target.kind === 'snapshot') return `snapshot ${target.ref}`
  return `s3://${settings.bucket}`
}

/** Pass 1: every key's decision, spilled to the run's stores; `observe` sees each one. */
async function planKeys(
  run: Run,
  observe: (item: PlanItem, key: KeyToPlan) => Promise<void>,
): Promise<ScanResult> {
  const { s3, settings, stores, log } = run
  const { bucket, prefix } = settings
  const subject = prefix === undefined ? `s3://${bucket}` : `s3://${bucket}/${prefix}`
  return log
    .group(resolving(settings), async () => {
      if (prefix !== undefined && prefix !== '' && !prefix.endsWith('/')) {
        log.info(`Note: prefix ${prefix} is not a folder: it also matches ${prefix}.bak and such`)
      }
      const request = {
        ...settings,
        bucket: run.to.bucket,
        ...(run.to.bucket === bucket ? {} : { from: bucket }),
        checkSources: settings.dryRun,
      }
      const source = untilCancelled(keysToPlan(run), run.cancel)
      const found = await scan(s3, request, source, {
        stores,
        concurrency: settings.concurrency,
        log,
        logEachKey: prefix === undefined,
        observe,
      })
      await stores.plan.close()
      return found
    })
    .catch((e: unknown) => {
      throw e instanceof StepError ||
        e instanceof CancelledError ||
        e instanceof SnapshotError ||
        e instanceof SealedFileError
        ? e
        : new StepError('listing', subject, e)
    })
}

/**
 * The listing, with what is read beside it: the destination's listing, the snapshot's versions,
 * the plan, the copies.
 */
function keysToPlan(run: Run): AsyncIterable<KeyToPlan> {
  const { s3, recorded, plan, copies, settings, map } = run
  const { bucket, prefix } = settings
  const store = settings.snapshotStore
  let source: AsyncIterable<KeyToPlan> =
    prefix === undefined
      ? histories(s3, run.where, { keys: settings.keys })
      : histories(s3, run.where, prefixSelection(prefix, bucket, store))
  if (!map.inPlace) {
    const records = settings.recordStore ?? store
    const there =
      prefix === undefined
        ? histories(s3, run.to, { keys: settings.keys.map(map.to) })
        : histories(s3, run.to, prefixSelection(map.to(prefix), map.bucket, records))
    source = withDestination(source, there, map)
  }
  if (recorded) {
    const origin = settings.target.kind === 'versions' ? settings.target.origin : undefined
    const refuse = (message: string): Error =>
      new SnapshotError(`Snapshot ${origin?.id ?? ''} is ${message}`)
    source = withVersions(source, recorded, settings.target, refuse)
  }
  if (plan) source = plan.beside(source)
  if (copies && copies.size > 0) source = withCopies(source, copies, map)
  return source
}

function resolving(settings: ResolvedSettings): string {
  const { bucket, prefix, destination } = settings
  const into = destination ? ` into ${uriOf(destination)}` : ''
  if (prefix === undefined) return `Resolving versions${into}`
  const where = prefix === '' ? `s3://${bucket} (whole bucket)` : `s3://${bucket}/${prefix}`
  return `Resolving versions under ${where}${into}`
}

/** What pass 2 did: the keys written, and (engine: batch-operations) who wrote what. */
interface Wrote {
  written: number
  writers?: Writers
}

/** Pass 2: the planned writes, by this process or by copy jobs; a dry run only records rows. */
async function writeKeys(run: Run, result: ScanResult, options: RunOptions): Promise<Wrote> {
  const { s3, settings, to: where, stores, log } = run
  const planned = result.actions.restore + result.actions.delete
  log.info(
    `${result.keys} keys, ${result.versions} versions: ${result.actions.restore} to restore, ` +
      `${result.actions.delete} to delete, ${result.actions.unchanged} unchanged, ` +
      `${result.actions.skip} skipped`,
  )
  const { concurrency, copy } = settings
  const { batch: confirmBatch, walk } = options
  const { cancel } = run
  const ctx: WriteContext = { s3, where, copy, log, concurrency, batch: confirmBatch, walk, cancel }
  const batch = settings.engine.kind === 'batch-operations' ? settings.engine : undefined
  const writers = batch ? await splitOf(stores.plan, copy) : undefined
  if (settings.dryRun || planned === 0) {
    for await (const item of stores.plan.read()) await stores.outcomes.write(plannedOutcome(item))
    return { written: 0, writers }
  }
  if (batch && writers && writers.jobs.length > 0) {
    const control = options.control ?? createControlClient(settings.s3)
    const written = await applyWithBatch(ctx, { control, batch }, stores, writers).finally(() => {
      if (!options.control) control.destroy()
    })
    return { written, writers }
  }
  const written = await log.group(`Restoring ${planned} keys`, () =>
    applyPlan(ctx, stores.plan.read(), stores, planned),
  )
  return { written, writers }
}
