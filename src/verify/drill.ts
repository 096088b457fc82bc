/**
 * A restore drill: copy each target version into a scratch key through the rollback's own copy
 * path (restoreVersion: server-side copy, metadata, tags, storage class, size and checksum or ETag
 * check), then delete exactly the scratch versions the drill created. The real keys are only read.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { eachLimit } from '../lib/pool.js'
import { untilCancelled, type Cancellation } from '../lib/cancel.js'
import { DrillLedger, deleteScratchVersion } from './drill-cleanup.js'
import { errorMessage } from '../lib/errors.js'
import type { CopySettings } from '../settings/types.js'
import { keyHistory } from '../s3/listing.js'
import type { Logger } from '../lib/log.js'
import type { ObjectFacts } from '../s3/objects.js'
import { WriteGuard, VerifyError, copyConfirmed } from '../engine/index.js'

/** One version to drill: `versionId` of `key`, copied to `prefix + key`. */
export interface DrillItem {
  key: string
  versionId: string
  /** HeadObject of that version. */
  source: ObjectFacts
}

export interface DrillRequest {
  /** The bucket the scratch copies are written to. */
  bucket: string
  /** The bucket the versions are copied from, when not `bucket` (a destination's check). */
  from?: string
  /** Scratch prefix; ends with `/`. */
  prefix: string
  expectedBucketOwner?: string
  items: DrillItem[]
}

/** What the drill did with one key. */
export interface DrillOutcome {
  key: string
  scratchKey: string
  /**
   * copied: copied and checked like a rollback's copy; failed: see `error`; skipped: the scratch
   * key already had versions, so the drill did not write to it.
   */
  result: 'copied' | 'failed' | 'skipped'
  newVersionId?: string
  /** How the copy was checked against its source, e.g. "size and ETag". */
  check?: string
  multipart?: boolean
  error?: string
  /** The scratch version was deleted again. */
  removed: boolean
}

/** The drill as a whole. */
export interface DrillReport {
  prefix: string
  outcomes: DrillOutcome[]
  /** Scratch entries still there after cleanup, as `key@versionId: why`. Empty when clean. */
  leftBehind: string[]
}

/** Runs the drill for every item (4 at a time), then cleans up. Never throws for one key. */
export async function runDrill(
  s3: S3Client,
  request: DrillRequest,
  options: { copy: CopySettings; cancel?: Cancellation },
  log: Logger,
): Promise<DrillReport> {
  const { copy } = options
  const { bucket, prefix, expectedBucketOwner } = request
  const ledger = new DrillLedger(prefix)
  const guard = new WriteGuard(log)
  const outcomes: DrillOutcome[] = request.items.map((item) => ({
    key: item.key,
    scratchKey: prefix + item.key,
    result: 'skipped',
    removed: false,
  }))
  const leftBehind: string[] = []
  try {
    await eachLimit(untilCancelled(request.items.keys(), options.cancel), 4, async (i) => {
      const item = request.items[i]
      const outcome = outcomes[i]
      const { scratchKey } = outcome
      if ((await keyHistory(s3, bucket, scratchKey, expectedBucketOwner, 1)).length > 0) {
        outcome.error = `scratch key ${scratchKey} already has versions; the drill left it alone`
        log.warning(`${item.key}: ${outcome.error}`)
        return
      }
      try {
        const wanted = {
          key: item.key,
          versionId: item.versionId,
          isDeleteMarker: false,
          isLatest: false,
          lastModified: item.source.lastModified ?? new Date(0),
          size: item.source.size,
          eTag: item.source.eTag,
          storageClass: item.source.storageClass,
        }
        const written = await copyConfirmed(
          s3,
          { bucket, expectedBucketOwner },
          {
            key: scratchKey,
            wanted,
            from: request.from,
            source: item.source,
            expected: undefined,
          },
          { copy, guard },
        )
        ledger.record(scratchKey, written.newVersionId)
        Object.assign(outcome, {
          result: 'copied',
          newVersionId: written.newVersionId,
          check: written.check,
          multipart: written.multipart,
        })
        log.info(`${item.key}: drill copy ${written.newVersionId} checked by ${written.check}`)
      } catch (e) {
        if (e instanceof VerifyError && e.newVersionId) {
          ledger.record(scratchKey, e.newVersionId)
          outcome.newVersionId = e.newVersionId
        }
        outcome.result = 'failed'
        outcome.error = errorMessage(e)
        log.warning(`${item.key}: drill failed: ${outcome.error}`)
      }
    })
  } finally {
    await cleanUp(s3, bucket, ledger, outcomes, leftBehind, expectedBucketOwner, log)
  }
  return { prefix, outcomes, leftBehind }
}

/** Deletes every version in the ledger, then lists each scratch key written to: it must be empty. */
async function cleanUp(
  s3: S3Client,
  bucket: string,
  ledger: DrillLedger,
  outcomes: DrillOutcome[],
  leftBehind: string[],
  expectedBucketOwner: string | undefined,
  log: Logger,
): Promise<void> {
  for (const version of ledger.versions()) {
    try {
      await deleteScratchVersion(s3, ledger, bucket, version, expectedBucketOwner)
      const outcome = outcomes.find((o) => o.scratchKey === version.key)
      if (outcome) outcome.removed = true
    } catch (e) {
      leftBehind.push(`${version.key}@${version.versionId}: delete failed: ${errorMessage(e)}`)
    }
  }
  for (const outcome of outcomes.filter((o) => o.result !== 'skipped')) {
    try {
      for (const entry of await keyHistory(s3, bucket, outcome.scratchKey, expectedBucketOwner)) {
        if (ledger.has(entry.key, entry.versionId)) continue // already reported above
        leftBehind.push(`${entry.key}@${entry.versionId}: not created by this drill; left as is`)
      }
    } catch (e) {
      leftBehind.push(`${outcome.scratchKey}: cannot list it after cleanup: ${errorMessage(e)}`)
    }
  }
  if (leftBehind.length > 0) log.warning(`Drill cleanup left ${leftBehind.length} entries behind`)
  else log.info(`Drill cleanup: removed ${ledger.versions().length} scratch versions`)
}
