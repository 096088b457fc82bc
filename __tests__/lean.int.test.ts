/**
 * The lean request path (src/s3/lean) against the local S3, side by side with the SDK's path:
 * keys that need encoding (spaces, +, ?, #, %, &, quotes, unicode, NFC and NFD spellings,
 * empty and dot segments), listings, heads, copies, delete markers, errors and retries.
 */
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { explain } from '../src/lib/explain.js'
import { silentLogger } from '../src/lib/log.js'
import { rollback } from '../src/engine/rollback.js'
import { createS3Client } from '../src/s3/client.js'
import { keyHistories, listPage } from '../src/s3/listing.js'
import { headVersion } from '../src/s3/objects.js'
import { wireOf } from '../src/s3/requests.js'
import { startFaultProxy } from './helpers/faultproxy.js'
import {
  added,
  allVersions,
  client,
  endpoint,
  modifiedAt,
  newBucket,
  put,
  read,
  settings,
  sleep,
} from './helpers/s3.js'

const ODD = [
  'odd/a b.txt',
  'odd/a+b.txt',
  'odd/what?.txt',
  'odd/#hash.txt',
  'odd/100%.txt',
  'odd/%20literal.txt',
  'odd/&amp;<tag>.txt',
  "odd/it's (1) *!~.txt",
  'odd/caf\u00e9.txt', // NFC
  'odd/cafe\u0301.txt', // NFD: another key
  'odd/日本語/ünï©ødé.txt',
  'odd//double//slash.txt',
  'odd/./dot/../x.txt',
  'odd/trailing space ',
]

/** A client on the SDK's request path only (S3_ROLLBACK_REQUEST_PATH=sdk). */
function sdkClient(): S3Client {
  const saved = process.env.S3_ROLLBACK_REQUEST_PATH
  process.env.S3_ROLLBACK_REQUEST_PATH = 'sdk'
  try {
    return createS3Client({ endpoint: endpoint(), forcePathStyle: true })
  } finally {
    if (saved === undefined) delete process.env.S3_ROLLBACK_REQUEST_PATH
    else process.env.S3_ROLLBACK_REQUEST_PATH = saved
  }
}

let lean: S3Client
let sdk: S3Client
beforeAll(() => {
  lean = client()
  sdk = sdkClient()
})
afterAll(() => {
  lean?.destroy()
  sdk?.destroy()
})

it('is the path of every client createS3Client makes, and not of the SDK-only one', () => {
  expect(wireOf(lean)).toBeDefined()
  expect(wireOf(sdk)).toBeUndefined()
})

/** Every odd key at T (v1), then after T: half overwritten, a quarter deleted, one created. */
async function oddBucket(): Promise<{ bucket: string; at: string }> {
  const bucket = await newBucket(sdk)
  let last = ''
  for (const key of ODD) last = await put(sdk, bucket, key, `good ${key}`)
  const at = await modifiedAt(sdk, bucket, ODD[ODD.length - 1], last)
  await sleep(20)
  for (const [i, key] of ODD.entries()) {
    if (i % 2 === 0) await put(sdk, bucket, key, `bad ${key}`)
    else if (i % 4 === 1) await sdk.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
  }
  await put(sdk, bucket, 'odd/new ?#%+.txt', 'created after T')
  return { bucket, at }
}

describe('keys that need encoding', () => {
  it('lists, heads and restores them exactly as the SDK path reads them', async () => {
    const { bucket, at } = await oddBucket()
    const collect = async (s3: S3Client): Promise<unknown[]> => {
      const out: unknown[] = []
      for await (const h of keyHistories(s3, { bucket, prefix: 'odd/', pageSize: 3 })) out.push(h)
      return out
    }
    const listed = await collect(lean)
    expect(listed).toEqual(await collect(sdk))
    expect(listed).toHaveLength(ODD.length + 1)
    for (const key of ODD.filter((_, i) => i % 4 !== 1)) {
      const ref = { bucket, key }
      expect(await headVersion(lean, ref)).toEqual(await headVersion(sdk, ref))
    }
    // Prefixes that need encoding list the same too.
    for (const prefix of ['odd/caf', 'odd/cafe\u0301', 'odd/a+', 'odd/日本語/', 'odd/%2']) {
      const page = { prefix, ...(await listPage(lean, { bucket, prefix })) }
      expect(page).toEqual({ prefix, ...(await listPage(sdk, { bucket, prefix })) })
    }

    const before = await allVersions(sdk, bucket)
    const result = await rollback(
      lean,
      settings({ bucket, prefix: 'odd/', 'to-time': at, 'if-missing': 'delete' }),
      silentLogger,
    )
    const overwritten = ODD.filter((_, i) => i % 2 === 0).length
    const deleted = ODD.filter((_, i) => i % 4 === 1).length
    const written = result.summary?.written ?? -1
    expect(written).toBe(overwritten + deleted + 1)
    for (const key of ODD)
      expect(`${key}: ${await read(sdk, bucket, key)}`).toBe(`${key}: good ${key}`)
    expect(await read(sdk, bucket, 'odd/new ?#%+.txt')).toBeNull()
    expect(added(before, await allVersions(sdk, bucket))).toHaveLength(written)

    // A re-run finds nothing to write.
    const again = await rollback(
      lean,
      settings({ bucket, prefix: 'odd/', 'to-time': at, 'if-missing': 'delete' }),
      silentLogger,
    )
    expect(again.summary).toMatchObject({ written: 0 })
  }, 120_000)
})

