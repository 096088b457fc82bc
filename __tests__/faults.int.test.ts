import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { describe, expect, it } from '@jest/globals'
import { RestoreError } from '../src/engine/errors.js'
import { silentLogger } from '../src/lib/log.js'
import { rollback } from '../src/engine/rollback.js'
import { createS3Client, MAX_ATTEMPTS } from '../src/s3/client.js'
import { keyHistory } from '../src/s3/listing.js'
import { operation, type Faults, type FaultProxy } from './helpers/faultproxy.js'
import { withFaultProxy } from './helpers/fixtures.js'
import { added, allVersions, newBucket, put, read, settings, sleep } from './helpers/s3.js'

let s3: S3Client
let proxy: FaultProxy
withFaultProxy((c, p) => {
  s3 = c
  proxy = p
})

/** What every key under f/ should hold after the rollback (null: absent). */
type Target = Map<string, string | null>

/**
 * f/ with `n` keys changed after T, `n` unchanged, `n / 4` deleted after T and `n / 4`
 * created after T (if-missing delete turns those into delete markers).
 */
async function seed(n: number): Promise<{ bucket: string; at: string; target: Target }> {
  const bucket = await newBucket(s3)
  const target: Target = new Map()
  const key = (kind: string, i: number): string => `f/${kind}-${String(i).padStart(3, '0')}`
  const jobs: Array<() => Promise<unknown>> = []
  for (let i = 0; i < n; i++) {
    jobs.push(() => put(s3, bucket, key('changed', i), `good ${i}`))
    jobs.push(() => put(s3, bucket, key('same', i), `same ${i}`))
    target.set(key('changed', i), `good ${i}`)
    target.set(key('same', i), `same ${i}`)
  }
  for (let i = 0; i < n / 4; i++) {
    jobs.push(() => put(s3, bucket, key('deleted', i), `kept ${i}`))
    target.set(key('deleted', i), `kept ${i}`)
    target.set(key('created', i), null)
  }
  await parallel(jobs, 16)
  await sleep(1100)
  const at = new Date().toISOString()
  await sleep(1100)
  const after: Array<() => Promise<unknown>> = []
  for (let i = 0; i < n; i++) after.push(() => put(s3, bucket, key('changed', i), `bad ${i}`))
  for (let i = 0; i < n / 4; i++) {
    after.push(() => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key('deleted', i) })))
    after.push(() => put(s3, bucket, key('created', i), `late ${i}`))
  }
  await parallel(after, 16)
  return { bucket, at, target }
}

async function contents(bucket: string, keys: Iterable<string>): Promise<Target> {
  const out: Target = new Map()
  await parallel(
    [...keys].map((k) => async () => out.set(k, await read(s3, bucket, k))),
    16,
  )
  return out
}

function faulty(extra: Partial<Parameters<typeof createS3Client>[0]> = {}): S3Client {
  return createS3Client({ endpoint: proxy.url, forcePathStyle: true, ...extra })
}

const faultCount = (): number => Object.values(proxy.stats.faults).reduce((a, b) => a + b, 0)

