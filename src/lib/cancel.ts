/**
 * Cancelling a run the way a runner does: GitHub sends SIGINT, SIGTERM 7.5 s later, and kills
 * the process tree 2.5 s after that (a terminal's Ctrl-C is the same SIGINT). The first signal
 * asks the run to start no new write, let the writes in flight finish and put back what it
 * changed; a second signal, or the deadline, cuts the put-back short so the run can still
 * record every key's state and exit before it is killed.
 */
import { RefusedError } from './errors.js'

/** A run's stop switch, passed down to the stages that start writes. */
export class Cancellation {
  private signal?: string
  private hurried = false
  private readonly waiters: Array<() => void> = []

  /** The signal that asked the run to stop (SIGINT, SIGTERM), once one has. */
  get requested(): string | undefined {
    return this.signal
  }

  /** True once the put-back itself must stop: a second signal, or the deadline. */
  get urgent(): boolean {
    return this.hurried
  }

  request(signal: string): void {
    if (this.signal === undefined) {
      this.signal = signal
      for (const wake of this.waiters.splice(0)) wake()
    } else {
      this.hurried = true
    }
  }

  hurry(): void {
    this.hurried = true
  }

  /** Throws CancelledError once the run was asked to stop: call before starting a write. */
  throwIfRequested(): void {
    if (this.signal !== undefined) throw new CancelledError(this.signal)
  }

  /** Resolves when the run is asked to stop (to cut a pause short). */
  whenRequested(): Promise<void> {
    if (this.signal !== undefined) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }
}

/** The run was cancelled (a signal): nothing more was started; what it changed was put back. */
export class CancelledError extends RefusedError {
  override name = 'CancelledError'
  constructor(readonly signal: string) {
    super(`cancelled by ${signal}`)
  }
}

/** True when `e` is, or was caused by, a cancellation. */
export function wasCancelled(e: unknown): e is Error {
  for (let cause = e, depth = 0; cause && depth < 5; depth++) {
    if (cause instanceof CancelledError) return true
    cause = (cause as { cause?: unknown }).cause
  }
  return false
}

/**
 * Seconds from the first signal to the point where the put-back stops starting writes: the
 * runner's SIGTERM comes 7.5 s after SIGINT and its kill 2.5 s later, so 6.5 s leaves time for
 * the writes in flight, the final states, the summary and the outputs.
 */
export const PUT_BACK_DEADLINE_MS = 6500

/**
 * Turns SIGINT and SIGTERM into `cancel.request()` for the life of a run, and hurries the
 * put-back at the deadline. Returns a function that removes the handlers.
 */
export function cancelOnSignals(
  cancel: Cancellation,
  options: { deadlineMs?: number; onSignal?: (signal: string) => void } = {},
): () => void {
  let timer: NodeJS.Timeout | undefined
  const handler = (signal: NodeJS.Signals): void => {
    const first = cancel.requested === undefined
    cancel.request(signal)
    options.onSignal?.(signal)
    if (first) {
      timer = setTimeout(() => cancel.hurry(), options.deadlineMs ?? PUT_BACK_DEADLINE_MS)
      timer.unref()
    }
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
    if (timer) clearTimeout(timer)
  }
}

/**
 * Yields the items of `source` until the run is asked to stop, then throws CancelledError: a
 * pool over it starts nothing more, lets the tasks in flight finish, and fails with that error.
 */
export async function* untilCancelled<T>(
  source: AsyncIterable<T> | Iterable<T>,
  cancel: Cancellation | undefined,
): AsyncGenerator<T> {
  for await (const item of source) {
    cancel?.throwIfRequested()
    yield item
  }
}
