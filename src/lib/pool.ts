import { partitionOf, Windows, type Ticket } from './aimd.js'

/**
 * Runs `task` for each item of `items` with at most `limit` at a time, pulling items only as
 * slots free up (so a streamed source is never read far ahead). The first failure stops new
 * starts; tasks already running finish; then the first error is thrown.
 */
export async function eachLimit<T>(
  items: AsyncIterable<T> | Iterable<T>,
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  const iterator =
    Symbol.asyncIterator in items
      ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (items as Iterable<T>)[Symbol.iterator]()
  let failed = false
  let error: unknown
  // Workers take turns on the iterator: a generator cannot be advanced twice at once.
  let turn: Promise<unknown> = Promise.resolve()
  const next = (): Promise<IteratorResult<T>> => {
    const result = turn.then(() => iterator.next())
    turn = result.catch(() => undefined)
    return result
  }
  const worker = async (): Promise<void> => {
    while (!failed) {
      let step: IteratorResult<T>
      try {
        step = await next()
      } catch (e) {
        if (!failed) error = e
        failed = true
        return
      }
      if (step.done) return
      try {
        await task(step.value)
      } catch (e) {
        if (!failed) error = e
        failed = true
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker))
  if (failed) {
    await iterator.return?.()
    throw error
  }
}

/** Where an item's task writes: its prefix's window, and how a throttle report finds it. */
export interface Place {
  bucket: string
  key: string
}

/** A throttle or 5xx answer, as a request path reports it (s3/pressure.ts). */
export type Pushback = (answer: { bucket: string; key?: string }) => void

export interface AdaptiveOptions<T> {
  /** The most tasks at once (the `concurrency` a user sets). */
  ceiling: number
  /** The window each prefix starts with (default 16, at most the ceiling). */
  start?: number
  /** The bucket and key of an item's task. */
  place: (item: T) => Place
  /** Subscribes to the throttle reports of the tasks' requests; returns the unsubscribe. */
  watch?: (listener: Pushback) => () => void
  /** Items read ahead while their prefix's window is full (default 32). */
  lookAhead?: number
  /** Checked before each start: once requested, nothing more starts (as `untilCancelled`). */
  cancel?: { throwIfRequested(): void }
  /** Milliseconds, for the rates (default performance.now). */
  clock?: () => number
  /** Told what the pool did when it ends, failed or not. */
  observe?: (stats: PoolStats) => void
}

/** What an adaptive pool did. */
export interface PoolStats {
  /** The most tasks in flight at once. */
  reached: number
  ceiling: number
  /** Times a prefix's window was halved. */
  decreases: number
}

/** The start window when none is given: enough for a fast store, grown from there. */
export const START_WINDOW = 16

/**
 * eachLimit whose limit follows the store (aimd.ts): each prefix's tasks are admitted while its
 * window has room and the ceiling is not reached; a throttle of a task's request halves its
 * prefix's window. The contract is eachLimit's: items are pulled only when a task could start
 * (plus at most `lookAhead` held while their prefix is full), the first failure stops new
 * starts, running tasks finish, then the first error is thrown.
 */
export async function eachAdaptive<T>(
  items: AsyncIterable<T> | Iterable<T>,
  options: AdaptiveOptions<T>,
  task: (item: T) => Promise<void>,
): Promise<PoolStats> {
  const clock = options.clock ?? (() => performance.now())
  const ceiling = Math.max(1, options.ceiling)
  const windows = new Windows({ ceiling, start: options.start ?? START_WINDOW })
  const lookAhead = Math.max(1, options.lookAhead ?? 32)
  const iterator =
    Symbol.asyncIterator in items
      ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (items as Iterable<T>)[Symbol.iterator]()
  const held: Array<{ item: T; place: Place; partition: string }> = []
  const tickets = new Map<string, Ticket>()
  let failed = false
  let error: unknown
  let exhausted = false
  let pulling = false
  let running = 0
  let wake: () => void = () => undefined
  const fail = (e: unknown): void => {
    if (!failed) error = e
    failed = true
  }
  const launch = (item: T, place: Place, partition: string): void => {
    const id = `${place.bucket}\u0000${place.key}`
    const ticket = windows.start(partition, clock())
    tickets.set(id, ticket)
    running++
    void (async () => {
      let ok = false
      try {
        await task(item)
        ok = true
      } catch (e) {
        fail(e)
      } finally {
        if (tickets.get(id) === ticket) tickets.delete(id)
        windows.finish(ticket, ok, clock())
        running--
        wake()
      }
    })()
  }
  const startHeld = (): void => {
    for (let i = 0; i < held.length && !failed && !windows.full;) {
      const { item, place, partition } = held[i]
      if (!windows.canStart(partition, clock())) {
        i++
        continue
      }
      try {
        options.cancel?.throwIfRequested()
      } catch (e) {
        fail(e)
        return
      }
      held.splice(i, 1)
      launch(item, place, partition)
    }
  }
  const pull = (): void => {
    pulling = true
    void (async () => {
      try {
        const step = await iterator.next()
        if (step.done) exhausted = true
        else {
          const place = options.place(step.value)
          held.push({ item: step.value, place, partition: partitionOf(place.bucket, place.key) })
        }
      } catch (e) {
        fail(e)
      } finally {
        pulling = false
        wake()
      }
    })()
  }
  // A report of a key with no task of this pool in flight (a listing, another stage's request)
  // is not this pool's to answer.
  const unwatch = options.watch?.(({ bucket, key }) => {
    const ticket = key === undefined ? undefined : tickets.get(`${bucket}\u0000${key}`)
    if (ticket) windows.throttle(ticket, clock())
  })
  try {
    for (;;) {
      if (!failed) startHeld()
      if (!failed && !exhausted && !pulling && !windows.full && held.length < lookAhead) pull()
      if (!pulling && running === 0 && (failed || (exhausted && held.length === 0))) break
      await new Promise<void>((resolve) => (wake = resolve))
    }
  } finally {
    unwatch?.()
  }
  const stats = { reached: windows.peak, ceiling, decreases: windows.decreases }
  options.observe?.(stats)
  if (failed) {
    await iterator.return?.()
    throw error
  }
  return stats
}
