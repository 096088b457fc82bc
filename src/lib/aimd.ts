/**
 * How many requests to keep in flight: enough to fill the round trip, no more than the store
 * takes. S3 rates requests per partitioned prefix and answers 503 SlowDown above what one takes,
 * so each prefix gets its own window, as TCP's congestion window: it doubles each round while
 * the completions per second still rise (slow start), then grows by one a round, and halves on a
 * throttle or 5xx answer (additive increase, multiplicative decrease). Never below 1, never above
 * the ceiling, which also bounds the sum of all windows' requests. Pure: the caller passes the
 * time.
 */

/** The partition S3 rates a key against, as this tool guesses it: the bucket and the key's first `/`-segment. */
export function partitionOf(bucket: string, key: string): string {
  const slash = key.indexOf('/')
  return `${bucket}/${slash < 0 ? '' : key.slice(0, slash + 1)}`
}

export interface WindowLimits {
  /** The window a prefix starts with. */
  start: number
  /** The most requests in flight, per prefix and in all. */
  ceiling: number
}

/** A round: one window's worth of completions, over which the rate is measured. */
interface Round {
  startedAt: number
  done: number
  /** The window was full at some point of the round (else it cannot tell what more would do). */
  full: boolean
}

/** One prefix's window. */
export class Window {
  /** Requests allowed in flight. */
  size: number
  inFlight = 0
  /** Bumped at each decrease: a throttle of a request sent before it was already answered. */
  epoch = 0
  /** Decreases so far. */
  decreases = 0
  /** Slow start (doubling) while below this; a decrease or a plateau sets it. */
  private threshold = Number.POSITIVE_INFINITY
  private round: Round
  private lastRate?: number
  /** The relative growth the last round made (what the rate should show of it). */
  private lastGain = 0

  constructor(
    private readonly limits: WindowLimits,
    now: number,
  ) {
    this.size = clamp(limits.start, limits.ceiling)
    this.round = { startedAt: now, done: 0, full: false }
  }

  get hasRoom(): boolean {
    return this.inFlight < this.size
  }

  /** A request starts; returns the epoch it was sent in. */
  started(): number {
    this.inFlight++
    if (this.inFlight >= this.size) this.round.full = true
    return this.epoch
  }

  /**
   * A request sent in `epoch` ended (`ok`: it succeeded). A round ends after `size` successes of
   * requests sent since the last decrease (those sent before it tell of the larger window).
   */
  finished(now: number, ok: boolean, epoch = this.epoch): void {
    this.inFlight = Math.max(0, this.inFlight - 1)
    if (!ok || epoch < this.epoch) return
    this.round.done++
    if (this.round.done >= this.size) this.endRound(now)
  }

  /**
   * A request sent in `epoch` was throttled: halves the window, unless it was already halved
   * since that request was sent (one flight of throttled requests halves it once). Returns the
   * epoch the request's next attempt belongs to.
   */
  throttled(epoch: number, now: number): number {
    if (epoch < this.epoch) return this.epoch
    this.size = Math.max(1, Math.floor(this.size / 2))
    this.threshold = this.size
    this.epoch++
    this.decreases++
    this.round = { startedAt: now, done: 0, full: this.inFlight >= this.size }
    this.lastRate = undefined
    this.lastGain = 0
    return this.epoch
  }

  private endRound(now: number): void {
    const { done, full, startedAt } = this.round
    const rate = done / Math.max(now - startedAt, 1e-3)
    this.round = { startedAt: now, done: 0, full: this.inFlight >= this.size }
    if (!full) return // the source, or the ceiling, held it back: no evidence either way
    // Rising: by more than a quarter of what the last growth should have given, if it grew. The
    // first round grows (slow start); the first after a decrease only measures.
    const rising =
      this.lastRate === undefined
        ? this.decreases === 0
        : rate > this.lastRate * (1 + this.lastGain / 4)
    this.lastRate = rate
    const before = this.size
    if (rising) {
      this.size = clamp(
        this.size < this.threshold ? this.size * 2 : this.size + 1,
        this.limits.ceiling,
      )
    } else if (this.size < this.threshold) {
      this.threshold = this.size // a plateau: from here on, one more a round
    }
    this.lastGain = (this.size - before) / before
  }
}

const clamp = (n: number, ceiling: number): number =>
  Math.max(1, Math.min(Math.floor(n), Math.max(1, Math.floor(ceiling))))

/** A request in flight: its prefix, and the epoch of its window it was (last) sent in. */
export interface Ticket {
  partition: string
  epoch: number
}

/** Every prefix's window, and the ceiling over all of them. */
export class Windows {
  private readonly windows = new Map<string, Window>()
  inFlight = 0
  /** The most requests in flight at once. */
  peak = 0

  constructor(readonly limits: WindowLimits) {}

  /** True when the ceiling is reached: nothing more may start, whatever its prefix. */
  get full(): boolean {
    return this.inFlight >= this.limits.ceiling
  }

  /** The window of `partition`, opened at the start size when first used. */
  of(partition: string, now: number): Window {
    let window = this.windows.get(partition)
    if (!window) this.windows.set(partition, (window = new Window(this.limits, now)))
    return window
  }

  canStart(partition: string, now: number): boolean {
    return !this.full && this.of(partition, now).hasRoom
  }

  start(partition: string, now: number): Ticket {
    this.inFlight++
    this.peak = Math.max(this.peak, this.inFlight)
    return { partition, epoch: this.of(partition, now).started() }
  }

  finish(ticket: Ticket, ok: boolean, now: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1)
    this.of(ticket.partition, now).finished(now, ok, ticket.epoch)
  }

  /** A throttle of the request `ticket` (its epoch moves on to the window's). */
  throttle(ticket: Ticket, now: number): void {
    ticket.epoch = this.of(ticket.partition, now).throttled(ticket.epoch, now)
  }

  /** The largest window any prefix has now. */
  get largest(): number {
    let largest = 0
    for (const w of this.windows.values()) largest = Math.max(largest, w.size)
    return largest
  }

  /** Decreases over all prefixes. */
  get decreases(): number {
    let n = 0
    for (const w of this.windows.values()) n += w.decreases
    return n
  }
}