describe('under faults (resets, stalls, 503 SlowDown)', () => {
  it.each<[string, Faults, number | undefined]>([
    ['503 SlowDown', { slowDown: 0.15, seed: 7 }, undefined],
    ['resets before the server sees the request', { resetBefore: 0.1, seed: 8 }, undefined],
    ['resets after the server did the work', { resetAfter: 0.08, seed: 9 }, undefined],
    ['stalls longer than the socket timeout', { stall: 0.05, stallMs: 2500, seed: 10 }, 1000],
    [
      'all of them at once',
      { slowDown: 0.05, resetBefore: 0.03, resetAfter: 0.03, stall: 0.03, stallMs: 300, seed: 11 },
      undefined,
    ],
  ])(
    '%s: every key ends in a known state and no version is lost',
    async (_, faults, timeout) => {
      const { bucket, at, target } = await seed(40)
      const before = await allVersions(s3, bucket)
      const original = await contents(bucket, target.keys())
      proxy.setFaults(faults)
      const faultyClient = faulty({ socketTimeoutMs: timeout })
      const inputs = {
        bucket,
        prefix: 'f/',
        'to-time': at,
        'if-missing': 'delete',
        concurrency: '8',
      }
      let outcome: unknown
      try {
        outcome = await rollback(faultyClient, settings(inputs), silentLogger)
      } catch (e) {
        outcome = e
      } finally {
        faultyClient.destroy()
      }
      expect(faultCount()).toBeGreaterThan(0)
      console.log(
        JSON.stringify(proxy.stats.faults),
        outcome instanceof Error ? outcome.message.slice(0, 1500) : 'ok',
      )
      proxy.setFaults({})
      const after = await allVersions(s3, bucket) // `added` throws if a version was lost
      const fresh = added(before, after)
      const now = await contents(bucket, target.keys())
      if (outcome instanceof RestoreError) {
        // Failed: every key says where it stands, and it stands there.
        const states = new Map(outcome.finalStates.map((s) => [s.key, s.state]))
        for (const [key, value] of now) {
          const state = states.get(key) ?? 'not changed'
          if (/^(not changed|put back to)/.test(state))
            expect([key, value]).toEqual([key, original.get(key)])
          else expect(state).toMatch(/^(left as is|NOT put back)/)
        }
      } else {
        // Succeeded: every key is at the target.
        expect(outcome).toMatchObject({ summary: { restored: 50, deleted: 10, unchanged: 40 } })
        expect(now).toEqual(target)
        // Only the 60 keys to write got new entries (a retried write may have landed twice).
        expect(new Set(fresh.map((e) => e.key)).size).toBe(60)
      }
      // Either way, a run without faults converges to the target.
      const again = await rollback(s3, settings(inputs), silentLogger)
      expect(await contents(bucket, target.keys())).toEqual(target)
      expect(again.summary?.written).toBeLessThanOrEqual(60)
    },
    180_000,
  )
})

describe('when retries run out', () => {
  it('a write that landed on every attempt is found, put back with the rest, and reported', async () => {
    const { bucket, at, target } = await seed(8)
    const before = await allVersions(s3, bucket)
    const original = await contents(bucket, target.keys())
    const victim = 'f/changed-005'
    // Every attempt to copy onto the victim lands, and every answer is lost (once per attempt).
    proxy.setFaults({
      resetAfter: 1,
      maxFaults: MAX_ATTEMPTS, // the put-back's copy then gets through
      only: (req) =>
        operation(req) === 'PUT copy' &&
        new URL(req.url ?? '/', 'http://x').pathname.endsWith(`/${victim}`),
    })
    const faultyClient = faulty()
    const inputs = { bucket, prefix: 'f/', 'to-time': at, 'if-missing': 'delete', concurrency: '4' }
    const error = await rollback(faultyClient, settings(inputs), silentLogger).catch(
      (e: unknown) => e,
    )
    faultyClient.destroy()
    expect(proxy.stats.faults.resetAfter).toBe(MAX_ATTEMPTS)
    proxy.setFaults({})
    expect(error).toBeInstanceOf(RestoreError)
    const { failedKey, finalStates } = error as RestoreError
    expect(failedKey).toBe(victim)
    const states = new Map(finalStates.map((s) => [s.key, s.state]))
    expect(states.get(victim)).toMatch(/^put back to version/)
    // Every key is where it was before the run; its history holds the run's entries too.
    expect(await contents(bucket, target.keys())).toEqual(original)
    const fresh = added(before, await allVersions(s3, bucket))
    expect(fresh.filter((e) => e.key === victim)).toHaveLength(MAX_ATTEMPTS + 1)
    for (const [key, state] of states) {
      if (key.startsWith('f/')) expect(state).toMatch(/^put back to/)
    }
  }, 120_000)
})

