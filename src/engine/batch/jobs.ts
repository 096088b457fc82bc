/**
 * `engine: batch-operations`: the same plan, a second writer. Copies that S3 Batch Operations
 * can make (versions up to 5 GB, uploaded in one part, not archived) go to copy jobs, one per
 * storage class (a job-level setting); delete markers and the rest are written by this process,
 * as with the runner engine. The order keeps the all-or-nothing promise:
 *
 * 1. the jobs are created awaiting confirmation: a bad role, account or manifest is refused
 *    before any key is written;
 * 2. this process writes its part (and puts it back on failure, cancelling the jobs);
 * 3. the jobs are confirmed, polled, and their completion reports read;
 * 4. every key a job was given is confirmed from the listing, as a runner write is;
 * 5. on any failure every key the jobs and this process changed is put back (or, with
 *    `batch-put-back: false`, each key's state is reported for a re-run to converge).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3'
import type { S3ControlClient } from '@aws-sdk/client-s3-control'
import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import { CancelledError, type Cancellation } from '../../lib/cancel.js'
import { runDirectory } from '../../lib/jsonl.js'
import { StepError, errorMessage } from '../../lib/errors.js'
import { BatchJobError } from '../errors.js'
import type { Logger } from '../../lib/log.js'
import type { Store } from '../../lib/store.js'
import {
  FINAL_STATUSES,
  createCopyJob,
  describeJob,
  setJobStatus,
  type JobState,
} from '../../s3/control.js'
import type { BatchSettings } from '../../settings/types.js'
import { applyPlan, recordWrite, type ApplyStores } from '../write/apply.js'
import { confirmWrites, type Written } from '../write/confirm.js'
import type { WriteContext } from '../write/context.js'
import type { PlanItem } from '../plan/decide.js'
import { WriteGuard } from '../write/guard.js'
import { putBack, type Candidate } from '../write/putback.js'
import { fetchReport } from './report.js'
import { filtered, manifests, type JobRun, type Writers } from './split.js'

export interface BatchRunStores extends ApplyStores {
  plan: Store<PlanItem>
}

/** The copy jobs' side of a run: the S3 Control client and the batch settings. */
export interface BatchWriter {
  control: S3ControlClient
  batch: BatchSettings
  /** Pauses between job polls (tests make them instant). */
  sleep?: (ms: number) => Promise<void>
}

/** One run's copy jobs: the writer, and the run's folder under `batch-prefix`. */
interface JobsRun extends BatchWriter {
  runId: string
  /** Where the run's manifests and completion reports go: `batch-prefix` + the run's ID. */
  base: string
  sleep: (ms: number) => Promise<void>
  /** Cancelled while the jobs run: they are cancelled, and what they copied is put back. */
  cancel?: Cancellation
}

/** Writes the plan with copy jobs and this process; returns the keys written. */
export async function applyWithBatch(
  ctx: WriteContext,
  writer: BatchWriter,
  stores: BatchRunStores,
  writers: Writers,
): Promise<number> {
  const runId = `${new Date().toISOString().replace(/[-:.]/g, '')}-${randomUUID().slice(0, 8)}`
  const run: JobsRun = {
    ...writer,
    runId,
    base: `${writer.batch.prefix.prefix}${runId}/`,
    sleep: writer.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    cancel: ctx.cancel,
  }
  const jobs = await ctx.log.group('Creating the copy jobs', () =>
    createJobs(ctx, run, stores.plan, writers),
  )
  writers.jobs = jobs
  await writeRunnerPart(ctx, run, writers, stores)
  await startAndAwaitJobs(ctx, run, jobs)
  return confirmJobs(ctx, run, jobs, stores)
}

/**
 * Step 1: one copy job per storage class, created awaiting confirmation (Suspended), so a bad
 * role, account or manifest is refused before any key is written. Sets `writers.runner`.
 */
