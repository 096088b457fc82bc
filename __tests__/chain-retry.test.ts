import { describe, expect, it } from '@jest/globals'
import { retryAfterMs, retryDecision, type Failure } from '../src/chain/retry.js'

const now = Date.parse('2026-03-02T10:00:00Z')
const failure = (
  status: number | undefined,
  headers: Failure['headers'] = {},
  message = '',
): Failure => ({ status, headers, message })

describe('retryDecision', () => {
  it.each<[string, Failure, number, boolean, number | undefined]>([
    ['429 with Retry-After', failure(429, { 'retry-after': '7' }), 0, false, 7000],
    ['403 with Retry-After', failure(403, { 'retry-after': '30' }), 0, false, 30_000],
    [
      '403 primary limit: until the reset',
      failure(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 90) }),
      0,
      true,
      91_000,
    ],
    [
      '429 primary limit whose reset has passed: a second',
      failure(429, { 'x-ratelimit-remaining': 0, 'x-ratelimit-reset': now / 1000 - 5 }),
      0,
      true,
      1000,
    ],
    ['429 without headers: a minute', failure(429), 0, true, 60_000],
    ['429 without headers, third time: four minutes', failure(429), 2, true, 240_000],
    [
      '403 secondary limit message: a minute',
      failure(403, {}, 'You have exceeded a secondary rate limit'),
      0,
      false,
      60_000,
    ],
    [
      '403 permission: never',
      failure(403, {}, 'Resource not accessible by integration'),
      0,
      true,
      undefined,
    ],
    ['429 after 5 retries: give up', failure(429, { 'retry-after': '1' }), 5, true, undefined],
    ['502 idempotent: 1 s', failure(502), 0, true, 1000],
    ['503 idempotent, third retry: 8 s', failure(503), 3, true, 8000],
    ['503 with Retry-After', failure(503, { 'retry-after': '12' }), 0, true, 12_000],
    ['500 after 4 retries: give up', failure(500), 4, true, undefined],
    ['502 not idempotent: never', failure(502), 0, false, undefined],
    ['no response, idempotent: 1 s', failure(undefined, {}, 'ECONNRESET'), 0, true, 1000],
    ['no response, not idempotent: never', failure(undefined), 0, false, undefined],
    ['401: never', failure(401), 0, true, undefined],
    ['404: never', failure(404), 0, true, undefined],
    ['422: never', failure(422), 0, true, undefined],
  ])('%s', (_name, f, attempt, idempotent, waitMs) => {
    const decision = retryDecision(f, attempt, idempotent, now)
    expect(decision.retry ? decision.waitMs : undefined).toBe(waitMs)
  })
})

describe('retryAfterMs', () => {
  it.each<[string | undefined, number | undefined]>([
    ['120', 120_000],
    [' 0 ', 0],
    ['Mon, 02 Mar 2026 10:01:00 GMT', 60_000],
    ['Mon, 02 Mar 2026 09:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%s', (value, ms) => {
    expect(retryAfterMs(value, now)).toBe(ms)
  })
})
