/**
 * The fanned-out listing (s3/fanout.ts) against the real local S3: for nested and flat prefixes,
 * unicode keys, keys whose versions run across page boundaries and delete markers, it yields
 * exactly what the sequential listing yields, entry for entry, in the same order. Also counts
 * the requests each makes and times both on a 5,461-key tile pyramid (printed, not asserted).
 */
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { eachLimit } from '../src/lib/pool.js'
import { fannedKeyHistories } from '../src/s3/fanout.js'
import { keyHistories, type KeyHistory, type ListOptions } from '../src/s3/listing.js'
import { createS3Client } from '../src/s3/client.js'
import { startAwsProxy } from './helpers/awsproxy.js'
import { startFaultProxy } from './helpers/faultproxy.js'
import { client, endpoint, newBucket, put } from './helpers/s3.js'

let s3: S3Client
beforeAll(() => {
  s3 = client()
})
afterAll(() => s3?.destroy())

/** A client that counts its listing requests. */
/** A client whose ListObjectVersions requests are counted by a proxy (either request path). */
async function counting(
  url?: string,
): Promise<{ s3: S3Client; lists: () => number; close: () => Promise<void> }> {
  const proxy = await startFaultProxy(url ?? endpoint())
  const c = createS3Client({ endpoint: proxy.url, forcePathStyle: true, region: 'us-east-1' })
  return {
    s3: c,
    lists: () => proxy.stats.byOperation['GET list-versions'] ?? 0,
    close: async () => {
      c.destroy()
      await proxy.close()
    },
  }
}

async function all(source: AsyncIterable<KeyHistory>): Promise<KeyHistory[]> {
  const out: KeyHistory[] = []
  for await (const h of source) out.push(h)
  return out
}

/** Both listings of `options`, with their request counts. */
async function both(options: ListOptions) {
  const a = await counting()
  const b = await counting()
  try {
    const sequential = await all(keyHistories(a.s3, options))
    // Fanned out from the first page on (the default waits for 8 pages), to test the ranges.
    const fanned = await all(fannedKeyHistories(b.s3, options, { sequentialPages: 1 }))
    return { sequential, fanned, requests: { sequential: a.lists(), fanned: b.lists() } }
  } finally {
    await a.close()
    await b.close()
  }
}

function pyramid(levels: number): string[] {
  const keys: string[] = []
  for (let z = 0; z < levels; z++) {
    for (let x = 0; x < 2 ** z; x++)
      for (let y = 0; y < 2 ** z; y++) keys.push(`tiles/${z}/${x}/${y}.png`)
  }
  return keys
}

const seed = (bucket: string, keys: string[]): Promise<void> =>
  eachLimit(keys, 32, async (key) => {
    await put(s3, bucket, key, key)
  })