async function createJobs(
  ctx: WriteContext,
  run: JobsRun,
  plan: Store<PlanItem>,
  writers: Writers,
): Promise<JobRun[]> {
  const { where, copy, log } = ctx
  const dir = await runDirectory()
  const groups = await manifests(plan, where.bucket, copy, dir).catch(async (e: unknown) => {
    await rm(dir, { recursive: true, force: true })
    throw e
  })
  writers.runner = groups.runner
  const created: JobRun[] = []
  try {
    for (const [storageClass, csv] of groups.byClass) {
      created.push(await createJob(ctx, run, storageClass, csv))
    }
    await awaitSuspended(run, created)
  } catch (e) {
    await cancel(run, created, 'the rollback stopped before its first write')
    throw e instanceof BatchJobError
      ? e
      : new StepError('creating the copy jobs', `s3://${where.bucket}`, e)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  log.info(
    `${writers.runner} keys for this process (delete markers, sources over 5 GB or in parts)`,
  )
  return created
}

/** Uploads one storage class's manifest and creates its copy job. */
async function createJob(
  ctx: WriteContext,
  run: JobsRun,
  storageClass: string,
  csv: { file: string; keys: number },
): Promise<JobRun> {
  const { s3, where, log } = ctx
  const { batch, runId, base } = run
  const key = `${base}manifest-${storageClass}.csv`
  const put = await s3.send(
    new PutObjectCommand({
      Bucket: batch.prefix.bucket,
      Key: key,
      Body: createReadStream(csv.file),
      ContentLength: (await stat(csv.file)).size,
      ContentType: 'text/csv',
    }),
  )
  const id = await createCopyJob(run.control, {
    accountId: batch.accountId,
    roleArn: batch.roleArn,
    priority: batch.priority,
    bucket: where.bucket,
    manifest: { bucket: batch.prefix.bucket, key, eTag: put.ETag?.replace(/"/g, '') ?? '' },
    report: { bucket: batch.prefix.bucket, prefix: `${base}reports` },
    storageClass,
    token: `${runId}-${storageClass}`.slice(0, 64),
    description: `s3-rollback ${runId}: ${csv.keys} keys of s3://${where.bucket} (${storageClass})`,
  })
  log.info(
    `Job ${id}: ${csv.keys} copies (${storageClass}); manifest s3://${batch.prefix.bucket}/${key}`,
  )
  return { id, storageClass, keys: csv.keys, failedTasks: [] }
}

/** Waits until every job created is Suspended (awaiting confirmation); any other end fails. */
async function awaitSuspended(run: JobsRun, created: JobRun[]): Promise<void> {
  for (const job of created) {
    job.state = await waitFor(run, job.id, (s) => s === 'Suspended' || FINAL_STATUSES.has(s))
    if (job.state.status !== 'Suspended') {
      const { status, reasons } = job.state
      throw new BatchJobError(
        { jobId: job.id, status, reasons, failedTasks: [] },
        'was not created',
      )
    }
  }
}

/** Step 2: this process writes its part; on failure (put back by applyPlan) the jobs are cancelled. */
async function writeRunnerPart(
  ctx: WriteContext,
  run: JobsRun,
  writers: Writers,
  stores: BatchRunStores,
): Promise<void> {
  const items = filtered(stores.plan, ctx.copy, 'runner')
  try {
    if (writers.runner > 0) {
      await ctx.log.group(`Restoring ${writers.runner} keys here`, () =>
        applyPlan(ctx, items, stores, writers.runner),
      )
    }
  } catch (e) {
    await cancel(run, writers.jobs, 'the rest of the rollback failed and was put back')
    throw e
  }
}

/**
 * Step 3: the jobs are confirmed (Ready), polled to their end, and their completion reports
 * read. A job that fails to start or does not finish in time is cancelled and marked: the
 * listing decides what landed, and the put-back undoes it.
 */
async function startAndAwaitJobs(ctx: WriteContext, run: JobsRun, jobs: JobRun[]): Promise<void> {
  const { s3, log } = ctx
  const { control, batch, base } = run
  await log
    .group(`Running ${jobs.length} copy job(s)`, async () => {
      for (const job of jobs)
        await setJobStatus(
          control,
          batch.accountId,
          job.id,
          'Ready',
          's3-rollback: planned and checked',
        )
      for (const job of jobs) {
        job.state = await waitFor(run, job.id, (s) => FINAL_STATUSES.has(s), log)
        job.failedTasks = (
          await fetchReport(s3, batch.prefix.bucket, `${base}reports`, job.id)
        ).filter((row) => row.status !== 'succeeded')
        log.info(
          `Job ${job.id}: ${job.state.status}, ${job.state.succeeded} succeeded, ${job.state.failed} failed` +
            (job.state.reasons.length > 0 ? `: ${job.state.reasons.join('; ')}` : ''),
        )
      }
    })
    .catch(async (e: unknown) => {
      await cancel(
        run,
        jobs,
        run.cancel?.requested ? 'the run was cancelled' : 'waiting for the job failed',
      )
      for (const job of jobs) {
        if (job.state && job.state.status === 'Complete') continue
        job.state = {
          ...(job.state ?? { succeeded: 0, failed: 0, total: 0 }),
          status: job.state?.status ?? 'unknown',
          reasons: [errorMessage(e)],
        }
      }
    })
}

/**
 * Steps 4 and 5: every key given to a job is confirmed from the listing, as a runner write is;
 * on any failure every key this run changed is put back (or, with `batch-put-back: false`, each
 * key's state is reported).
 */
async function confirmJobs(
  ctx: WriteContext,
  run: JobsRun,
  jobs: JobRun[],
  stores: BatchRunStores,
): Promise<number> {
  const failed = await confirmJobCopies(ctx, stores)
  const jobFailed = jobs.find((j) => j.state?.status !== 'Complete' || j.failedTasks.length > 0)
  if (failed.length === 0 && !jobFailed) return stores.journal.count
  const job = jobFailed ?? jobs[0]
  const error = new BatchJobError(
    {
      jobId: job.id,
      status: job.state?.status ?? 'unknown',
      reasons: job.state?.reasons ?? [],
      failedTasks: job.failedTasks,
    },
    failed.length > 0 ? `left ${failed.length} key(s) not restored` : 'failed',
  )
  await stores.journal.flush()
  const stopped = ctx.cancel?.requested
  if (stopped) ctx.log.warning(`Cancelled by ${stopped}: the copy jobs were cancelled`)
  const cause = stopped ? new CancelledError(stopped) : error
  if (!run.batch.putBack) {
    throw await reportStates(stores, failed, error)
  }
  ctx.log.warning(`${errorMessage(error)}; putting back every key this run changed`)
  throw await putBack(
    ctx,
    { guard: new WriteGuard(ctx.log), journal: stores.journal, candidates: failed },
    { failure: { item: failed[0]?.item, error: cause }, states: stores.states },
  )
}

/** The jobs' copies, confirmed from the listing a batch at a time; returns those not confirmed. */
async function confirmJobCopies(ctx: WriteContext, stores: BatchRunStores): Promise<Candidate[]> {
  const { s3, where, copy, walk, log } = ctx
  const failed: Candidate[] = []
  const size = ctx.batch ?? 1000
  let chunk: Written[] = []
  const flush = async (): Promise<void> => {
    for (const result of await confirmWrites(s3, where, chunk, { copy, walk })) {
      const { item } = result.written
      if ('error' in result) {
        failed.push({ item, attempts: 2, unsure: true, error: result.error })
        continue
      }
      await recordWrite(stores, item, result)
    }
    chunk = []
  }
  await log.group("Confirming the jobs' copies from the listing", async () => {
    for await (const item of filtered(stores.plan, copy, 'job')) {
      // a job may retry a task: its copy can land more than once
      chunk.push({ item, landed: { attempts: 2, uncertain: true } })
      if (chunk.length >= size) await flush()
    }
    await flush()
  })
  return failed
}

/** `batch-put-back: false`: every key's state, and how a re-run converges. */
async function reportStates(
  stores: BatchRunStores,
  failed: Candidate[],
  error: BatchJobError,
): Promise<Error> {
  for await (const { item, newVersionId } of stores.journal.read()) {
    await stores.states.write({ key: item.key, state: `restored (new version ${newVersionId})` })
  }
  for (const c of failed) {
    await stores.states.write({ key: c.item.key, state: `not restored: ${errorMessage(c.error)}` })
  }
  await stores.states.close()
  error.message +=
    `\nNothing was put back (batch-put-back: false): ${stores.journal.count} key(s) are restored, ` +
    `${failed.length} are not. Run the same rollback again: keys already at the target are left ` +
    'as they are, and only the others are written.' +
    (stores.states.path ? ` The state of every key is in ${stores.states.path}.` : '')
  return error
}

/** Polls a job until `done` says its status is the end (or batch-timeout passes). */
async function waitFor(
  run: JobsRun,
  jobId: string,
  done: (status: string) => boolean,
  log?: Logger,
): Promise<JobState> {
  const { control, batch, sleep } = run
  const deadline = Date.now() + batch.timeoutMs
  let pause = batch.pollIntervalMs
  let last = ''
  for (;;) {
    run.cancel?.throwIfRequested()
    const state = await describeJob(control, batch.accountId, jobId)
    if (done(state.status)) return state
    if (state.status !== last) {
      log?.info(
        `Job ${jobId} is ${state.status} (${state.succeeded + state.failed}/${state.total} tasks)`,
      )
      last = state.status
    }
    const left = deadline - Date.now()
    if (left <= 0) {
      throw new BatchJobError(
        { jobId, status: state.status, reasons: state.reasons, failedTasks: [] },
        `did not finish within batch-timeout`,
      )
    }
    await Promise.race([sleep(Math.min(pause, left)), run.cancel?.whenRequested()])
    pause = Math.min(pause * 1.5, Math.max(batch.pollIntervalMs, 60_000))
  }
}

/** Cancels every job not yet at its end (a failed cancel is left to the job's own end). */
async function cancel(run: JobsRun, jobs: JobRun[], why: string): Promise<void> {
  const { control, batch } = run
  for (const job of jobs) {
    if (job.state && FINAL_STATUSES.has(job.state.status)) continue
    await setJobStatus(control, batch.accountId, job.id, 'Cancelled', `s3-rollback: ${why}`).catch(
      () => undefined,
    )
  }
}
