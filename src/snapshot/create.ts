/**
 * `mode: snapshot`: records the current version of every listed key, or of every key under a
 * prefix (the store left out), with its size and ETag, under a name. The file is written as the
 * listing streams (memory: one listing page), then uploaded, then the name is pointed at it.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { runDirectory } from '../lib/jsonl.js'
import type { Logger } from '../lib/log.js'
import { Progress } from '../lib/progress.js'
import { untilCancelled, type Cancellation } from '../lib/cancel.js'
import { SealedWriter } from '../lib/sealed.js'
import { requireVersioning } from '../s3/objects.js'
import type { Settings } from '../settings/types.js'
import { currentEntry, isAbsent } from '../history/select.js'
import { histories, prefixSelection } from '../history/sources.js'
import {
  SNAPSHOT_FORMAT,
  saveSnapshot,
  uriOf,
  type SnapshotHeader,
  type SnapshotLine,
} from '../history/snapshots.js'
import { PlanError, NO_SUCH_KEY, type KeyProblem } from '../engine/index.js'

/** What a snapshot run recorded. */
export interface SnapshotSummary {
  id: string
  name: string
  bucket: string
  /** Keys recorded with a version. */
  keys: number
  /** Listed keys recorded as absent (a delete marker is current). */
  absent: number
  uri: string
  createdAt: string
}

/** A new snapshot ID: its UTC time and 6 random hex digits (20261123T043012Z-a1b2c3). */
export function newSnapshotId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  return `${stamp}-${randomBytes(3).toString('hex')}`
}

export async function createSnapshot(
  s3: S3Client,
  settings: Settings,
  log: Logger,
  options: { now?: Date; cancel?: Cancellation } = {},
): Promise<SnapshotSummary> {
  const now = options.now ?? new Date()
  const { bucket, expectedBucketOwner, prefix, snapshotStore: store } = settings
  const name = settings.snapshot
  if (!name) throw new Error("createSnapshot() needs settings with mode 'snapshot'")
  await requireVersioning(s3, bucket, expectedBucketOwner)
  const id = newSnapshotId(now)
  const header: SnapshotHeader = {
    ...SNAPSHOT_FORMAT,
    id,
    name,
    bucket,
    createdAt: now.toISOString(),
    scope: prefix === undefined ? { keys: settings.keys.length } : { prefix },
    context: settings.context,
  }
  const selection =
    prefix === undefined ? { keys: settings.keys } : prefixSelection(prefix, bucket, store)
  const dir = await runDirectory()
  try {
    const file = join(dir, `${id}.jsonl.gz`)
    const writer = await SealedWriter.create<SnapshotLine>(file, header, { gzip: true })
    const summary = { keys: 0, absent: 0 }
    const problems: KeyProblem[] = []
    const progress = new Progress('Recorded', undefined, log)
    await log.group(
      `Recording ${prefix === undefined ? `${settings.keys.length} keys` : uriOf({ bucket, prefix })}`,
      async () => {
        const source = histories(s3, { bucket, expectedBucketOwner }, selection)
        for await (const { key, entries } of untilCancelled(source, options.cancel)) {
          const current = currentEntry(entries)
          if (entries.length === 0 && settings.ifMissing !== 'skip') {
            problems.push({ key, problem: NO_SUCH_KEY })
          } else if (current && !isAbsent(current)) {
            await writer.write({
              key,
              versionId: current.versionId,
              size: current.size,
              eTag: current.eTag,
              lastModified: current.lastModified.toISOString(),
            })
            summary.keys++
          } else if (prefix === undefined) {
            await writer.write({ key, versionId: null })
            summary.absent++
          }
          progress.add()
        }
        progress.finish()
      },
    )
    await writer.close()
    if (problems.length > 0) throw new PlanError(problems)
    // Cancelled while recording: nothing is saved, and the name keeps its snapshot.
    options.cancel?.throwIfRequested()
    const uri = await log.group(`Saving snapshot ${id} as ${name}`, () =>
      saveSnapshot(s3, store, file, {
        name,
        id,
        bucket,
        createdAt: header.createdAt,
        keys: summary.keys,
      }),
    )
    log.info(
      `${name} → ${id}: ${summary.keys} keys with a version, ${summary.absent} absent; ${uri}`,
    )
    return { id, name, bucket, ...summary, uri, createdAt: header.createdAt }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
