/**
 * Concurrency that follows the store: through the AWS layer's SlowDown (a write rate per prefix,
 * helpers/awsproxy.ts), writes whose windows halve on each throttle get fewer SlowDown answers
 * than the same writes at a fixed concurrency, and a rollback at the default ceiling ends exact.
 * Counts are compared, never times.
 */
import { CopyObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { changedTotal } from '../src/engine/plan/manifest.js'
import { rollback } from '../src/engine/rollback.js'
import { silentLogger } from '../src/lib/log.js'
import { eachAdaptive, eachLimit } from '../src/lib/pool.js'
import { createS3Client, slowDownsOf } from '../src/s3/client.js'
import { concurrencyOf, onThrottle } from '../src/s3/pressure.js'
import { DEFAULT_CONCURRENCY } from '../src/settings/index.js'
import { startAwsProxy, type AwsProxy } from './helpers/awsproxy.js'
import {
  client,
  endpoint,
  modifiedAt,
  newBucket,
  put,
  read,
  settings,
  sleep,
} from './helpers/s3.js'

let direct: S3Client
let layer: AwsProxy
beforeAll(async () => {
  direct = client()
  layer = await startAwsProxy(endpoint(), {
    // 5 writes a second a prefix, 100 ms a request: one in flight fills a prefix (the
    // local store itself takes many more, so the limit is the layer's).
    slowDown: { writesPerSecond: 5, prefixDepth: 1 },
    latencyMs: 100,
  })
})
afterAll(async () => {
  direct?.destroy()
  await layer?.close()
})

/** Keys under two prefixes, each with a good version (returned) and then a bad one. */
async function goodThenBad(
  bucket: string,
  count: number,
): Promise<{ good: Map<string, string>; at: string }> {
  const good = new Map<string, string>()
  const keys = Array.from(
    { length: count },
    (_, i) => `${i % 2 ? 'a' : 'c'}/${String(i).padStart(3, '0')}.csv`,
  )
  await eachLimit(keys, 8, async (key) => {
    good.set(key, await put(direct, bucket, key, `good ${key}`))
  })
  const lastKey = keys[keys.length - 1]
  await put(direct, bucket, lastKey, `good ${lastKey}`).then((v) => good.set(lastKey, v))
  const at = await modifiedAt(direct, bucket, lastKey, good.get(lastKey) ?? '')
  await sleep(1100)
  await eachLimit(keys, 8, (key) => put(direct, bucket, key, `bad! ${key}`).then(() => undefined))
  return { good, at }
}

const viaLayer = (): S3Client =>
  createS3Client({ endpoint: layer.url, forcePathStyle: true, region: 'us-east-1' })

describe('writes under SlowDown', () => {
  it('a window per prefix that halves on SlowDown gets fewer SlowDowns than a fixed 64 (its ceiling)', async () => {
    const KEYS = 120
    // The same ceiling, fixed: what a concurrency of 64 did before the windows. (A fixed 32, what
    // the two windows start at, gets about as many as the windows: most come from the first
    // burst, and after it the SDK's adaptive retry slows the client down too.)
    const results: Record<string, { slowDowns: number; failed: number }> = {}
    for (const mode of ['fixed', 'adaptive'] as const) {
      const bucket = await newBucket(direct)
      const { good } = await goodThenBad(bucket, KEYS)
      const s3 = viaLayer()
      layer.resetStats()
      let failed = 0
      const copyBack = async (key: string): Promise<void> => {
        const CopySource = `${bucket}/${key}?versionId=${good.get(key)}`
        await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource })).catch(() => {
          failed++
        })
      }
      const keys = [...good.keys()]
      if (mode === 'fixed') await eachLimit(keys, 64, copyBack)
      else {
        const stats = await eachAdaptive(
          keys,
          {
            ceiling: 64,
            place: (key) => ({ bucket, key }),
            watch: (listener) => onThrottle(s3, listener),
          },
          copyBack,
        )
        expect(stats.decreases).toBeGreaterThan(0)
        expect(stats.reached).toBeLessThanOrEqual(64)
        // Exact: every key holds its good content again.
        for (const key of keys) expect(await read(direct, bucket, key)).toBe(`good ${key}`)
      }
      results[mode] = { slowDowns: layer.stats.answered.slowDown, failed }
      expect(slowDownsOf(s3).answers).toBe(layer.stats.answered.slowDown)
      s3.destroy()
    }
    console.log(`SlowDown answers for ${KEYS} copies over 2 prefixes at 5 writes/s each:`, results)
    expect(results.adaptive.failed).toBe(0)
    expect(results.adaptive.slowDowns).toBeLessThan(results.fixed.slowDowns)
  }, 300_000)

  it('a rollback at the default ceiling ends exact and says how far its concurrency went', async () => {
    const bucket = await newBucket(direct)
    const { good, at } = await goodThenBad(bucket, 60)
    const s3 = viaLayer()
    layer.resetStats()
    try {
      const manifest = await rollback(
        s3,
        settings({ bucket, prefix: '*', 'to-time': at, 'endpoint-url': layer.url }),
        silentLogger,
      )
      expect(changedTotal(manifest)).toBe(60)
      for (const key of good.keys()) expect(await read(direct, bucket, key)).toBe(`good ${key}`)
      const reached = concurrencyOf(s3)
      expect(reached?.ceiling).toBe(DEFAULT_CONCURRENCY)
      expect(reached?.reached).toBeGreaterThan(0)
      expect(layer.stats.answered.slowDown).toBeGreaterThan(0)
      console.log(
        `rollback of 60 keys: ${layer.stats.answered.slowDown} SlowDowns, concurrency`,
        reached,
      )
    } finally {
      s3.destroy()
    }
  }, 300_000)
})
