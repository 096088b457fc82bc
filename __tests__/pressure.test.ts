import { describe, expect, it } from '@jest/globals'
import {
  concurrencyOf,
  isPushBack,
  noteConcurrency,
  onThrottle,
  reportThrottle,
  type Throttle,
} from '../src/s3/pressure.js'

describe('throttle reports', () => {
  it.each([
    [503, 'SlowDown', true],
    [429, undefined, true],
    [500, 'InternalError', true],
    [502, undefined, true],
    [400, 'Throttling', true],
    [404, 'NoSuchKey', false],
    [412, 'PreconditionFailed', false],
    [200, undefined, false],
  ])('%s %s pushes back: %s', (status, code, pushes) => {
    expect(isPushBack(status, code)).toBe(pushes)
  })

  it('reaches the listeners of that client only, until unsubscribed', () => {
    const a = {}
    const b = {}
    const seen: Throttle[] = []
    const off = onThrottle(a, (t) => seen.push(t))
    reportThrottle(a, { bucket: 'x', key: 'p/1', status: 503, code: 'SlowDown' })
    reportThrottle(a, { bucket: 'x', key: 'p/2', status: 404, code: 'NoSuchKey' })
    reportThrottle(b, { bucket: 'x', key: 'p/3', status: 503 })
    off()
    reportThrottle(a, { bucket: 'x', key: 'p/4', status: 503 })
    expect(seen.map((t) => t.key)).toEqual(['p/1'])
  })

  it('keeps the highest concurrency a client reached', () => {
    const s3 = {}
    expect(concurrencyOf(s3)).toBeUndefined()
    noteConcurrency(s3, { reached: 40, ceiling: 256 })
    noteConcurrency(s3, { reached: 12, ceiling: 256 })
    expect(concurrencyOf(s3)).toEqual({ reached: 40, ceiling: 256 })
  })
})
