import { describe, expect, it } from '@jest/globals'
import type { Logger } from '../src/lib/log.js'
import { duration, Progress } from '../src/lib/progress.js'

function recorder(): { log: Logger; lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    log: { info: (m) => lines.push(m), warning() {}, debug() {}, group: (_n, fn) => fn() },
  }
}

describe('Progress', () => {
  it('writes a line per 10% step with done/total, rate and ETA', () => {
    let now = 0
    const { log, lines } = recorder()
    const progress = new Progress('Restored', 1000, log, { now: () => now, everyMs: 60_000 })
    for (let i = 0; i < 1000; i++) {
      now += 10 // 100 keys per second
      progress.add()
    }
    expect(lines).toHaveLength(10)
    expect(lines[0]).toBe('Restored: 100/1000 (10%), 100.0/s, ETA 9s')
    expect(lines[9]).toBe('Restored: 1000/1000 (100%), 100.0/s, elapsed 10s')
    progress.finish() // already said
    expect(lines).toHaveLength(10)
  })

  it('writes at most one line per interval when steps are small', () => {
    let now = 0
    const { log, lines } = recorder()
    const progress = new Progress('Resolved', undefined, log, { now: () => now, everyMs: 5000 })
    for (let i = 0; i < 600; i++) {
      now += 100
      progress.add(1, 'detail')
    }
    expect(lines).toHaveLength(12)
    expect(lines[0]).toBe('Resolved: 50, 10.0/s, elapsed 5s, detail')
    progress.finish('done')
    expect(lines.at(-1)).toBe('Resolved: 600, 10.0/s, elapsed 1m00s, done')
  })

  it.each([
    [0.4, '0s'],
    [45, '45s'],
    [185, '3m05s'],
    [3720, '1h02m'],
  ])('duration(%d) is %s', (seconds, text) => {
    expect(duration(seconds)).toBe(text)
  })
})