describe('the reproductions of the put-back defects', () => {
  it('two writes that land but lose every reply (keys, concurrency 4) are both put back', async () => {
    const { bucket, at, target } = await seed(8)
    const original = await contents(bucket, target.keys())
    const victims = ['f/changed-002', 'f/changed-005']
    const goodIds = await Promise.all(
      victims.map(async (k) => (await keyHistory(s3, bucket, k)).at(-1)?.versionId ?? ''),
    )
    // Every copy of a victim's good version lands, and its answer is lost; put-backs get through.
    proxy.setFaults({
      resetAfter: 1,
      maxFaults: 1000,
      only: (req) =>
        operation(req) === 'PUT copy' &&
        goodIds.some((id) => String(req.headers['x-amz-copy-source']).includes(id)),
    })
    const keys = [...target.keys()].filter((k) => target.get(k) !== null).join('\n')
    const faultyClient = faulty()
    const error = await rollback(
      faultyClient,
      settings({ bucket, keys, 'to-time': at, concurrency: '4' }),
      silentLogger,
    ).catch((e: unknown) => e)
    faultyClient.destroy()
    expect(proxy.stats.faults.resetAfter).toBeGreaterThanOrEqual(2)
    proxy.setFaults({})
    expect(error).toBeInstanceOf(RestoreError)
    const states = new Map((error as RestoreError).finalStates.map((s) => [s.key, s.state]))
    for (const victim of victims) expect(states.get(victim)).toMatch(/^put back to version/)
    expect(await contents(bucket, target.keys())).toEqual(original)
  }, 120_000)

  it('a listing outage during the put-back is waited out, not taken for another writer', async () => {
    const bucket = await newBucket(s3)
    for (const k of ['o/a', 'o/b']) await put(s3, bucket, k, `good ${k}`)
    await sleep(1100)
    const at = new Date().toISOString()
    await sleep(1100)
    for (const k of ['o/a', 'o/b']) await put(s3, bucket, k, `bad ${k}`)
    const before = await allVersions(s3, bucket)
    let outageFrom: number | undefined
    let listingFaults = 0
    // Every copy onto o/b fails; from its first failure on, listings fail for 12 s (longer
    // than the SDK's own retries of one request).
    proxy.setFaults({
      resetBefore: 1,
      maxFaults: 100_000,
      only: (req) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname
        if (operation(req) === 'PUT copy' && path.endsWith('/o/b')) {
          outageFrom ??= Date.now()
          return true
        }
        const down =
          operation(req) === 'GET list-versions' &&
          outageFrom !== undefined &&
          Date.now() - outageFrom < 12_000
        if (down) listingFaults++
        return down
      },
    })
    const faultyClient = faulty()
    const error = await rollback(
      faultyClient,
      settings({ bucket, keys: 'o/a\no/b', 'to-time': at, concurrency: '2' }),
      silentLogger,
    ).catch((e: unknown) => e)
    faultyClient.destroy()
    proxy.setFaults({})
    expect(error).toBeInstanceOf(RestoreError)
    const states = new Map((error as RestoreError).finalStates.map((s) => [s.key, s.state]))
    expect(states.get('o/a')).toMatch(/^put back to version/)
    expect(states.get('o/b')).toMatch(/^not changed/)
    expect(listingFaults).toBeGreaterThan(0)
    expect(await read(s3, bucket, 'o/a')).toBe('bad o/a')
    expect(await read(s3, bucket, 'o/b')).toBe('bad o/b')
    expect(
      added(before, await allVersions(s3, bucket))
        .map((e) => e.key)
        .sort(),
    ).toEqual(['o/a', 'o/a'])
  }, 120_000)
})

async function parallel(jobs: Array<() => Promise<unknown>>, limit: number): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < jobs.length) await jobs[next++]()
    }),
  )
}
