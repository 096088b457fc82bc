/**
 * The SDK's standard retry rules (@smithy/util-retry, @smithy/service-error-classification),
 * for the lean request path: which answers are retried and how long to wait before the next
 * attempt (full jitter over an exponential, 100 ms base, 500 ms for throttling, 20 s cap).
 */

/** One attempt's answer, for the listeners of a client (counts, adaptive concurrency). */
export interface Attempt {
  bucket: string
  key?: string
  /** The HTTP status, or undefined when no answer came (a network error). */
  status?: number
  /** The S3 error code, or the system code of a network error. */
  code?: string
  /** No attempt follows: the request failed with this answer. */
  final: boolean
}

export const THROTTLING_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete',
])

const TRANSIENT_CODES = new Set([
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'InternalError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  // Retried once the clock offset is learned from the answer (as the SDK corrects its skew).
  'RequestTimeTooSkewed',
])

const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504])

export function isThrottling(status: number | undefined, code: string | undefined): boolean {
  return status === 429 || (code !== undefined && THROTTLING_CODES.has(code))
}

export function isRetryable(status: number | undefined, code: string | undefined): boolean {
  if (isThrottling(status, code)) return true
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true
  return status !== undefined && TRANSIENT_STATUSES.has(status)
}

const BASE_MS = 100
const THROTTLING_BASE_MS = 500
const MAX_DELAY_MS = 20_000

/** The pause before attempt `attempt + 1`. */
export function backoffMs(attempt: number, code: string | undefined, random = Math.random): number {
  const base = code !== undefined && THROTTLING_CODES.has(code) ? THROTTLING_BASE_MS : BASE_MS
  return Math.floor(random() * Math.min(MAX_DELAY_MS, base * 2 ** (attempt - 1)))
}
