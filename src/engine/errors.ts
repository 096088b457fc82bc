/**
 * The engine's errors: a rollback refused before its first write (PlanError, StalePlanError),
 * or a write that failed and was put back (RestoreError, with every key's final state), and the
 * causes a write can fail for (another writer, a copy that does not match, a copy job).
 */
import { CancelledError } from '../lib/cancel.js'
import { RefusedError, errorMessage } from '../lib/errors.js'

/** One key that cannot be rolled back as asked. */
export interface KeyProblem {
  key: string
  problem: string
}

/** Planning found keys that cannot be restored; nothing was written. */
export class PlanError extends RefusedError {
  override name = 'PlanError'
  constructor(readonly problems: KeyProblem[]) {
    super(
      `Nothing was written: ${problems.length} key(s) cannot be rolled back:\n` +
        problems.map((p) => `  ${p.key}: ${p.problem}`).join('\n'),
    )
  }
}

/** A saved plan no longer matches the bucket: keys moved since the dry run. Nothing was written. */
export class StalePlanError extends RefusedError {
  override name = 'StalePlanError'
  constructor(
    readonly file: string,
    readonly moved: KeyProblem[],
    readonly count: number,
  ) {
    super(
      `The plan in ${file} is stale: ${count} key(s) changed since the dry run that made it. ` +
        'Nothing was written; make a new plan (a dry run) and have it approved again.\n' +
        moved.map((p) => `  ${p.key}: ${p.problem}`).join('\n') +
        (count > moved.length ? `\n  (${count - moved.length} more)` : ''),
    )
  }
}

/** How a Batch Operations job ended, as the run saw it. */
export interface JobEnd {
  jobId: string
  status: string
  reasons: string[]
  /** Tasks that failed, as the completion report names them. */
  failedTasks: { key: string; errorCode: string; message: string }[]
}

/** A Batch Operations job that did not copy every key it was given. */
export class BatchJobError extends RefusedError {
  readonly jobId: string
  readonly status: string
  readonly reasons: string[]
  readonly failedTasks: JobEnd['failedTasks']
  override name = 'BatchJobError'
  constructor(job: JobEnd, what: string) {
    const { jobId, status, reasons, failedTasks } = job
    const tasks = failedTasks
      .slice(0, 20)
      .map((t) => `\n  ${t.key}: ${t.errorCode || 'failed'} ${t.message}`.trimEnd())
      .join('')
    const more = failedTasks.length > 20 ? `\n  (${failedTasks.length - 20} more failed tasks)` : ''
    super(
      `Batch Operations job ${jobId} ${what} (status ${status}` +
        (reasons.length > 0 ? `: ${reasons.join('; ')}` : '') +
        ')' +
        (failedTasks.length > 0 ? `; failed tasks:${tasks}${more}` : ''),
    )
    this.jobId = jobId
    this.status = status
    this.reasons = reasons
    this.failedTasks = failedTasks
  }
}

/** Another writer changed a key while we restored it; their write is kept in the history. */
export class RaceError extends RefusedError {
  override name = 'RaceError'
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`)
  }
}

/** A new version does not match its source (size or checksum). */
export class VerifyError extends RefusedError {
  override name = 'VerifyError'
  constructor(
    readonly key: string,
    message: string,
    /** The version that was written and does not match. */
    readonly newVersionId?: string,
  ) {
    super(`${key}: ${message}`)
  }
}

/** The final state of one key after a failed run. */
export interface FinalState {
  key: string
  state: string
}

/** How a failed (or cancelled) run ended: what stopped it, and every key's final state. */
export interface RestoreFailure {
  cause: unknown
  /** The key whose write failed; '(unknown)' when the run was stopped, not failed. */
  failedKey: string
  /** The first final states (all of them are in `statesFile`). */
  finalStates: FinalState[]
  /** The file with every key's final state (a prefix run). */
  statesFile?: string
  /** Keys put back to their state before the run. */
  putBack?: number
  /** Keys this run changed that could not be put back (the put-back was cut short, or failed). */
  notPutBack?: number
}

/**
 * A write failed, or the run was cancelled, after the run had written: the keys it changed were
 * put back. Lists every key's final state.
 */
export class RestoreError extends RefusedError {
  override name = 'RestoreError'
  override readonly cause: unknown
  readonly failedKey: string
  readonly finalStates: FinalState[]
  readonly statesFile?: string
  readonly putBack: number
  readonly notPutBack: number
  constructor(failure: RestoreFailure) {
    const { cause, failedKey, finalStates, statesFile } = failure
    const notPutBack = failure.notPutBack ?? 0
    const cancelled = cause instanceof CancelledError
    const what = cancelled
      ? `Cancelled by ${cause.signal} while writing`
      : `Writing failed at ${failedKey}: ${errorMessage(cause)}`
    const back =
      notPutBack > 0
        ? `${notPutBack} key(s) this run changed could NOT be put back (see below); the others were.`
        : `The keys this run changed were put back (${failure.putBack ?? 0} keys put back).`
    super(
      `${what}\n${back} Final state of every key` +
        (statesFile ? ` (all in ${statesFile})` : '') +
        ':\n' +
        finalStates.map((s) => `  ${s.key}: ${s.state}`).join('\n'),
    )
    this.cause = cause
    this.failedKey = failedKey
    this.finalStates = finalStates
    this.statesFile = statesFile
    this.putBack = failure.putBack ?? 0
    this.notPutBack = notPutBack
  }
}
