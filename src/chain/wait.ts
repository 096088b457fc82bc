import type { Clock } from '../lib/clock.js'
import { ChainError } from '../lib/errors.js'
import { seconds, type GitHub, type GitHubCalls } from './client.js'
import type { Logger } from '../lib/log.js'
import { getRun, type RunInfo } from './runs.js'

/** Pauses between status checks grow by this factor… */
const BACKOFF = 1.5
/** …up to a minute (or the poll interval, when that is longer). */
const MAX_PAUSE_MS = 60_000

/**
 * Polls the run until its status is `completed` and returns it. Every other status (queued,
 * in_progress, waiting, pending, requested, or one GitHub adds later) keeps polling. Throws
 * ChainError with the run's URL when the deadline of `calls` passes first.
 */
export async function waitForRun(
  github: GitHub,
  calls: GitHubCalls,
  target: { owner: string; repo: string; runId: number },
  options: {
    clock: Clock
    log: Logger
    pollMs: number
    timeoutMs: number
    /** Told every status seen. */
    onStatus?: (status: string | null) => void
  },
): Promise<RunInfo> {
  let pause = options.pollMs
  let last: string | null | undefined
  for (;;) {
    const run = await getRun(github, calls, target)
    options.onStatus?.(run.status)
    if (run.status === 'completed') return run
    if (run.status !== last) {
      options.log.info(`Run ${run.id} is ${run.status ?? 'without a status'}: ${run.htmlUrl}`)
      last = run.status
    }
    const left = calls.timeLeft()
    if (left <= 0) {
      throw new ChainError(
        `Run ${run.id} did not complete within the wait-timeout of ` +
          `${seconds(options.timeoutMs)} (last status: ${run.status}): ${run.htmlUrl}`,
        undefined,
        run.htmlUrl,
      )
    }
    await options.clock.sleep(Math.min(pause, left))
    pause = Math.min(pause * BACKOFF, Math.max(options.pollMs, MAX_PAUSE_MS))
  }
}
