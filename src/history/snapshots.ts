/**
 * The snapshot store: immutable snapshot files and one small pointer per name, under a prefix of
 * a bucket (by default `.s3-rollback/` in the rolled-back bucket).
 *
 *   <prefix>snapshots/<id>.jsonl.gz   the snapshot: a sealed, gzipped JSON Lines file
 *   <prefix>names/<name>.json         { id, ... }: which snapshot the name points at now
 *
 * A name moves by writing its pointer again; every snapshot file stays, so an earlier one is
 * still restorable by its ID (and in a versioned bucket the pointer's history is kept too).
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { SnapshotError } from '../lib/errors.js'
import { OutOfOrderError, ordered } from '../lib/order.js'
import { openSealed, type SealedContents, type SealedHeader } from '../lib/sealed.js'
import { httpStatus } from '../s3/objects.js'
import type { SnapshotContext, SnapshotStore } from '../settings/types.js'

export const SNAPSHOT_FORMAT = { format: 's3-rollback-snapshot', version: 1 } as const

/** The first line of a snapshot file. */
export interface SnapshotHeader extends SealedHeader {
  id: string
  /** The name it was recorded under. */
  name: string
  bucket: string
  createdAt: string
  /** Every key under a prefix ('' = the whole bucket), or listed keys. */
  scope: { prefix: string } | { keys: number }
  context: SnapshotContext
}

/**
 * One key of a snapshot: the version current when it was taken. `versionId` null: the key was
 * absent then (recorded for listed keys; a prefix snapshot has no line for absent keys).
 */
export interface SnapshotLine {
  key: string
  versionId: string | null
  size?: number
  eTag?: string
  lastModified?: string
}

/** A name's pointer. */
export interface Pointer {
  name: string
  id: string
  bucket: string
  createdAt: string
  keys: number
}

export function uriOf(store: SnapshotStore, key = ''): string {
  return `s3://${store.bucket}/${store.prefix}${key}`
}

const fileKey = (store: SnapshotStore, id: string): string =>
  `${store.prefix}snapshots/${id}.jsonl.gz`
const pointerKey = (store: SnapshotStore, name: string): string =>
  `${store.prefix}names/${name}.json`

/** Uploads a sealed snapshot file, then points its name at it. */
export async function saveSnapshot(
  s3: S3Client,
  store: SnapshotStore,
  file: string,
  pointer: Pointer,
): Promise<string> {
  const key = fileKey(store, pointer.id)
  await s3.send(
    new PutObjectCommand({
      Bucket: store.bucket,
      Key: key,
      Body: createReadStream(file),
      ContentLength: (await stat(file)).size,
      ContentType: 'application/gzip',
    }),
  )
  await s3.send(
    new PutObjectCommand({
      Bucket: store.bucket,
      Key: pointerKey(store, pointer.name),
      Body: `${JSON.stringify(pointer)}\n`,
      ContentType: 'application/json',
    }),
  )
  return `s3://${store.bucket}/${key}`
}

/** The pointer of a name, or undefined when there is none. */
export async function readPointer(
  s3: S3Client,
  store: SnapshotStore,
  name: string,
): Promise<Pointer | undefined> {
  try {
    const out = await s3.send(
      new GetObjectCommand({ Bucket: store.bucket, Key: pointerKey(store, name) }),
    )
    return JSON.parse((await out.Body?.transformToString()) ?? '') as Pointer
  } catch (e) {
    if (isMissing(e)) return undefined
    throw e
  }
}

/** Every name in the store, with its pointer, sorted by name. */
export async function listPointers(s3: S3Client, store: SnapshotStore): Promise<Pointer[]> {
  const names: string[] = []
  let token: string | undefined
  do {
    const out = await s3.send(
      new ListObjectsV2Command({
        Bucket: store.bucket,
        Prefix: `${store.prefix}names/`,
        ContinuationToken: token,
      }),
    )
    for (const o of out.Contents ?? []) {
      const name = o.Key?.slice(`${store.prefix}names/`.length).replace(/\.json$/, '')
      if (name) names.push(name)
    }
    token = out.IsTruncated ? out.NextContinuationToken : undefined
  } while (token)
  const pointers = await Promise.all(names.map((n) => readPointer(s3, store, n)))
  return pointers
    .filter((p): p is Pointer => p !== undefined)
    .sort((a, b) => (a.name < b.name ? -1 : 1))
}

