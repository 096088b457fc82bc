/**
 * Attempts per request. Both request paths retry throttling (503 SlowDown, 429) and transient
 * faults (500/502/503/504, ECONNRESET, EPIPE, ETIMEDOUT, ECONNREFUSED, socket timeouts) with
 * backoff.
 */
export const MAX_ATTEMPTS = 8
/** A request whose socket is idle this long is abandoned and retried (a stalled connection). */
export const SOCKET_TIMEOUT_MS = 120_000
