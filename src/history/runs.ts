/**
 * Run records: what each writing run did, kept in the snapshot store next to the snapshots.
 *
 *   <prefix>runs/<id>.jsonl.gz   one record per writing run; `id` is its start (UTC) and 6 hex
 *                                digits, so the records list oldest first
 *
 * A record is a sealed, gzipped JSON Lines file (lib/sealed.ts), as a snapshot is: a header (who
 * ran it, when, the target, the outcome), then one line per key the run wrote — "version X of K
 * is this run's copy of version Y" (or its delete marker) — then the trailer. Later runs read the
 * recent records: where a store's ETags cannot say that a key already holds the wanted version
 * (SSE-KMS gives every copy a new ETag, and objects uploaded before 2025 have no checksum), the
 * record can, since version IDs are never reused in a bucket with versioning enabled.
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { createReadStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { runDirectory } from '../lib/jsonl.js'
import { openSealed, type SealedContents, type SealedHeader } from '../lib/sealed.js'
import { eachLimit } from '../lib/pool.js'
import { ExternalSort } from '../lib/sort.js'
import type { SnapshotStore } from '../settings/types.js'

export const RUN_FORMAT = { format: 's3-rollback-run', version: 1 } as const

/**
 * How many of the newest records a run reads to recognise its earlier copies. The bound keeps
 * the cost of a run (one GET per record, and local disk for the lines of its keys) independent of
 * how long the store has been in use; a copy recorded before the last RECENT_RUNS writing runs
 * is not recognised, which costs at most one more copy of that key (a redundant but correct
 * write), after which the new record is recent again.
 */
export const RECENT_RUNS = 100

/** How a run ended: every write done; a write failed and every changed key was put back; else. */
export type RunOutcome = 'done' | 'put back' | 'failed'

/** Who ran it: the workflow run (actor and URL) or, from the command line, the local user. */
export interface RunBy {
  actor?: string
  runUrl?: string
  user?: string
  commit?: string
  ref?: string
}

/** What the run was asked to go back to. */
export type RunTarget =
  | { toTime: string }
  | { versionIds: number }
  | { snapshot: string; snapshotId?: string }
  | { plan: string }

/** The first line of a run record. */
export interface RunHeader extends SealedHeader {
  id: string
  /** The bucket written (a destination run's: the destination bucket). */
  bucket: string
  /** A destination run: the bucket (and prefix) its state was read from. */
  source?: { bucket: string; prefix?: string }
  startedAt: string
  finishedAt: string
  by: RunBy
  target: RunTarget
  /** The prefix written ('' = the whole bucket), or a number of listed keys. */
  scope: { prefix: string } | { keys: number }
  outcome: RunOutcome
  /** Lines that follow: keys written (and confirmed from the listing). */
  written: number
  /** Why the run failed (its first line), when it did. */
  error?: string
}

/** One key the run wrote: its new entry, and the version that entry is a copy of. */
export interface RunLine {
  key: string
  /** The version (or delete marker) this run wrote. */
  newVersionId: string
  /** The version the new one is a copy of; null when it is a delete marker. */
  sourceVersionId: string | null
  /** What was current before the write; null when the key had no object. */
  previousVersionId: string | null
  /** Size of the copy (its source's). */
  size?: number
  /**
   * Where the copy came from, when it is not a version of this key in this bucket (a run into a
   * destination): the source key, and its bucket when it is not the record's.
   */
  from?: CopyOrigin
}

/** The key (and bucket, when not the record's) a copy was made from. */
export interface CopyOrigin {
  bucket?: string
  key: string
}

/** One record in the store's listing. */
export interface RunEntry {
  id: string
  key: string
  lastModified?: Date
}

const PREFIX = 'runs/'

export const runKey = (store: SnapshotStore, id: string): string =>
  `${store.prefix}${PREFIX}${id}.jsonl.gz`

/** Uploads a sealed record file; returns its S3 URI. */
export async function saveRun(
  s3: S3Client,
  store: SnapshotStore,
  file: string,
  id: string,
): Promise<string> {
  const key = runKey(store, id)
  await s3.send(
    new PutObjectCommand({
      Bucket: store.bucket,
      Key: key,
      Body: createReadStream(file),
      ContentLength: (await stat(file)).size,
      ContentType: 'application/gzip',
    }),
  )
  return `s3://${store.bucket}/${key}`
}