/** The ID a name or an ID refers to; SnapshotError listing the names when there is none. */
export async function resolveRef(s3: S3Client, store: SnapshotStore, ref: string): Promise<string> {
  const pointer = await readPointer(s3, store, ref)
  if (pointer) return pointer.id
  try {
    await s3.send(new HeadObjectCommand({ Bucket: store.bucket, Key: fileKey(store, ref) }))
    return ref
  } catch (e) {
    if (!isMissing(e)) throw e
  }
  const names = (await listPointers(s3, store)).map((p) => p.name)
  throw new SnapshotError(
    `No snapshot named or with the ID ${JSON.stringify(ref)} in ${uriOf(store)}; ` +
      (names.length > 0 ? `the names there are: ${names.join(', ')}` : 'it has no snapshots yet'),
  )
}

/** Opens a snapshot by ID and checks its format, its seal (as it is read) and its bucket. */
export async function openSnapshot(
  s3: S3Client,
  store: SnapshotStore,
  id: string,
  bucket: string,
): Promise<SealedContents<SnapshotHeader, SnapshotLine>> {
  const out = await s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: fileKey(store, id) }))
  const contents = await openSealed<SnapshotHeader, SnapshotLine>(out.Body as Readable, {
    ...SNAPSHOT_FORMAT,
    gzip: true,
    describe: `snapshot ${id} (${uriOf(store, `snapshots/${id}.jsonl.gz`)})`,
  })
  if (contents.header.bucket !== bucket) {
    ;(out.Body as Readable).destroy()
    throw new SnapshotError(
      `Snapshot ${id} is a snapshot of bucket ${contents.header.bucket}, not ${bucket}`,
    )
  }
  return contents
}

/**
 * A snapshot kept in a local file for one run or diff: read beside a listing, one key at a time,
 * as often as needed, so memory does not grow with its keys (and no S3 connection stays open
 * for a whole planning pass).
 */
export interface LocalSnapshot {
  id: string
  header: SnapshotHeader
  /** Lines of the snapshot (one per key). */
  count: number
  /** Every line, in S3's key order (checked when downloaded); the seal is checked again at the end. */
  lines(): AsyncIterable<SnapshotLine>
}

/**
 * Downloads snapshot `id` into `dir` and reads it through once, so that its format, its bucket,
 * its seal and its key order are all checked before it is used. Snapshots are written as the
 * listing streams, so they are in S3's key order; one that is not is refused.
 */
export async function downloadSnapshot(
  s3: S3Client,
  store: SnapshotStore,
  id: string,
  bucket: string,
  dir: string,
): Promise<LocalSnapshot> {
  const out = await s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: fileKey(store, id) }))
  const file = join(dir, `snapshot-${id}-${randomBytes(4).toString('hex')}.jsonl.gz`)
  await pipeline(out.Body as Readable, createWriteStream(file, { mode: 0o600 }))
  const open = async (): Promise<SealedContents<SnapshotHeader, SnapshotLine>> => {
    const contents = await openSealed<SnapshotHeader, SnapshotLine>(file, {
      ...SNAPSHOT_FORMAT,
      gzip: true,
      describe: `snapshot ${id} (${uriOf(store, `snapshots/${id}.jsonl.gz`)})`,
    })
    if (contents.header.bucket !== bucket) {
      throw new SnapshotError(
        `Snapshot ${id} is a snapshot of bucket ${contents.header.bucket}, not ${bucket}`,
      )
    }
    return contents
  }
  const inOrder = async function* (values: AsyncIterable<SnapshotLine>) {
    try {
      yield* ordered(values)
    } catch (e) {
      if (!(e instanceof OutOfOrderError)) throw e
      throw new SnapshotError(`Snapshot ${id} is ${e.message}; it cannot be read beside a listing`)
    }
  }
  const first = await open()
  let count = 0
  for await (const line of inOrder(first.values)) if (line) count++
  return {
    id,
    header: first.header,
    count,
    // In order: checked above, and the seal (checked again at the end) says it is the same file.
    lines: async function* () {
      yield* (await open()).values
    },
  }
}

function isMissing(e: unknown): boolean {
  const name = (e as { name?: string }).name
  return name !== 'NoSuchBucket' && (name === 'NoSuchKey' || httpStatus(e) === 404)
}
