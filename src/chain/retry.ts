/** What came back from a failed GitHub API call. */
export interface Failure {
  /** HTTP status; undefined when no response arrived (connection reset, DNS, TLS). */
  status?: number
  /** Response headers, names in lower case. */
  headers: Record<string, string | number | undefined>
  message: string
}

/** Whether to try a failed call again, and after how long. */
export type RetryDecision = { retry: true; waitMs: number; reason: string } | { retry: false }

/** Rate-limited calls are retried this often (GitHub: "throw an error after a specific number"). */
export const MAX_RATE_LIMIT_RETRIES = 5
/** Server errors and lost connections of idempotent calls are retried this often. */
export const MAX_SERVER_ERROR_RETRIES = 4
/** GitHub's advice when a secondary rate limit gives no other hint: at least a minute. */
export const SECONDARY_RATE_LIMIT_WAIT_MS = 60_000

/**
 * GitHub's documented retry rules ("Rate limits for the REST API"), as a pure function:
 * - 403/429 with `retry-after`: wait that long (primary or secondary limit);
 * - 403/429 with `x-ratelimit-remaining: 0`: wait until `x-ratelimit-reset` (epoch seconds);
 * - 429, or 403 saying "secondary rate limit": wait a minute, doubling on each retry;
 * - 5xx or no response: retried with backoff only when the call is idempotent (a dispatch that
 *   got a 502 may have started a run, so it is not repeated); `retry-after` is honoured there too;
 * - anything else (401, 403 without those signs, 404, 422): not retried.
 * `attempt` counts the retries already made (0 for the first failure).
 */
export function retryDecision(
  failure: Failure,
  attempt: number,
  idempotent: boolean,
  now: number,
): RetryDecision {
  const { status } = failure
  const retryAfter = retryAfterMs(failure.headers['retry-after'], now)
  if (status === 403 || status === 429) {
    if (attempt >= MAX_RATE_LIMIT_RETRIES) return { retry: false }
    if (retryAfter !== undefined) {
      return {
        retry: true,
        waitMs: retryAfter,
        reason: `rate limited (HTTP ${status}), Retry-After`,
      }
    }
    const remaining = header(failure.headers, 'x-ratelimit-remaining')
    const reset = Number(header(failure.headers, 'x-ratelimit-reset'))
    if (remaining === '0' && Number.isFinite(reset) && reset > 0) {
      return {
        retry: true,
        waitMs: Math.max(reset * 1000 - now, 0) + 1000,
        reason: `primary rate limit (HTTP ${status}), resets at ${new Date(reset * 1000).toISOString()}`,
      }
    }
    if (status === 429 || /secondary rate limit|abuse/i.test(failure.message)) {
      return {
        retry: true,
        waitMs: SECONDARY_RATE_LIMIT_WAIT_MS * 2 ** attempt,
        reason: `secondary rate limit (HTTP ${status})`,
      }
    }
    return { retry: false }
  }
  if (status === undefined || status >= 500) {
    if (!idempotent || attempt >= MAX_SERVER_ERROR_RETRIES) return { retry: false }
    const what = status === undefined ? `no response (${failure.message})` : `HTTP ${status}`
    return {
      retry: true,
      waitMs: retryAfter ?? Math.min(1000 * 2 ** attempt, 30_000),
      reason: what,
    }
  }
  return { retry: false }
}

function header(headers: Failure['headers'], name: string): string | undefined {
  const value = headers[name]
  return value === undefined ? undefined : String(value).trim()
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds from now. */
export function retryAfterMs(value: string | number | undefined, now: number): number | undefined {
  if (value === undefined || String(value).trim() === '') return undefined
  const text = String(value).trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : Math.max(at - now, 0)
}
