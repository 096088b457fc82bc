/** The race guard on writes: conditional headers where the store honours them. */
import { RaceError } from '../errors.js'
import type { Logger } from '../../lib/log.js'
import { keyHistory, type VersionEntry } from '../../s3/listing.js'
import { httpStatus } from '../../s3/objects.js'
import type { S3Client } from '@aws-sdk/client-s3'
import { describeEntry } from '../../history/select.js'

/**
 * Whether the store honours conditional writes (If-Match / If-None-Match on the destination).
 * AWS does; Ceph RGW Pacific answers 412 even on a match. Starts on and is switched off,
 * once, when a 412 arrives although the key is exactly as planned. Either way every write is
 * checked against the listing afterwards (confirm.ts).
 */
export class WriteGuard {
  private honoured = true
  constructor(private readonly log: Logger) {}

  /** The condition for a write that expects `current` to be the current entry. */
  condition(current: VersionEntry | undefined): { IfMatch?: string; IfNoneMatch?: string } {
    if (!this.honoured) return {}
    if (!current || current.isDeleteMarker) return { IfNoneMatch: '*' }
    return current.eTag ? { IfMatch: current.eTag } : {}
  }

  get active(): boolean {
    return this.honoured
  }

  disable(reason: string): void {
    if (!this.honoured) return
    this.honoured = false
    this.log.warning(
      `Conditional writes are not honoured by this store (${reason}); ` +
        'relying on the listing check after the writes.',
    )
  }
}

/** The key a write goes to, and the entry it expects to replace. */
export interface GuardedKey {
  bucket: string
  key: string
  expectedBucketOwner?: string
  expected: VersionEntry | undefined
}

/** Retries of a write answered 409 ConditionalRequestConflict, and the pause before the first. */
export const CONFLICT_RETRIES = 5
export const CONFLICT_PAUSE_MS = 200

/**
 * Runs a write with the guard's condition. A 412 means either a concurrent writer (the key
 * changed: a race, nothing written) or a store that mishandles conditions (the key is as
 * planned: write again without them). A 404 to a conditional write means the object it was to
 * match is gone (AWS: If-Match on a key whose current entry is a delete marker): a race when the
 * key changed. A 409 ConditionalRequestConflict means a concurrent conditional write to the key
 * won while ours was in flight and nothing of ours was written (AWS: "retry the upload"): the
 * write is sent again, with the same condition, after a pause that doubles.
 */
export async function guarded<T>(
  s3: S3Client,
  target: GuardedKey,
  options: {
    guard: WriteGuard
    /**
     * A 412 after the SDK retried the write, on a key that changed: the entry may be the write's
     * own earlier attempt, whose answer was lost. What to return then (for the listing to
     * decide); without it, a race.
     */
    retried?: (attempts: number) => T
    pauseMs?: number
  },
  write: () => Promise<T>,
): Promise<T> {
  const { guard } = options
  const pauseMs = options.pauseMs ?? CONFLICT_PAUSE_MS
  for (let conflicts = 0; ; conflicts++) {
    try {
      return await write()
    } catch (e) {
      const status = httpStatus(e)
      if (guard.active && isConflict(e) && conflicts < CONFLICT_RETRIES) {
        await new Promise((resolve) => setTimeout(resolve, pauseMs * 2 ** conflicts))
        continue
      }
      if (!guard.active || (status !== 412 && status !== 501 && status !== 404)) throw e
      const [now] = await keyHistory(s3, target.bucket, target.key, target.expectedBucketOwner, 1)
      if (now?.versionId !== target.expected?.versionId) {
        const attempts = (e as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1
        if (status === 412 && attempts > 1 && options.retried) return options.retried(attempts)
        throw new RaceError(
          target.key,
          `changed by another writer since planning (now ${describeEntry(now)}, planned on ` +
            `${describeEntry(target.expected)}); nothing was written to this key`,
        )
      }
      if (status === 404) throw e
      guard.disable(`HTTP ${status} although ${target.key} is as planned`)
      return write()
    }
  }
}

/** 409 ConditionalRequestConflict: a concurrent conditional write to the key is in progress. */
function isConflict(e: unknown): boolean {
  const err = e as { name?: string; Code?: string }
  return (
    httpStatus(e) === 409 &&
    (err.name === 'ConditionalRequestConflict' || err.Code === 'ConditionalRequestConflict')
  )
}
