import { describe, expect, it } from '@jest/globals'
import { Cancellation, CancelledError, untilCancelled } from '../src/lib/cancel.js'
import { eachAdaptive, eachLimit, type Pushback } from '../src/lib/pool.js'

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

describe('eachAdaptive', () => {
  /** A task that waits until released, so a test sees what is in flight. */
  function gate() {
    const waiting: Array<{ key: string; release: (e?: Error) => void }> = []
    const task = (key: string): Promise<void> =>
      new Promise((resolve, reject) =>
        waiting.push({ key, release: (e) => (e ? reject(e) : resolve()) }),
      )
    return { waiting, task }
  }
  /** Throttle reports, as a client's onThrottle gives them. */
  function reports() {
    let listener: Pushback | undefined
    return {
      watch: (l: Pushback) => {
        listener = l
        return () => (listener = undefined)
      },
      report: (bucket: string, key?: string) => listener?.({ bucket, key }),
      get watching() {
        return listener !== undefined
      },
    }
  }
  const place = (key: string) => ({ bucket: 'b', key })
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await tick()
  }

  it('runs every item, starting each prefix at the start window, under the ceiling', async () => {
    const g = gate()
    const keys = Array.from({ length: 40 }, (_, i) => `${i % 2 ? 'a' : 'c'}/${i}`)
    const done = eachAdaptive(keys, { ceiling: 6, start: 2, place }, g.task)
    await settle()
    // Two prefixes, a window of 2 each: 4 in flight (the ceiling of 6 is not what holds it).
    expect(g.waiting.map((w) => w.key.split('/')[0]).sort()).toEqual(['a', 'a', 'c', 'c'])
    while (g.waiting.length > 0) {
      g.waiting.splice(0).forEach((w) => w.release())
      await settle()
    }
    const stats = await done
    expect(stats.reached).toBeLessThanOrEqual(6)
    expect(stats.reached).toBeGreaterThanOrEqual(4)
  })

  it('never has more than the ceiling in flight, however many prefixes', async () => {
    let running = 0
    let most = 0
    const keys = Array.from({ length: 200 }, (_, i) => `p${i}/k`)
    const stats = await eachAdaptive(keys, { ceiling: 7, place }, async () => {
      running++
      most = Math.max(most, running)
      await tick()
      running--
    })
    expect(most).toBe(7)
    expect(stats.reached).toBe(7)
  })

  it('pulls lazily: at most the tasks in flight plus the look-ahead', async () => {
    let pulled = 0
    let done = 0
    let maxAhead = 0
    async function* source(): AsyncGenerator<string> {
      for (let i = 0; i < 300; i++) {
        pulled++
        maxAhead = Math.max(maxAhead, pulled - done)
        yield `one/${i}` // one prefix: its window, not the ceiling, holds it
      }
    }
    await eachAdaptive(source(), { ceiling: 256, start: 4, lookAhead: 8, place }, async () => {
      await tick()
      done++
    })
    expect(done).toBe(300)
    // In flight (the window grows, up to the ceiling) plus 8 held.
    expect(maxAhead).toBeLessThan(256 + 8 + 2)
  })

  it('holds items of a full prefix and starts others meanwhile', async () => {
    const g = gate()
    const keys = ['a/1', 'a/2', 'a/3', 'c/1', 'a/4']
    const done = eachAdaptive(keys, { ceiling: 10, start: 2, place }, g.task)
    await settle()
    expect(g.waiting.map((w) => w.key)).toEqual(['a/1', 'a/2', 'c/1'])
    g.waiting.splice(0).forEach((w) => w.release())
    await settle()
    expect(g.waiting.map((w) => w.key)).toEqual(['a/3', 'a/4'])
    g.waiting.splice(0).forEach((w) => w.release())
    await done
  })

  it('halves the window of the throttled prefix only', async () => {
    const g = gate()
    const r = reports()
    const keys = [...Array.from({ length: 8 }, (_, i) => `a/${i}`), 'c/0', 'c/1', 'c/2', 'c/3']
    const more = Array.from({ length: 8 }, (_, i) => `a/${i + 8}`)
    const done = eachAdaptive(
      [...keys, ...more, 'c/4', 'c/5'],
      {
        ceiling: 64,
        start: 4,
        place,
        watch: r.watch,
        clock: () => 0, // every round as fast: no rise, so no growth
      },
      g.task,
    )
    await settle()
    expect(g.waiting.map((w) => w.key)).toEqual([
      'a/0',
      'a/1',
      'a/2',
      'a/3',
      'c/0',
      'c/1',
      'c/2',
      'c/3',
    ])
    // a/0..a/3 answered SlowDown (one flight: halves once), and a key not in flight is not ours.
    for (const key of ['a/0', 'a/1', 'a/2', 'a/3', 'z/9']) r.report('b', key)
    r.report('b') // a listing: no key
    // Each finishes: a's window is now 2, c's still 4.
    g.waiting.splice(0).forEach((w) => w.release())
    await settle()
    const inFlight = g.waiting.map((w) => w.key.split('/')[0])
    expect(inFlight.filter((p) => p === 'a')).toHaveLength(2)
    expect(inFlight.filter((p) => p === 'c')).toHaveLength(2) // c/4, c/5: all that is left of c
    while (g.waiting.length > 0) {
      g.waiting.splice(0).forEach((w) => w.release())
      await settle()
    }
    const stats = await done
    expect(stats.decreases).toBe(1)
    expect(r.watching).toBe(false)
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
    const error = await eachAdaptive(
      source(),
      { ceiling: 2, place: (n) => place(`p/${n}`) },
      async (n) => {
        started.push(n)
        await tick()
        if (n === 3) throw new Error('boom at 3')
        finished.push(n)
      },
    ).catch((e: unknown) => e)
    expect((error as Error).message).toBe('boom at 3')
    expect(Math.max(...started)).toBeLessThanOrEqual(4)
    expect(finished).not.toContain(3)
    expect(closed).toBe(true)
  })

  it('throws an error from the source itself', async () => {
    async function* source(): AsyncGenerator<string> {
      yield 'p/1'
      throw new Error('listing failed')
    }
    await expect(eachAdaptive(source(), { ceiling: 2, place }, async () => {})).rejects.toThrow(
      'listing failed',
    )
  })

  it('starts no held item once cancelled: the tasks in flight finish, then it throws', async () => {
    const g = gate()
    const cancel = new Cancellation()
    const keys = Array.from({ length: 10 }, (_, i) => `a/${i}`)
    const done = eachAdaptive(
      untilCancelled(keys, cancel),
      { ceiling: 8, start: 2, lookAhead: 4, place, cancel },
      g.task,
    ).catch((e: unknown) => e)
    await settle()
    expect(g.waiting).toHaveLength(2) // and up to 4 held
    cancel.request('SIGINT')
    g.waiting.splice(0).forEach((w) => w.release())
    await settle()
    expect(g.waiting).toHaveLength(0)
    expect(await done).toBeInstanceOf(CancelledError)
  })
})
