/**
 * The data sets of the side-by-side bench, how two buckets get the same one, and how a bucket
 * is checked against its state at T afterwards.
 */
import { DeleteObjectCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3'
import { instant, parallel, put } from './lib.js'

/** A data set: keys before T, then what changes after T. */
export interface Layout {
  /** `tiles` or `flat` (BENCH_DATASETS), or a label of the other parts. */
  name: string
  /** Every key is under it; the CLI's --prefix and rclone's path. */
  prefix: string
  /** One line for the report: the shape of the keys. */
  shape: string
  keys: number
  /** Key `i` (0 .. keys + created - 1; keys .. are the ones created after T). */
  key: (i: number) => string
  /** Size of version `v` of key `i`. */
  size: (i: number, v: number) => number
  overwritten: (i: number) => boolean
  deleted: (i: number) => boolean
  /** New keys after T (indices keys .. keys + created - 1). */
  created: number
}

/** What a seeded bucket holds, for the floor. */
export interface Seeded {
  at: string
  /** Wall time of the seeding, the waits around T included. */
  seconds: number
  /** Writes per second while writing (the waits around T left out). */
  rate: number
  /** Object versions and delete markers under the prefix (what a full version listing returns). */
  entries: number
  /** Keys present at T. */
  present: number
  overwritten: number
  deleted: number
  created: number
  /** Writes a restore needs: overwritten + deleted keys put back, created keys deleted. */
  changes: number
}

/** How a bucket compares with its state at T. */
export interface Exactness {
  /** Keys present at T whose current version has T's ETag and size. */
  right: number
  /** Keys absent at T that are present now. */
  extra: number
  /** Keys not as they were at T (extras included). */
  wrong: number
}

const kib1to4 = (i: number, v: number): number => 1024 + ((i * 7919 + v * 104729) % 3073)

/**
 * A tile pyramid as a tiling workflow writes it: tiles/{z}/{x}/{y}.pbf for z 0–6 (4^z tiles per
 * zoom, 5,461 keys, 1–4 KiB). After T a re-render overwrites 40 % of the tiles and drops 5 %,
 * and as many new tiles appear (at z 7) as were dropped: 2,185 + 273 + 273 = 2,731 writes to
 * undo (one key in twenty is dropped, eight in twenty rewritten, over the keys in z/x/y order).
 */
export function tiles(maxZoom = 6): Layout {
  const names: string[] = []
  for (let z = 0; z <= maxZoom; z++) {
    const side = 2 ** z
    for (let x = 0; x < side; x++)
      for (let y = 0; y < side; y++) names.push(`tiles/${z}/${x}/${y}.pbf`)
  }
  const keys = names.length
  const deleted = (i: number): boolean => i % 20 === 8
  const created = count(keys, deleted)
  const side = 2 ** (maxZoom + 1)
  return {
    name: 'tiles',
    prefix: 'tiles/',
    shape: `tile pyramid tiles/{z}/{x}/{y}.pbf, z 0–${maxZoom}`,
    keys,
    key: (i) =>
      i < keys
        ? names[i]
        : `tiles/${maxZoom + 1}/${(i - keys) % side}/${Math.floor((i - keys) / side)}.pbf`,
    size: kib1to4,
    overwritten: (i) => i % 20 < 8,
    deleted,
    created,
  }
}

/** The flat set: p/0000000.json .. (1–4 KiB); after T half overwritten, a tenth deleted, a tenth created. */
export function flat(keys = 5000): Layout {
  return {
    name: 'flat',
    prefix: 'p/',
    shape: 'flat keys p/NNNNNNN.json',
    keys,
    key: flatKey,
    size: kib1to4,
    overwritten: (i) => i % 10 < 5,
    deleted: (i) => i % 10 === 5,
    created: Math.round(keys / 10),
  }
}

export const flatKey = (i: number): string => `p/${String(i).padStart(7, '0')}.json`

/** A data set by its BENCH_DATASETS name. */
export function dataSet(name: string, flatKeys: number): Layout {
  if (name === 'tiles') return tiles()
  if (name === 'flat') return flat(flatKeys)
  throw new Error(`unknown data set ${name}: tiles or flat`)
}

function count(n: number, pick: (i: number) => boolean): number {
  let c = 0
  for (let i = 0; i < n; i++) if (pick(i)) c++
  return c
}

const body = (key: string, v: number, size: number): string =>
  `${key} version ${v} `.padEnd(size, '.')

/** Seeds every bucket with the same layout, in the same pass; T is between the two phases. */
export async function seed(
  s3: S3Client,
  buckets: string[],
  layout: Layout,
  limit: number,
): Promise<Seeded> {
  const started = Date.now()
  let puts = 0
  const putJob = (bucket: string, i: number, v: number) => async (): Promise<void> => {
    const key = layout.key(i)
    await put(s3, bucket, key, body(key, v, layout.size(i, v)))
    puts++
  }
  const before = buckets.flatMap((b) =>
    Array.from({ length: layout.keys }, (_, i) => putJob(b, i, 0)),
  )
  await parallel(before, limit)
  const waitStarted = Date.now()
  const at = await instant()
  const waited = Date.now() - waitStarted
  const indices = Array.from({ length: layout.keys }, (_, i) => i)
  const over = indices.filter(layout.overwritten)
  const gone = indices.filter((i) => !layout.overwritten(i) && layout.deleted(i))
  const after = buckets.flatMap((b) => [
    ...over.map((i) => putJob(b, i, 1)),
    ...gone.map((i) => async (): Promise<void> => {
      await s3.send(new DeleteObjectCommand({ Bucket: b, Key: layout.key(i) }))
      puts++
    }),
    ...Array.from({ length: layout.created }, (_, n) => putJob(b, layout.keys + n, 0)),
  ])
  await parallel(after, limit)
  const elapsed = Date.now() - started
  return {
    at,
    seconds: elapsed / 1000,
    rate: (puts * 1000) / (elapsed - waited),
    entries: layout.keys + over.length + gone.length + layout.created,
    present: layout.keys,
    overwritten: over.length,
    deleted: gone.length,
    created: layout.created,
    changes: over.length + gone.length + layout.created,
  }
}

/**
 * Compares every key under `prefix` with its state at `at`: the current version's ETag and
 * size against those of the version current at T; keys absent at T (no version, or a delete
 * marker) must be absent now. Lists directly, not through the proxies.
 */
export async function exactness(
  s3: S3Client,
  bucket: string,
  prefix: string,
  at: string,
): Promise<Exactness> {
  interface Entry {
    time: number
    marker: boolean
    eTag?: string
    size?: number
  }
  const t = new Date(at).getTime()
  const keys = new Map<string, { current?: Entry; atT?: Entry }>()
  const note = (key: string, entry: Entry, latest: boolean): void => {
    const rec = keys.get(key) ?? {}
    if (latest) rec.current = entry
    if (entry.time <= t && (!rec.atT || entry.time > rec.atT.time)) rec.atT = entry
    keys.set(key, rec)
  }
  let keyMarker: string | undefined
  let versionMarker: string | undefined
  for (;;) {
    const out = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        KeyMarker: keyMarker,
        VersionIdMarker: versionMarker,
        MaxKeys: 1000,
      }),
    )
    for (const v of out.Versions ?? []) {
      const entry = {
        time: v.LastModified?.getTime() ?? 0,
        marker: false,
        eTag: v.ETag,
        size: v.Size,
      }
      note(v.Key ?? '', entry, v.IsLatest === true)
    }
    for (const m of out.DeleteMarkers ?? []) {
      note(m.Key ?? '', { time: m.LastModified?.getTime() ?? 0, marker: true }, m.IsLatest === true)
    }
    if (!out.IsTruncated) break
    keyMarker = out.NextKeyMarker
    versionMarker = out.NextVersionIdMarker
  }
  const result: Exactness = { right: 0, extra: 0, wrong: 0 }
  for (const { current, atT } of keys.values()) {
    const wanted = atT && !atT.marker ? atT : undefined
    const now = current && !current.marker ? current : undefined
    if (wanted) {
      if (now && now.eTag === wanted.eTag && now.size === wanted.size) result.right++
      else result.wrong++
    } else if (now) {
      result.extra++
      result.wrong++
    }
  }
  return result
}
