/** A bad action input or CLI flag: names the input, the value and the form expected. */
export class InputError extends Error {
  override name = 'InputError'
  constructor(
    readonly input: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`Input '${input}' has an invalid value ${JSON.stringify(value)}: expected ${expected}.`)
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
  ) {
    super(
      `Restore failed at ${failedKey}: ${errorMessage(cause)}\nFinal state of every key:\n` +
        finalStates.map((s) => `  ${s.key}: ${s.state}`).join('\n'),
    )
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

/** A readable message for anything thrown. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message
  if (typeof e === 'string') return e
  try {
    return JSON.stringify(e)
  } catch {
    return String(e)
  }
}
