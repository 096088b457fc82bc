/** What the write stage is given: one value built per run and passed down whole. */
import type { S3Client } from '@aws-sdk/client-s3'
import type { Cancellation } from '../../lib/cancel.js'
import type { Logger } from '../../lib/log.js'
import type { AdaptiveOptions } from '../../lib/pool.js'
import { noteConcurrency, onThrottle } from '../../s3/pressure.js'
import type { CopySettings } from '../../settings/types.js'
import type { WalkOptions, Where } from '../../history/sources.js'
import type { PartProgressOptions } from './part-progress.js'

/**
 * The run's writes: where they go, how copies are made and how many run at once. The race guard
 * is not in it: each write pass (the writes, a put-back after jobs) keeps its own.
 */
export interface WriteContext {
  s3: S3Client
  /** The bucket written to, and listed to confirm the writes. */
  where: Where
  /** The run's copy settings (the corrective copy and the put-back use them too). */
  copy: CopySettings
  log: Logger
  /** The most keys written at once: the ceiling of the windows that follow the store (aimd.ts). */
  concurrency: number
  /** Writes confirmed per listing walk (default 1000: about a page of keys). */
  batch?: number
  /** Retries of a failed listing walk (tests shorten the pauses). */
  walk?: WalkOptions
  /** The run's stop switch: no new write once requested; no more put-back once urgent. */
  cancel?: Cancellation
  /** When a long multipart copy reports its progress (part-progress.ts; tests shorten it). */
  partProgress?: PartProgressOptions
}

/** What a single write needs of the context (a log: the progress of a long multipart copy). */
export type WriteTarget = Pick<WriteContext, 's3' | 'where' | 'copy'> &
  Partial<Pick<WriteContext, 'log' | 'partProgress'>>

/**
 * The pool of a write pass over items whose key `keyOf` gives: each prefix's window follows the
 * store's answers (throttles reported by the client, s3/pressure.ts), up to the concurrency.
 * `report`: record the concurrency reached for the log and the summary.
 */
export function writePool<T>(
  ctx: WriteContext,
  keyOf: (item: T) => string,
  options: { cancel?: Cancellation; report?: boolean } = {},
): AdaptiveOptions<T> {
  const { s3, where } = ctx
  return {
    ceiling: ctx.concurrency,
    place: (item) => ({ bucket: where.bucket, key: keyOf(item) }),
    watch: (listener) => onThrottle(s3, listener),
    cancel: options.cancel,
    observe: options.report ? (stats) => noteConcurrency(s3, stats) : undefined,
  }
}