/** The newest `limit` records of the store, newest first (the listing is read to its end). */
export async function listRuns(
  s3: S3Client,
  store: SnapshotStore,
  limit = RECENT_RUNS,
): Promise<RunEntry[]> {
  const prefix = `${store.prefix}${PREFIX}`
  const newest: RunEntry[] = []
  let token: string | undefined
  do {
    const out = await s3.send(
      new ListObjectsV2Command({ Bucket: store.bucket, Prefix: prefix, ContinuationToken: token }),
    )
    for (const o of out.Contents ?? []) {
      const id = /^([^/]+)\.jsonl\.gz$/.exec(o.Key?.slice(prefix.length) ?? '')?.[1]
      if (!id || !o.Key) continue
      newest.push({ id, key: o.Key, lastModified: o.LastModified })
      if (newest.length > limit) newest.shift()
    }
    token = out.IsTruncated ? out.NextContinuationToken : undefined
  } while (token)
  return newest.reverse()
}

/** An open record: its header, its lines as they are read, and a way to stop reading. */
export interface OpenRun extends SealedContents<RunHeader, RunLine> {
  /** Stops reading (after the header, say) and releases the connection. */
  close(): void
}

/** Opens a record by its key and checks its format and (as it is read) its seal. */
export async function openRun(
  s3: S3Client,
  store: SnapshotStore,
  entry: RunEntry,
): Promise<OpenRun> {
  const out = await s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: entry.key }))
  const body = out.Body as Readable
  try {
    const contents = await openSealed<RunHeader, RunLine>(body, {
      ...RUN_FORMAT,
      gzip: true,
      describe: `run record ${entry.id} (s3://${store.bucket}/${entry.key})`,
    })
    return Object.assign(contents, { close: () => void body.destroy() })
  } catch (e) {
    body.destroy()
    throw e
  }
}

/** The headers of the newest records, newest first (only the first line of each is read). */
export async function runHeaders(
  s3: S3Client,
  store: SnapshotStore,
  limit = RECENT_RUNS,
): Promise<Array<{ entry: RunEntry; header: RunHeader }>> {
  const entries = await listRuns(s3, store, limit)
  const headers: Array<{ entry: RunEntry; header: RunHeader } | undefined> = entries.map(
    () => undefined,
  )
  await eachLimit(
    entries.map((entry, i) => ({ entry, i })),
    8,
    async ({ entry, i }) => {
      const contents = await openRun(s3, store, entry)
      headers[i] = { entry, header: contents.header }
      contents.close()
    },
  )
  return headers.filter((h) => h !== undefined)
}

/**
 * What recent runs recorded of their copies: for a key and one of its version IDs, the version
 * that entry is a copy of (null: a delete marker this run wrote). Only the runs' own writes,
 * each confirmed from the listing when it was made.
 */
export interface RecordedCopies {
  /** The version of the same key that a version is a copy of (null: it is a delete marker). */
  sourceOf(key: string, versionId: string): string | null | undefined
  /** A version that is a copy of another key's version (a destination run's copy). */
  originOf?(key: string, versionId: string): (CopyOrigin & { versionId: string }) | undefined
  /** Recorded writes held (of the keys asked for). */
  readonly size: number
  /** Records read. */
  readonly runs: number
}

/**
 * The copies recent runs recorded of some keys, sorted by key into local files: read beside the
 * listing one key at a time (engine/plan/beside.ts), so memory does not grow with them.
 */
export interface RecentCopies {
  /** Recorded writes held (of the keys asked for). */
  readonly size: number
  /** Records read. */
  readonly runs: number
  /** Every recorded write, in S3's key order. Read once. */
  lines(): AsyncIterable<RunLine>
  /** Removes the local files. */
  dispose(): Promise<void>
}

/** The copies in the newest `limit` records of `bucket`, of the keys `wanted` accepts. */
export async function recentCopies(
  s3: S3Client,
  store: SnapshotStore,
  bucket: string,
  wanted: (key: string) => boolean,
  limit = RECENT_RUNS,
): Promise<RecentCopies> {
  const dir = await runDirectory()
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true })
  const sorted = new ExternalSort<RunLine>(dir, 'copies', (line) => line.key)
  let runs = 0
  try {
    const entries = await listRuns(s3, store, limit)
    await eachLimit(entries, 8, async (entry) => {
      const contents = await openRun(s3, store, entry)
      if (contents.header.bucket !== bucket) return contents.close()
      runs++
      for await (const line of contents.values) {
        if (!wanted(line.key) || line.newVersionId === 'null') continue
        await sorted.add({
          key: line.key,
          newVersionId: line.newVersionId,
          sourceVersionId: line.sourceVersionId,
          previousVersionId: line.previousVersionId,
          ...(line.from ? { from: line.from } : {}),
        })
      }
    })
  } catch (e) {
    await dispose()
    throw e
  }
  return { size: sorted.count, runs, lines: () => sorted.sorted(), dispose }
}
