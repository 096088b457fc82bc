import { describe, expect, it } from '@jest/globals'
import { eachLimit } from '../src/lib/pool.js'

const tick = (): Promise<void> => new Promise((r) => setImmediate(r))

describe('eachLimit', () => {
  it('runs every item with at most `limit` at a time', async () => {
    let running = 0
    let most = 0
    const seen: number[] = []
    await eachLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++
      most = Math.max(most, running)
      await tick()
      seen.push(n)
      running--
    })
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(most).toBe(3)
  })

  it('reads a stream only as slots free up', async () => {
    let pulled = 0
    let maxAhead = 0
    let done = 0
    async function* source(): AsyncGenerator<number> {
      for (let i = 0; i < 50; i++) {
        pulled++
        maxAhead = Math.max(maxAhead, pulled - done)
        yield i
      }
    }
    await eachLimit(source(), 4, async () => {
      await tick()
      done++
    })
    expect(done).toBe(50)
    expect(maxAhead).toBeLessThanOrEqual(4)
  })

  it('starts nothing after the first failure, lets running tasks finish, and throws it', async () => {
    const started: number[] = []
    const finished: number[] = []
    let closed = false
    async function* source(): AsyncGenerator<number> {
      try {
        for (let i = 0; i < 100; i++) yield i
      } finally {
        closed = true
      }
    }
    const error = await eachLimit(source(), 2, async (n) => {
      started.push(n)
      await tick()
      if (n === 3) throw new Error('boom at 3')
      finished.push(n)
    }).catch((e: unknown) => e)
    expect((error as Error).message).toBe('boom at 3')
    expect(Math.max(...started)).toBeLessThanOrEqual(4)
    expect(finished).not.toContain(3)
    expect(closed).toBe(true)
  })

  it('throws an error from the source itself', async () => {
    async function* source(): AsyncGenerator<number> {
      yield 1
      throw new Error('listing failed')
    }
    await expect(eachLimit(source(), 2, async () => {})).rejects.toThrow('listing failed')
  })
})
