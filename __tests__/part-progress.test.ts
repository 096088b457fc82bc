// The progress lines of one multipart copy (engine/write/part-progress.ts), on a fake clock.
import { describe, expect, it } from '@jest/globals'
import { partProgress } from '../src/engine/write/part-progress.js'
import { partRanges } from '../src/engine/write/parts.js'
import type { Logger } from '../src/lib/log.js'

const MiB = 1024 * 1024

function recorder(): { log: Logger; lines: string[] } {
  const lines: string[] = []
  const log: Logger = {
    info: (m) => lines.push(m),
    warning: (m) => lines.push(`warning: ${m}`),
    debug: () => {},
    group: (_name, fn) => fn(),
  }
  return { log, lines }
}

/** A clock moved by hand, and the timer's tick called by hand. */
function fakeTime(): {
  now: () => number
  advance: (ms: number) => void
  every: (ms: number, tick: () => void) => () => void
  stopped: () => boolean
} {
  let t = 0
  let tick: (() => void) | undefined
  let period = 0
  let next = 0
  let stopped = false
  return {
    now: () => t,
    advance(ms) {
      const end = t + ms
      while (tick && next <= end) {
        t = next
        next += period
        tick()
      }
      t = end
    },
    every: (ms, fn) => {
      tick = fn
      period = ms
      next = t + ms
      return () => {
        stopped = true
        tick = undefined
      }
    },
    stopped: () => stopped,
  }
}

describe('partProgress', () => {
  it('an 845 MB copy of 2 parts in flight: a line every 10 s, and the end', () => {
    const { log, lines } = recorder()
    const time = fakeTime()
    const ranges = partRanges(845 * 1000 * 1000, 512 * MiB)
    const progress = partProgress(log, 'census.zip', ranges, { now: time.now, every: time.every })
    time.advance(25_000)
    progress.partDone(1)
    time.advance(5_000)
    progress.partDone(0)
    progress.finish()
    expect(lines).toEqual([
      'Copying census.zip in parts: 0 B/805.9 MiB (0%), 0 B/s, elapsed 10s, 0/2 parts',
      'Copying census.zip in parts: 0 B/805.9 MiB (0%), 0 B/s, elapsed 20s, 0/2 parts',
      'Copying census.zip in parts: 293.9 MiB/805.9 MiB (36%), 11.8 MiB/s, ETA 44s, 1/2 parts',
      'Copying census.zip in parts: 805.9 MiB/805.9 MiB (100%), 26.9 MiB/s, elapsed 30s, 2/2 parts',
    ])
    expect(time.stopped()).toBe(true)
  })

  it('many parts: a line at each 10% of the bytes, once 10 s have passed', () => {
    const { log, lines } = recorder()
    const time = fakeTime()
    const ranges = partRanges(100 * 8 * MiB, 8 * MiB)
    const progress = partProgress(log, 'big.bin', ranges, {
      now: time.now,
      every: time.every,
      everyMs: 60_000,
    })
    for (let i = 0; i < 100; i++) {
      time.advance(200)
      progress.partDone(i)
    }
    progress.finish()
    expect(lines.map((l) => /\((\d+)%\)/.exec(l)?.[1])).toEqual([
      '50',
      '60',
      '70',
      '80',
      '90',
      '100',
    ])
    expect(lines.at(-1)).toMatch(
      /800\.0 MiB\/800\.0 MiB \(100%\), 40\.0 MiB\/s, elapsed 20s, 100\/100 parts$/,
    )
  })

  it('a copy that ends within 10 s says nothing', () => {
    const { log, lines } = recorder()
    const time = fakeTime()
    const ranges = partRanges(3 * 5 * MiB, 5 * MiB)
    const progress = partProgress(log, 'small.zip', ranges, { now: time.now, every: time.every })
    for (const i of [0, 1, 2]) {
      time.advance(1_000)
      progress.partDone(i)
    }
    progress.finish()
    expect(lines).toEqual([])
    expect(time.stopped()).toBe(true)
  })

  it('without a logger, nothing; after finish, nothing more', () => {
    const quiet = partProgress(undefined, 'k', partRanges(10 * MiB, 5 * MiB))
    quiet.partDone(0)
    quiet.finish()
    const { log, lines } = recorder()
    const time = fakeTime()
    const progress = partProgress(log, 'k', partRanges(10 * MiB, 5 * MiB), {
      now: time.now,
      every: time.every,
    })
    time.advance(10_000)
    progress.finish()
    progress.finish()
    progress.partDone(0)
    time.advance(10_000)
    expect(lines).toEqual(['Copying k in parts: 0 B/10.0 MiB (0%), 0 B/s, elapsed 10s, 0/2 parts'])
  })
})