describe('errors and retries', () => {
  it('explains a missing bucket as the SDK path does', async () => {
    const bucket = `missing-${Date.now()}`
    const leanError = await listPage(lean, { bucket, prefix: '' }).catch((e: unknown) => e)
    const sdkError = await listPage(sdk, { bucket, prefix: '' }).catch((e: unknown) => e)
    const withoutId = (e: unknown): object => ({ ...explain(e), requestId: undefined })
    expect(withoutId(leanError)).toEqual(withoutId(sdkError))
    expect(leanError).toMatchObject({
      name: 'NoSuchBucket',
      $metadata: { httpStatusCode: 404 },
      $operation: 'ListObjectVersions',
    })
  })

  it('explains refused credentials as the SDK path does', async () => {
    const bucket = await newBucket(sdk)
    const wrong = () => Promise.resolve({ accessKeyId: 'AKIDWRONG', secretAccessKey: 'wrong' })
    const refused = async (s3: S3Client): Promise<unknown[]> => {
      Object.assign(s3.config, { credentials: wrong })
      const listed = await listPage(s3, { bucket, prefix: '' }).catch((e: unknown) => e)
      const headed = await headVersion(s3, { bucket, key: 'k' }).catch((e: unknown) => e)
      s3.destroy()
      // The same kind, fix, status and operation (the SDK names a HEAD's bare 403 "Unknown";
      // this path names it "Forbidden").
      return [listed, headed].map((e) => {
        const { kind, fix, status, operation } = explain(e)
        return { kind, fix, status, operation }
      })
    }
    const leanWrong = await refused(createS3Client({ endpoint: endpoint(), forcePathStyle: true }))
    const sdkWrong = await refused(sdkClient())
    expect(leanWrong).toEqual(sdkWrong)
    expect(leanWrong[0]).toMatchObject({ kind: 'credentials', operation: 'ListObjectVersions' })
  })

  it('retries a reset connection and a SlowDown, and counts the attempts', async () => {
    const bucket = await newBucket(sdk)
    const version = await put(sdk, bucket, 'r/k', 'body')
    const proxy = await startFaultProxy(endpoint(), {
      resetBefore: 0.5,
      slowDown: 0.5,
      maxFaults: 3,
    })
    const faulty = createS3Client({ endpoint: proxy.url, forcePathStyle: true })
    try {
      const facts = await headVersion(faulty, { bucket, key: 'r/k', versionId: version })
      expect(facts.versionId).toBe(version)
      expect(proxy.stats.faults.resetBefore + proxy.stats.faults.slowDown).toBe(3)
      expect(proxy.stats.requests).toBe(4)
    } finally {
      faulty.destroy()
      await proxy.close()
    }
  })

  it('gives up after the attempts allowed, with the last answer', async () => {
    const bucket = await newBucket(sdk)
    const proxy = await startFaultProxy(endpoint(), { slowDown: 1 })
    const faulty = createS3Client({ endpoint: proxy.url, forcePathStyle: true })
    try {
      const e = await listPage(faulty, { bucket, prefix: '' }).catch((x: unknown) => x)
      expect(e).toMatchObject({ name: 'SlowDown', $metadata: { httpStatusCode: 503, attempts: 8 } })
      expect(explain(e).kind).toBe('server')
      expect(proxy.stats.requests).toBe(8)
    } finally {
      faulty.destroy()
      await proxy.close()
    }
  }, 120_000)
})
