import { describe, expect, it } from '@jest/globals'
import { partitionOf, Window, Windows } from '../src/lib/aimd.js'

/** Runs one window's worth of requests through `w`, each taking `ms`, from `now`; returns the end. */
function round(w: Window, now: number, ms: number): number {
  const n = w.size
  for (let i = 0; i < n; i++) w.started()
  for (let i = 0; i < n; i++) w.finished(now + ms, true)
  return now + ms
}

/**
 * A store that answers `perMs` requests a millisecond and takes at least `baseMs` each: a request
 * sent with `q` in flight takes max(baseMs, q / perMs). Sends `total` requests through `windows`
 * (all to one prefix) as fast as they admit them; returns the window sizes seen.
 */
function simulate(windows: Windows, store: { baseMs: number; perMs: number }, total: number) {
  const sizes: number[] = []
  let now = 0
  let sent = 0
  let maxInFlight = 0
  const tickets: Array<{ at: number; t: ReturnType<Windows['start']> }> = []
  while (sent < total || tickets.length > 0) {
    while (sent < total && windows.canStart('b/p/', now)) {
      const t = windows.start('b/p/', now)
      const at = now + Math.max(store.baseMs, (windows.inFlight - 1) / store.perMs)
      tickets.push({ at, t })
      sent++
      maxInFlight = Math.max(maxInFlight, windows.inFlight)
    }
    tickets.sort((a, b) => a.at - b.at)
    const next = tickets.shift()
    if (!next) break
    now = next.at
    windows.finish(next.t, true, now)
    sizes.push(windows.of('b/p/', now).size)
  }
  return { sizes, maxInFlight }
}

describe('partitionOf', () => {
  it.each([
    ['b', 'tiles/1/2/3.png', 'b/tiles/'],
    ['b', 'tiles/', 'b/tiles/'],
    ['b', 'top.csv', 'b/'],
    ['c', 'tiles/1.png', 'c/tiles/'],
    ['b', 'été/a', 'b/été/'],
  ])('%s %s → %s', (bucket, key, partition) => {
    expect(partitionOf(bucket, key)).toBe(partition)
  })
})

describe('Window', () => {
  it('starts at the start size, clamped to 1..ceiling', () => {
    expect(new Window({ start: 16, ceiling: 256 }, 0).size).toBe(16)
    expect(new Window({ start: 16, ceiling: 4 }, 0).size).toBe(4)
    expect(new Window({ start: 0, ceiling: 4 }, 0).size).toBe(1)
  })

  it('doubles each round while the rate rises, up to the ceiling and never past it', () => {
    const w = new Window({ start: 16, ceiling: 100 }, 0)
    let now = 0
    const seen: number[] = []
    for (let i = 0; i < 6; i++) {
      now = round(w, now, 50) // the same latency: a bigger window gives a higher rate
      seen.push(w.size)
    }
    expect(seen).toEqual([32, 64, 100, 100, 100, 100])
  })

  it('stops doubling on a plateau, then grows by one a round when the rate rises again', () => {
    const w = new Window({ start: 8, ceiling: 256 }, 0)
    let now = round(w, 0, 10) // 8 in 10 ms: first round, grows
    expect(w.size).toBe(16)
    now = round(w, now, 20) // 16 in 20 ms: the same rate: a plateau
    expect(w.size).toBe(16)
    now = round(w, now, 10) // the rate doubled: additive now
    expect(w.size).toBe(17)
    round(w, now, 10) // 17 in 10 ms: up by more than a quarter of the 1/16 it should
    expect(w.size).toBe(18)
  })

  it('does not grow on a round in which it was never full', () => {
    const w = new Window({ start: 4, ceiling: 64 }, 0)
    for (let i = 0; i < 4; i++) {
      w.started()
      w.finished(i + 1, true) // one at a time: the source held it back
    }
    expect(w.size).toBe(4)
  })

  it('halves on a throttle, once per flight, never below 1', () => {
    const w = new Window({ start: 16, ceiling: 256 }, 0)
    const epochs = Array.from({ length: 16 }, () => w.started())
    const next = epochs.map((e) => w.throttled(e, 1))
    expect(w.size).toBe(8) // 16 requests of one flight throttled: halved once
    expect(w.decreases).toBe(1)
    // Their retries, sent after the decrease, throttled again: halved once more.
    next.forEach((e) => w.throttled(e, 2))
    expect(w.size).toBe(4)
    let epoch = w.epoch
    for (let i = 0; i < 10; i++) epoch = w.throttled(epoch, 3 + i)
    expect(w.size).toBe(1)
  })

  it('ignores failures that are not throttles (they count for nothing)', () => {
    const w = new Window({ start: 2, ceiling: 8 }, 0)
    w.started()
    w.started()
    w.finished(5, false)
    w.finished(5, false)
    expect(w.size).toBe(2)
    expect(w.inFlight).toBe(0)
  })
})

describe('Windows', () => {
  it('halves only the throttled prefix', () => {
    const ws = new Windows({ start: 16, ceiling: 256 })
    const a = ws.start('b/a/', 0)
    ws.start('b/c/', 0)
    ws.throttle(a, 1)
    expect(ws.of('b/a/', 1).size).toBe(8)
    expect(ws.of('b/c/', 1).size).toBe(16)
    expect(ws.decreases).toBe(1)
  })

  it('holds the sum of all prefixes under the ceiling', () => {
    const ws = new Windows({ start: 16, ceiling: 20 })
    let started = 0
    for (const p of ['b/1/', 'b/2/', 'b/3/']) {
      while (ws.canStart(p, 0)) {
        ws.start(p, 0)
        started++
      }
    }
    expect(started).toBe(20)
    expect(ws.peak).toBe(20)
    expect(ws.full).toBe(true)
  })

  it('fills a 50 ms round trip: reaches the ceiling when the store keeps up', () => {
    const ws = new Windows({ start: 16, ceiling: 256 })
    const run = simulate(ws, { baseMs: 50, perMs: 1000 }, 20_000)
    expect(run.maxInFlight).toBe(256)
    expect(Math.max(...run.sizes)).toBe(256)
  })

  it('stops growing where the store stops answering faster', () => {
    // 1 request a millisecond, 10 ms at least: 10 in flight fill it; more only queue.
    const ws = new Windows({ start: 4, ceiling: 256 })
    const run = simulate(ws, { baseMs: 10, perMs: 1 }, 5_000)
    expect(Math.max(...run.sizes)).toBeLessThanOrEqual(32)
    expect(Math.max(...run.sizes)).toBeGreaterThanOrEqual(8)
  })
})
