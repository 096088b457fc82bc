/**
 * Progress of one multipart copy in the run's log: bytes and parts copied, rate and ETA, such as
 * `Copying census.zip in parts: 512.0 MiB/845.0 MiB (61%), 40.2 MiB/s, ETA 8s, 1/2 parts`.
 * S3 copies a part with no word until it is done, so the line also comes every `everyMs` while
 * parts are in flight. A copy that ends within `quietMs` says nothing: a prefix run may copy
 * thousands of small sources uploaded in parts, and only a long copy needs telling about.
 */
import { formatBytes } from '../../lib/bytes.js'
import type { Logger } from '../../lib/log.js'
import { Progress, type ProgressOptions } from '../../lib/progress.js'
import type { Range } from './parts.js'

/** When the lines of a copy are written, and the timer that says so while parts are in flight. */
export interface PartProgressOptions extends ProgressOptions {
  /** Calls `tick` every `ms` until the returned function is called (default: setInterval). */
  every?: (ms: number, tick: () => void) => () => void
}

/** What a multipart copy reports as its parts complete. */
export interface PartProgress {
  /** Part `index` (of the copy's ranges) was copied. */
  partDone(index: number): void
  /** The copy ended (or failed): stops the timer; the last line, if any line was written. */
  finish(): void
}

const SECOND = 1000

/** Every 10 s, or at each 10% of the bytes, once the copy has run 10 s. */
export const PART_PROGRESS: Required<Pick<ProgressOptions, 'everyMs' | 'quietMs'>> = {
  everyMs: 10 * SECOND,
  quietMs: 10 * SECOND,
}

const everyInterval = (ms: number, tick: () => void): (() => void) => {
  const timer = setInterval(tick, ms)
  timer.unref()
  return () => clearInterval(timer)
}

/** The progress of copying `key` in `ranges`; silent without a logger. */
export function partProgress(
  log: Logger | undefined,
  key: string,
  ranges: readonly Range[],
  options: PartProgressOptions = {},
): PartProgress {
  if (!log) return { partDone: () => {}, finish: () => {} }
  const total = ranges.reduce((sum, r) => sum + r.end - r.start + 1, 0)
  const settings = { ...PART_PROGRESS, format: formatBytes, ...options }
  const progress = new Progress(`Copying ${key} in parts`, total, log, settings)
  let parts = 0
  let finished = false
  const detail = (): string => `${parts}/${ranges.length} parts`
  const stop = (options.every ?? everyInterval)(settings.everyMs, () => progress.add(0, detail()))
  return {
    partDone(index) {
      if (finished) return
      parts++
      const { start, end } = ranges[index]
      progress.add(end - start + 1, detail())
    },
    finish() {
      if (finished) return
      finished = true
      stop()
      if (progress.logged && progress.unsaid) progress.finish(detail())
    },
  }
}
