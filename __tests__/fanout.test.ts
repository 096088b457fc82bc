import { describe, expect, it } from '@jest/globals'
import type { S3Client } from '@aws-sdk/client-s3'
import { fannedKeyHistories, SEQUENTIAL_PAGES } from '../src/s3/fanout.js'
import { byteOrder, keyHistories, type KeyHistory } from '../src/s3/listing.js'

interface Fake {
  Key: string
  VersionId: string
  LastModified: Date
  IsLatest: boolean
  marker: boolean
}

/**
 * ListObjectVersions over an in-memory bucket, as S3 pages it: keys in byte order, each key's
 * versions newest first; KeyMarker alone lists the keys after it; a delimiter rolls keys up into
 * common prefixes. Counts requests.
 */
function fakeS3(entries: Fake[]): { s3: S3Client; requests: () => number } {
  const sorted = [...entries].sort(
    (a, b) => byteOrder(a.Key, b.Key) || b.LastModified.getTime() - a.LastModified.getTime(),
  )
  let requests = 0
  const send = async (command: { input: Record<string, unknown> }) => {
    requests++
    const input = command.input as {
      Prefix?: string
      KeyMarker?: string
      VersionIdMarker?: string
      MaxKeys?: number
      Delimiter?: string
    }
    const prefix = input.Prefix ?? ''
    const max = input.MaxKeys ?? 1000
    let i = 0
    if (input.KeyMarker !== undefined) {
      const km = input.KeyMarker
      const vim = input.VersionIdMarker
      i = vim
        ? sorted.findIndex((x) => x.Key === km && x.VersionId === vim) + 1
        : sorted.findIndex((e) => byteOrder(e.Key, km) > 0)
      if (i < 0) i = sorted.length
    }
    const Versions: Fake[] = []
    const DeleteMarkers: Fake[] = []
    const CommonPrefixes: Array<{ Prefix: string }> = []
    let count = 0
    let last: Fake | undefined
    let lastPrefix: string | undefined
    for (; i < sorted.length; i++) {
      const e = sorted[i]
      if (!e.Key.startsWith(prefix)) continue
      if (input.Delimiter) {
        const rest = e.Key.slice(prefix.length)
        const at = rest.indexOf(input.Delimiter)
        if (at >= 0) {
          const cp = prefix + rest.slice(0, at + 1)
          if (cp === lastPrefix) continue
          if (count >= max) return page(true)
          CommonPrefixes.push({ Prefix: cp })
          lastPrefix = cp
          count++
          continue
        }
      }
      if (count >= max) return page(true)
      ;(e.marker ? DeleteMarkers : Versions).push(e)
      last = e
      count++
    }
    return page(false)
    function page(truncated: boolean) {
      return {
        Versions,
        DeleteMarkers,
        CommonPrefixes,
        IsTruncated: truncated,
        NextKeyMarker: truncated ? (lastPrefix ?? last?.Key) : undefined,
        NextVersionIdMarker: truncated && last && !lastPrefix ? last.VersionId : undefined,
      }
    }
  }
  return { s3: { send } as unknown as S3Client, requests: () => requests }
}

/** A small deterministic random source. */
function random(seed: number): () => number {
  let s = seed
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648
}

function bucketOf(keys: string[], rnd: () => number): Fake[] {
  const out: Fake[] = []
  keys.forEach((Key, k) => {
    const versions = 1 + Math.floor(rnd() * 4)
    for (let v = 0; v < versions; v++) {
      out.push({
        Key,
        VersionId: `${k}-${v}`,
        LastModified: new Date(1_700_000_000_000 + v * 1000),
        IsLatest: v === versions - 1,
        marker: v > 0 && rnd() < 0.3,
      })
    }
  })
  return out
}

async function all(source: AsyncIterable<KeyHistory>): Promise<KeyHistory[]> {
  const out: KeyHistory[] = []
  for await (const h of source) out.push(h)
  return out
}

const SHAPES: Record<string, (rnd: () => number) => string[]> = {
  nested: () => {
    const keys: string[] = []
    for (let z = 0; z < 5; z++)
      for (let x = 0; x < 2 ** z; x++)
        for (let y = 0; y < 2 ** z; y++) keys.push(`t/${z}/${x}/${y}`)
    return [...keys, 't/0', 't/3.txt', 't/', 'tt']
  },
  flat: () => Array.from({ length: 300 }, (_, i) => `t/${String(i * 7).padStart(5, '0')}`),
  hex: (rnd) => Array.from({ length: 200 }, () => `t/${Math.floor(rnd() * 2 ** 32).toString(16)}`),
  unicode: (rnd) =>
    Array.from(
      { length: 150 },
      () =>
        `t/${['a', 'é', '日', '😀', 'Z', '~', 'ß'][Math.floor(rnd() * 7)]}${Math.floor(rnd() * 50)}${rnd() < 0.3 ? '/x' : ''}`,
    ),
}

describe('fannedKeyHistories equals keyHistories', () => {
  for (const [shape, make] of Object.entries(SHAPES)) {
    for (const pageSize of [3, 10, 64, 1000]) {
      it(`${shape}, pages of ${pageSize}`, async () => {
        const rnd = random(pageSize * 31 + shape.length)
        const keys = [...new Set(make(rnd))]
        const { s3, requests } = fakeS3(bucketOf(keys, rnd))
        const options = { bucket: 'b', prefix: 't/', pageSize }
        const sequential = await all(keyHistories(s3, options))
        const before = requests()
        const fanned = await all(
          fannedKeyHistories(s3, options, { inFlight: 3, readAhead: 1, sequentialPages: 2 }),
        )
        expect(sequential.length).toBe(keys.filter((k) => k.startsWith('t/')).length)
        expect(fanned).toEqual(sequential)
        if (before <= 2)
          expect(requests() - before).toBe(before) // two pages: no extra request
        else expect(requests() - before).toBeGreaterThan(before) // cut into ranges: the cuts cost
      })
    }
  }

  it('lists up to SEQUENTIAL_PAGES pages as a plain listing does, and fans out past them', async () => {
    const keys = Array.from({ length: 400 }, (_, i) => `t/${i % 10}/${i}`)
    const { s3, requests } = fakeS3(bucketOf(keys, random(2)))
    const count = async (pageSize: number): Promise<[number, number]> => {
      const options = { bucket: 'b', prefix: 't/', pageSize }
      let at = requests()
      await all(keyHistories(s3, options))
      const plain = requests() - at
      at = requests()
      await all(fannedKeyHistories(s3, options))
      return [plain, requests() - at]
    }
    const [plainBig, fannedBig] = await count(1000)
    expect(plainBig).toBeLessThanOrEqual(SEQUENTIAL_PAGES)
    expect(fannedBig).toBe(plainBig)
    const [plainSmall, fannedSmall] = await count(10)
    expect(plainSmall).toBeGreaterThan(SEQUENTIAL_PAGES)
    expect(fannedSmall).toBeGreaterThan(plainSmall)
  })

  it('stops listing when the reader stops', async () => {
    const keys = Array.from({ length: 500 }, (_, i) => `t/${i % 10}/${i}`)
    const { s3, requests } = fakeS3(bucketOf(keys, random(1)))
    for await (const h of fannedKeyHistories(s3, { bucket: 'b', prefix: 't/', pageSize: 5 })) {
      if (h.key) break
    }
    const stopped = requests()
    await new Promise((r) => setTimeout(r, 20))
    expect(requests()).toBeLessThan(stopped + 10)
  })
})
