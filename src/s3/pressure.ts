/**
 * How a request path tells the pools that S3 pushed back. Every attempt answered 503 SlowDown,
 * 429 or another 5xx is reported with its bucket and key, so a pool can slow down the one prefix
 * that asked (S3's request rates are per prefix). The SDK's path reports from a middleware inside
 * its retries (client.ts); any other request path calls `reportThrottle` the same way. Also keeps
 * the highest concurrency a client's pools reached, for the log and the summary.
 */

/** One attempt S3 answered with "slow down" or a server error. */
export interface Throttle {
  bucket: string
  /** The object's key; absent for a request not on one key (a listing). */
  key?: string
  /** The HTTP status of the answer (503, 429, 500, ...). */
  status: number
  /** S3's error code, when the answer had one (SlowDown, InternalError, ...). */
  code?: string
}

export type ThrottleListener = (throttle: Throttle) => void

/** Keyed by the client (any object a request path sends through). */
const listeners = new WeakMap<object, Set<ThrottleListener>>()

/**
 * Calls `listener` for every throttle or 5xx answer to a request of `s3`, until the returned
 * function is called.
 */
export function onThrottle(s3: object, listener: ThrottleListener): () => void {
  let set = listeners.get(s3)
  if (!set) listeners.set(s3, (set = new Set()))
  set.add(listener)
  return () => {
    set.delete(listener)
  }
}

/** Tells the listeners of `s3` about one answer, if it is a throttle or a 5xx (else ignored). */
export function reportThrottle(s3: object, throttle: Throttle): void {
  if (!isPushBack(throttle.status, throttle.code)) return
  for (const listener of listeners.get(s3) ?? []) listener(throttle)
}

/**
 * An answer that asks for fewer requests: 503 SlowDown, 429 (Too Many Requests; SDKs treat
 * `Throttling`-style codes alike), or any 5xx (the store is overloaded or failing: backing off
 * helps it, and retrying hard does not).
 */
export function isPushBack(status: number | undefined, code?: string): boolean {
  if (code === 'SlowDown' || code === 'Throttling' || code === 'ThrottlingException') return true
  return status !== undefined && (status === 429 || (status >= 500 && status <= 599))
}

/** The most requests a client's pools had in flight at once, and the ceiling they had. */
export interface ConcurrencyReached {
  reached: number
  ceiling: number
}

const reached = new WeakMap<object, ConcurrencyReached>()

/** Records what a pool of `s3` reached (the highest of all its pools is kept). */
export function noteConcurrency(s3: object, seen: ConcurrencyReached): void {
  const before = reached.get(s3)
  if (!before || seen.reached > before.reached) reached.set(s3, { ...seen })
}

/** The most requests a pool of `s3` had in flight, once a pool ran. */
export function concurrencyOf(s3: object): ConcurrencyReached | undefined {
  return reached.get(s3)
}
