import { getOctokit } from '@actions/github'
import type { Clock } from '../lib/clock.js'
import { ChainError } from '../lib/errors.js'
import type { Logger } from '../lib/log.js'
import { retryDecision, type Failure } from './retry.js'

/**
 * The Octokit that @actions/github 9 builds: REST routes and pagination only. It has no retry
 * or throttling plugin, so GitHubCalls is the one place that retries.
 */
export type GitHub = ReturnType<typeof getOctokit>

/** The REST API version every call asks for (the one whose dispatch schema we validate). */
export const API_VERSION = '2022-11-28'

/** An Octokit for `apiUrl` (GITHUB_API_URL on the runner; https://HOST/api/v3 on GHES). */
export function createGitHub(token: string, apiUrl: string): GitHub {
  return getOctokit(token, { baseUrl: apiUrl, userAgent: 's3-rollback' })
}

/** Response headers as Octokit returns them. */
type Headers = Record<string, string | number | undefined>

/** Calls the GitHub API politely: retries what GitHub says may be retried, never past `deadline`. */
export class GitHubCalls {
  private pausedUntil = 0

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Epoch milliseconds after which no call may wait any longer. */
    readonly deadline: number,
  ) {}

  /**
   * Sends `request`; retries rate limits, and server errors too when `idempotent` (a repeated
   * dispatch could start a second run, so dispatches pass false). Throws ChainError otherwise.
   */
  async send<R extends { headers: Headers }>(
    what: string,
    request: () => Promise<R>,
    idempotent = true,
  ): Promise<R> {
    for (let attempt = 0; ; attempt++) {
      await this.waitForQuota(what)
      try {
        const response = await request()
        this.noteQuota(response.headers)
        return response
      } catch (e) {
        const failure = asFailure(e)
        if (failure === undefined) throw e
        const decision = retryDecision(failure, attempt, idempotent, this.clock.now())
        if (!decision.retry) {
          throw new ChainError(`${what} failed: ${describe(failure)}`, failure.status)
        }
        const left = this.deadline - this.clock.now()
        if (decision.waitMs > left) {
          throw new ChainError(
            `${what} failed: ${describe(failure)}; GitHub asks to wait ${seconds(decision.waitMs)} ` +
              `(${decision.reason}), past the wait-timeout (${seconds(Math.max(left, 0))} left)`,
            failure.status,
          )
        }
        this.log.info(`${what}: ${decision.reason}; retrying in ${seconds(decision.waitMs)}`)
        await this.clock.sleep(decision.waitMs)
      }
    }
  }

  /** Milliseconds until the deadline (negative once it has passed). */
  timeLeft(): number {
    return this.deadline - this.clock.now()
  }

  /** After a response that used the last request of the hour, wait for the reset. */
  private noteQuota(headers: Headers): void {
    const reset = Number(headers['x-ratelimit-reset'])
    if (String(headers['x-ratelimit-remaining']) === '0' && reset > 0) {
      this.pausedUntil = reset * 1000 + 1000
    }
  }

  private async waitForQuota(what: string): Promise<void> {
    const wait = this.pausedUntil - this.clock.now()
    if (wait <= 0) return
    if (wait > this.timeLeft()) {
      throw new ChainError(
        `${what}: the API rate limit is used up until ` +
          `${new Date(this.pausedUntil).toISOString()}, past the wait-timeout`,
        403,
      )
    }
    this.log.info(`${what}: API rate limit used up; waiting ${seconds(wait)} for its reset`)
    await this.clock.sleep(wait)
  }
}

/** An Octokit RequestError as a Failure; undefined for anything else (a bug, not the network). */
function asFailure(e: unknown): Failure | undefined {
  if (
    typeof e !== 'object' ||
    e === null ||
    typeof (e as { status?: unknown }).status !== 'number'
  ) {
    return undefined
  }
  const error = e as { status: number; message?: string; response?: { headers?: Headers } }
  // Octokit reports a request that got no response as status 500 without a response.
  return {
    status: error.response ? error.status : undefined,
    headers: error.response?.headers ?? {},
    message: error.message ?? '',
  }
}

function describe(failure: Failure): string {
  return failure.status === undefined
    ? `no response (${failure.message})`
    : `HTTP ${failure.status}: ${failure.message}`
}

/** A duration for people: 15 s, 2.5 s, 90 s. */
export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`
}
