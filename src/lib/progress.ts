import type { Logger } from './log.js'

/** When progress lines are written: at most every `everyMs`, or on each `everyPercent` step. */
export interface ProgressOptions {
  everyMs?: number
  everyPercent?: number
  /** Milliseconds now; injectable for tests. */
  now?: () => number
  /** No line before this long after the start: a short task says nothing (default 0). */
  quietMs?: number
  /** How counts and rates are written (default: plain numbers, such as bytes as `12.0 MiB`). */
  format?: (n: number) => string
}

/**
 * Progress of a long phase in the log: `Restoring: 1200/5000 keys (24%), 85.0 keys/s, ETA 45s`.
 * Throttled, so a run of 50,000 keys writes a few dozen lines, not 50,000.
 */
export class Progress {
  private done = 0
  private readonly started: number
  private lastAt: number
  private lastPercent = 0
  private lastDone = -1
  private readonly everyMs: number
  private readonly everyPercent: number
  private readonly now: () => number
  private readonly quietMs: number
  private readonly format?: (n: number) => string

  constructor(
    private readonly label: string,
    private readonly total: number | undefined,
    private readonly log: Logger,
    options: ProgressOptions = {},
  ) {
    this.now = options.now ?? Date.now
    this.everyMs = options.everyMs ?? 10_000
    this.everyPercent = options.everyPercent ?? 10
    this.quietMs = options.quietMs ?? 0
    this.format = options.format
    this.started = this.now()
    this.lastAt = this.started
  }

  /** Counts `n` more items done and logs a line when one is due. */
  add(n = 1, detail?: string): void {
    this.done += n
    const at = this.now()
    if (at - this.started < this.quietMs) return
    const percent = this.total ? Math.floor((this.done * 100) / this.total) : 0
    const stepped =
      this.total !== undefined &&
      Math.floor(percent / this.everyPercent) > Math.floor(this.lastPercent / this.everyPercent)
    if (stepped || at - this.lastAt >= this.everyMs) {
      this.lastAt = at
      this.lastPercent = percent
      this.lastDone = this.done
      this.log.info(this.line(at, detail))
    }
  }

  /** Whether a line was written yet. */
  get logged(): boolean {
    return this.lastDone >= 0
  }

  /** Whether items were done since the last line. */
  get unsaid(): boolean {
    return this.done !== this.lastDone
  }

  /** The final line (unless the last line already said the same count, with no detail). */
  finish(detail?: string): void {
    if (this.done === this.lastDone && detail === undefined) return
    this.lastDone = this.done
    this.log.info(this.line(this.now(), detail))
  }

  /** One progress line (pure given the counts and the clock). */
  line(at: number, detail?: string): string {
    const seconds = Math.max((at - this.started) / 1000, 0.001)
    const rate = this.done / seconds
    const count = this.format ?? String
    const parts = [`${this.label}: ${count(this.done)}`]
    if (this.total !== undefined) {
      const percent = this.total === 0 ? 100 : (this.done * 100) / this.total
      parts[0] += `/${count(this.total)} (${percent.toFixed(0)}%)`
    }
    parts.push(`${this.format ? this.format(rate) : rate.toFixed(1)}/s`)
    if (this.total !== undefined && this.done < this.total && rate > 0) {
      parts.push(`ETA ${duration((this.total - this.done) / rate)}`)
    } else {
      parts.push(`elapsed ${duration(seconds)}`)
    }
    if (detail) parts.push(detail)
    return parts.join(', ')
  }
}

/** 45s, 3m05s, 1h02m. */
export function duration(seconds: number): string {
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}
