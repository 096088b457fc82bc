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

/** A snapshot cannot be found or used (unknown name, another bucket). Nothing was written. */
export class SnapshotError extends Error {
  override name = 'SnapshotError'
}

/** The bucket itself cannot be rolled back (versioning off, not found, no access). */
export class BucketError extends Error {
  override name = 'BucketError'
}

/**
 * A run that was refused, or failed and was put back, for a reason that is not the user's
 * input: the engine's errors extend it, so the ground floor can tell them apart without
 * knowing them.
 */
export class RefusedError extends Error {}

/** The steps of a run, as failure messages name them. */
export type Phase =
  | 'checking the bucket'
  | 'checking the destination bucket'
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
  const refused = [RefusedError, SnapshotError, SealedFileError, BucketError, ChainError]
  if (refused.some((type) => e instanceof type)) return { ...explained, kind: 'refused' }
  return explained
}
