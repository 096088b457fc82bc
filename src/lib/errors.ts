import { errorMessage, explain, type Explained } from './explain.js'
import { SealedFileError } from './sealed.js'

/** A bad action input or CLI flag: names the input, the value and the form expected. */
export class InputError extends Error {
  override name = 'InputError'
  constructor(
    readonly input: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(
      value === ''
        ? `Input '${input}' is missing: expected ${expected}.`
        : `Input '${input}' has an invalid value ${JSON.stringify(value)}: expected ${expected}.`,
    )
  }
}

/** One key that cannot be rolled back as asked. */
export interface KeyProblem {
  key: string
  problem: string
}

/** Planning found keys that cannot be restored; nothing was written. */
export class PlanError extends Error {
  override name = 'PlanError'
  constructor(readonly problems: KeyProblem[]) {
    super(
      `Nothing was written: ${problems.length} key(s) cannot be rolled back:\n` +
        problems.map((p) => `  ${p.key}: ${p.problem}`).join('\n'),
    )
  }
}

/** A saved plan no longer matches the bucket: keys moved since the dry run. Nothing was written. */
export class StalePlanError extends Error {
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

/** A Batch Operations job that did not copy every key it was given. */
export class BatchJobError extends Error {
  override name = 'BatchJobError'
  constructor(
    readonly jobId: string,
    readonly status: string,
    readonly reasons: string[],
    /** Tasks that failed, as the completion report names them. */
    readonly failedTasks: { key: string; errorCode: string; message: string }[],
    what: string,
  ) {
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
  }
}

/** A snapshot cannot be found or used (unknown name, another bucket). Nothing was written. */
export class SnapshotError extends Error {
  override name = 'SnapshotError'
}

/** The bucket itself cannot be rolled back (versioning off, not found, no access). */
export class BucketError extends Error {
  override name = 'BucketError'
}

/** Another writer changed a key while we restored it; their write is kept in the history. */
export class RaceError extends Error {
  override name = 'RaceError'
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`)
  }
}

/** A new version does not match its source (size or checksum). */
export class VerifyError extends Error {
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

/** A write failed; keys already changed were put back. Lists every key's final state. */
export class RestoreError extends Error {
  override name = 'RestoreError'
  constructor(
    override readonly cause: unknown,
    readonly failedKey: string,
    readonly finalStates: FinalState[],
    /** The file with every key's final state (a prefix run). */
    readonly statesFile?: string,
  ) {
    super(
      `Writing failed at ${failedKey}: ${errorMessage(cause)}\n` +
        'The keys this run changed were put back. Final state of every key' +
        (statesFile ? ` (all in ${statesFile})` : '') +
        ':\n' +
        finalStates.map((s) => `  ${s.key}: ${s.state}`).join('\n'),
    )
  }
}

/** The steps of a run, as failure messages name them. */
export type Phase =
  | 'checking the bucket'
  | 'reading the target'
  | 'listing'
  | 'planning'
  | 'creating the copy jobs'
  | 'verifying'

/**
 * A run stopped before its first write by an error that is not about one key's rollback (a
 * listing that failed, a HeadObject that was refused): names the step, the key or prefix, and
 * says that nothing was written.
 */
export class StepError extends Error {
  override name = 'StepError'
  constructor(
    readonly phase: Phase,
    /** What was being read: s3://bucket, s3://bucket/prefix, or a key. */
    readonly subject: string,
    override readonly cause: unknown,
  ) {
    super(`${phase[0].toUpperCase()}${phase.slice(1)} ${subject} failed: ${errorMessage(cause)}.
Nothing was written.`)
  }
}

/**
 * The downstream workflow could not be dispatched or found, or its run did not succeed in time.
 * `status` is the HTTP status of a failed API call; `runUrl` links the run once it is known.
 */
export class ChainError extends Error {
  override name = 'ChainError'
  constructor(
    message: string,
    readonly status?: number,
    readonly runUrl?: string,
  ) {
    super(message)
  }
}

export { errorMessage } from './explain.js'

/**
 * What a failed run comes to: a bad input ('usage'); a rollback refused or failed and put
 * back ('refused'); or, for anything else, the kind of its cause (lib/explain), with the fix.
 */
export function diagnose(
  e: unknown,
  context: { bucket?: string; endpoint?: string } = {},
): Omit<Explained, 'kind'> & { kind: Explained['kind'] | 'usage' } {
  if (e instanceof InputError) return { kind: 'usage' }
  const explained = explain(e, context)
  const refused = [
    PlanError,
    StalePlanError,
    SnapshotError,
    SealedFileError,
    BucketError,
    RaceError,
    VerifyError,
    RestoreError,
    ChainError,
    BatchJobError,
  ]
  if (refused.some((type) => e instanceof type)) return { ...explained, kind: 'refused' }
  return explained
}