describe('fanned-out listing equals the sequential one', () => {
  it('a nested prefix (tiles/{z}/{x}/{y}), small pages', async () => {
    const bucket = await newBucket(s3)
    await seed(bucket, [...pyramid(5), 'tiles/0.txt', 'tiles/zz', 'tile', 'tiles0/x'])
    const { sequential, fanned, requests } = await both({ bucket, prefix: 'tiles/', pageSize: 50 })
    expect(sequential).toHaveLength(341 + 2)
    expect(fanned).toEqual(sequential)
    console.log('nested, 343 keys, pages of 50: requests', requests)
  }, 120_000)

  it('a flat prefix, split by probes', async () => {
    const bucket = await newBucket(s3)
    const keys = Array.from({ length: 1200 }, (_, i) => `flat/${String(i).padStart(5, '0')}`)
    await seed(bucket, [...keys, 'flat/a', 'flat/Z', 'flat0', 'fla'])
    const { sequential, fanned, requests } = await both({ bucket, prefix: 'flat/', pageSize: 100 })
    expect(sequential).toHaveLength(1202)
    expect(fanned).toEqual(sequential)
    console.log('flat, 1,202 keys, pages of 100: requests', requests)
    // Flat, hex-like keys that vary right after the prefix.
    const hex = Array.from(
      { length: 400 },
      (_, i) => `h/${((i * 2654435761) % 4294967296).toString(16).padStart(8, '0')}`,
    )
    await seed(bucket, hex)
    const h = await both({ bucket, prefix: 'h/', pageSize: 30 })
    expect(h.sequential).toHaveLength(400)
    expect(h.fanned).toEqual(h.sequential)
    console.log('flat hex, 400 keys, pages of 30: requests', h.requests)
  }, 120_000)

  it('unicode keys, in UTF-8 byte order', async () => {
    const bucket = await newBucket(s3)
    const names = [
      'a',
      'Z',
      'é',
      'e',
      'z',
      '日本',
      '日',
      '😀',
      '\uFF5E',
      'ß',
      'Ω',
      'ab/c',
      'ab/é/1',
      'ab/😀/2',
    ]
    const keys = names.flatMap((n, i) => [`u/${n}`, `u/${n}/${i}`, `u/${n}-${i}`])
    await seed(bucket, keys)
    const { sequential, fanned } = await both({ bucket, prefix: 'u/', pageSize: 5 })
    expect(sequential).toHaveLength(keys.length)
    expect(fanned).toEqual(sequential)
  }, 120_000)

  it('many versions across page boundaries, and delete markers', async () => {
    const bucket = await newBucket(s3)
    const keys = Array.from({ length: 24 }, (_, i) => `v/${i % 3}/${String(i).padStart(2, '0')}`)
    await eachLimit(keys, 8, async (key) => {
      const versions = 1 + (key.charCodeAt(key.length - 1) % 7)
      for (let v = 0; v < versions; v++) await put(s3, bucket, key, `${key} ${v}`)
      if (versions % 2 === 0) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
      if (versions === 6) await put(s3, bucket, key, `${key} after`)
    })
    for (const pageSize of [3, 4, 7]) {
      const { sequential, fanned } = await both({ bucket, prefix: 'v/', pageSize })
      expect(sequential).toHaveLength(24)
      expect(sequential.some((h) => h.entries.length > pageSize)).toBe(true)
      expect(sequential.some((h) => h.entries.some((e) => e.isDeleteMarker))).toBe(true)
      expect(fanned).toEqual(sequential)
    }
  }, 120_000)

  it('a 5,461-key tile pyramid: requests and time, sequential and fanned out', async () => {
    const bucket = await newBucket(s3)
    const keys = pyramid(7)
    expect(keys).toHaveLength(5461)
    await seed(bucket, keys)
    const options = { bucket, prefix: 'tiles/' }
    const latencyMs = Number(process.env.FANOUT_LATENCY_MS ?? 0)
    const layer = latencyMs ? await startAwsProxy(endpoint(), { latencyMs }) : undefined
    const times: Record<string, number[]> = { sequential: [], fanned: [] }
    let counts: Record<string, number> = {}
    for (let round = 0; round < 3; round++) {
      const a = await counting(layer?.url)
      let t = performance.now()
      const sequential = await all(keyHistories(a.s3, options))
      times.sequential.push(performance.now() - t)
      const b = await counting(layer?.url)
      t = performance.now()
      const fanned = await all(fannedKeyHistories(b.s3, options))
      times.fanned.push(performance.now() - t)
      expect(fanned).toEqual(sequential)
      counts = { sequential: a.lists(), fanned: b.lists() }
      await a.close()
      await b.close()
    }
    const ms = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ')
    await layer?.close()
    console.log(
      `5,461 keys (+${latencyMs} ms a request): requests ${JSON.stringify(counts)}; ms sequential ${ms(times.sequential)}; fanned ${ms(times.fanned)}`,
    )
    // 5,461 entries are 6 pages, under SEQUENTIAL_PAGES: listed as a plain listing, no extra request.
    expect(counts.fanned).toBe(counts.sequential)
  }, 300_000)
})
