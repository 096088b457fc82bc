/** What a cancelled run says: in the log as the signal arrives, and in the job summary. */
import { CancelledError, type Cancellation } from '../lib/cancel.js'
import { RestoreError } from '../engine/index.js'

/** How a cancelled run ended. */
export interface CancelReport {
  signal: string
  /** Whether the run had written anything (and so put back). */
  wrote: boolean
  putBack: number
  notPutBack: number
  statesFile?: string
}

/** The log line for a signal: the first asks for the put-back, a second cuts it short. */
export function cancelNotice(signal: string, cancel: Cancellation): string {
  if (cancel.urgent) {
    return (
      `${signal} again: cutting the put-back short; every key's state is recorded ` +
      'in the final states'
    )
  }
  return (
    `Cancelled by ${signal}: starting no new write; the writes in flight finish, then ` +
    'every key this run changed is put back'
  )
}

/** What a cancelled run's error says of it. */
export function cancelled(e: unknown, cancel: Cancellation): CancelReport {
  const signal = cancel.requested ?? (e instanceof CancelledError ? e.signal : 'a signal')
  if (e instanceof RestoreError) {
    return {
      signal,
      wrote: true,
      putBack: e.putBack,
      notPutBack: e.notPutBack,
      statesFile: e.statesFile,
    }
  }
  return { signal, wrote: false, putBack: 0, notPutBack: 0 }
}
