/**
 * AWS's own semantics, emulated over the real local S3 (helpers/awsproxy.ts), end to end through
 * the bundle (node dist/index.js, as the runner runs it): SSE-KMS ETags, conditional writes and
 * SlowDown. What the store holds is read directly from it, bypassing the layer.
 */
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { userInfo } from 'node:os'
import { runAction } from './helpers/action.js'
import {
  startAwsProxy,
  startAwsStack,
  type AwsProxy,
  type AwsProxyOptions,
} from './helpers/awsproxy.js'
import { runCli } from './helpers/cli.js'
import { added, allVersions, client, endpoint, newBucket, read, sleep } from './helpers/s3.js'

let direct: S3Client
beforeAll(() => {
  direct = client()
})
afterAll(() => direct?.destroy())

/** An SDK client of the layer, as src/s3/client.ts makes one. */
function via(url: string): S3Client {
  return new S3Client({
    endpoint: url,
    forcePathStyle: true,
    region: 'us-east-1',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

/** A layer with these behaviours in front of the store, and a client of it, for one block. */
function withLayer(options: AwsProxyOptions): { layer: () => AwsProxy; s3: () => S3Client } {
  let layer: AwsProxy | undefined
  let s3: S3Client | undefined
  beforeAll(async () => {
    layer = await startAwsProxy(endpoint(), options)
    s3 = via(layer.url)
  })
  afterAll(async () => {
    s3?.destroy()
    await layer?.close()
  })
  const must = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('layer not started')
    return v
  }
  return { layer: () => must(layer), s3: () => must(s3) }
}

/** `keys` with a good version each, then (after the returned instant) a bad one. */
async function goodThenBad(s3: S3Client, bucket: string, keys: string[]): Promise<string> {
  for (const key of keys) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `good ${key}` }))
  }
  await sleep(1100)
  const at = new Date().toISOString()
  await sleep(1100)
  for (const key of keys) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `bad! ${key}` }))
  }
  return at
}

/** Versions and delete markers under `prefix`, as the store holds them. */
async function versionsUnder(bucket: string, prefix: string) {
  return (await allVersions(direct, bucket)).filter((e) => e.key.startsWith(prefix))
}

const KEYS = ['p/a.csv', 'p/b.csv', 'p/c.csv', 'p/d.csv']

/** The runner's variables that name who runs and where (a workflow run). */
const RUNNER = {
  GITHUB_ACTOR: 'octocat',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'usds/justice40-tool',
  GITHUB_RUN_ID: '4242',
}
const RUN_URL = 'https://github.com/usds/justice40-tool/actions/runs/4242'

/** `s3-rollback history --json` of a bucket, through `url`. */
async function history(url: string, bucket: string): Promise<Array<Record<string, unknown>>> {
  const run = await runCli([
    'history',
    '--bucket',
    bucket,
    '--endpoint-url',
    url,
    '--force-path-style',
    '--json',
  ])
  expect(run.code).toBe(0)
  return JSON.parse(run.stdout) as Array<Record<string, unknown>>
}

describe('SSE-KMS: ETags that are not an MD5, and a new one for every copy', () => {
  const { layer, s3 } = withLayer({ kms: true })

  it('a re-run of a prefix restore adds no version', async () => {
    const bucket = await newBucket(direct)
    const at = await goodThenBad(s3(), bucket, KEYS)
    const inputs = {
      'endpoint-url': layer().url,
      'force-path-style': 'true',
      bucket,
      prefix: 'p/',
      'to-time': at,
    }
    const first = await runAction(inputs)
    expect(first.code).toBe(0)
    expect(first.outputs.changed).toBe('4')
    for (const key of KEYS) expect(await read(direct, bucket, key)).toBe(`good ${key}`)

    const before = await versionsUnder(bucket, 'p/')
    const again = await runAction(inputs)
    expect(again.code).toBe(0)
    const fresh = added(before, await versionsUnder(bucket, 'p/'))
    expect(fresh).toEqual([])
    expect(again.outputs.changed).toBe('0')
    expect(JSON.parse(again.outputs.manifest).summary).toMatchObject({ unchanged: 4, written: 0 })
  }, 120_000)
})

describe('the run record', () => {
  const { layer, s3 } = withLayer({ kms: true })

  it('every writing run leaves one; history lists them; a re-run reads them', async () => {
    const bucket = await newBucket(direct)
    const at = await goodThenBad(s3(), bucket, KEYS)
    const inputs = {
      'endpoint-url': layer().url,
      'force-path-style': 'true',
      bucket,
      prefix: 'p/',
      'to-time': at,
    }
    expect(await history(layer().url, bucket)).toEqual([])
    const dry = await runAction({ ...inputs, 'dry-run': 'true' }, RUNNER)
    expect(dry.code).toBe(0)
    expect(await history(layer().url, bucket)).toEqual([])

    const first = await runAction(inputs, RUNNER)
    expect(first.code).toBe(0)
    const manifest = JSON.parse(first.outputs.manifest)
    expect(manifest.record).toMatch(
      new RegExp(`^s3://${bucket}/\\.s3-rollback/runs/\\d{8}T\\d{6}Z-[0-9a-f]{6}\\.jsonl\\.gz$`),
    )
    expect(first.summary).toContain(`Run record: ${manifest.record}`)

    const [record] = await history(layer().url, bucket)
    expect(record).toMatchObject({
      format: 's3-rollback-run',
      bucket,
      by: { actor: 'octocat', runUrl: RUN_URL },
      target: { toTime: at },
      scope: { prefix: 'p/' },
      outcome: 'done',
      written: 4,
      uri: manifest.record,
    })

    // The re-run: the record shows each current version is this run's copy of the wanted one.
    const again = await runAction(inputs, RUNNER)
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('Read 1 recent run record(s): 4 recorded write(s) of these keys')
    expect(again.outputs.changed).toBe('0')
    expect(await history(layer().url, bucket)).toHaveLength(1) // nothing written, no record

    // From the command line: the local user; the table names who, what and how it ended.
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'p/a.csv', Body: 'bad again' }))
    const cli = await runCli([
      'restore',
      '--bucket',
      bucket,
      '--prefix',
      'p/',
      '--to-time',
      at,
      '--endpoint-url',
      layer().url,
      '--force-path-style',
    ])
    expect(cli.code).toBe(0)
    expect(cli.stdout).toMatch(/Run record: s3:\/\/.*\.jsonl\.gz/)
    const [latest, earlier] = await history(layer().url, bucket)
    expect(latest).toMatchObject({ by: { user: userInfo().username }, outcome: 'done', written: 1 })
    expect(earlier).toMatchObject({ outcome: 'done', written: 4 })
    const table = await runCli([
      'history',
      '--bucket',
      bucket,
      '--endpoint-url',
      layer().url,
      '--force-path-style',
    ])
    expect(table.code).toBe(0)
    expect(table.stdout).toContain(`octocat (${RUN_URL})`)
    expect(table.stdout).toMatch(/Started +By +Target +Scope +Outcome +Keys written/)
    expect(table.stdout).toMatch(
      new RegExp(`${userInfo().username} +${at.replace(/\./g, '\\.')} +p/ +done +1`),
    )
  }, 180_000)
})

describe('conditional writes honoured (conditions: true)', () => {
  let racer: ((bucket: string, key: string) => Promise<void>) | undefined
  const { layer, s3 } = withLayer({
    conditions: true,
    // The concurrent writer: on the first write to the key it is set for, it writes first.
    beforeWrite: async ({ kind, bucket, key }) => {
      const once = racer
      if (!once || kind !== 'copy' || key !== 'p/c.csv') return
      racer = undefined
      await once(bucket, key)
    },
  })
  const inputs = (bucket: string, at: string): Record<string, string> => ({
    'endpoint-url': layer().url,
    'force-path-style': 'true',
    bucket,
    prefix: 'p/',
    'to-time': at,
  })

  it('a writer that changes a key between planning and the write: 412, the run put back', async () => {
    const bucket = await newBucket(direct)
    const at = await goodThenBad(s3(), bucket, KEYS)
    racer = async (b, key) => {
      await direct.send(new PutObjectCommand({ Bucket: b, Key: key, Body: 'the racer' }))
    }
    const before = await versionsUnder(bucket, 'p/')
    layer().resetStats()
    const run = await runAction(inputs(bucket, at), RUNNER)
    expect(run.code).toBe(1)
    expect(layer().stats.answered.preconditionFailed).toBe(1)
    expect(run.stdout).toContain('p/c.csv: changed by another writer since planning')
    expect(run.stdout).not.toContain('not honoured')
    // 0 versions lost; the racer's version is current; every other key is put back.
    added(before, await versionsUnder(bucket, 'p/'))
    expect(await read(direct, bucket, 'p/c.csv')).toBe('the racer')
    for (const key of KEYS.filter((k) => k !== 'p/c.csv')) {
      expect(await read(direct, bucket, key)).toBe(`bad! ${key}`)
    }
    const [record] = await history(layer().url, bucket)
    expect(record).toMatchObject({ outcome: 'put back', error: expect.stringContaining('p/c.csv') })
    expect(run.summary).toContain(`Run record: ${String(record.uri)}`)
  }, 120_000)

  it('a writer that deletes the key: 404 NoSuchKey to If-Match, reported as the race it is', async () => {
    const bucket = await newBucket(direct)
    const at = await goodThenBad(s3(), bucket, KEYS)
    racer = async (b, key) => {
      await direct.send(new DeleteObjectCommand({ Bucket: b, Key: key }))
    }
    const before = await versionsUnder(bucket, 'p/')
    layer().resetStats()
    const run = await runAction(inputs(bucket, at), RUNNER)
    expect(run.code).toBe(1)
    expect(layer().stats.answered.noSuchKey).toBe(1)
    expect(run.stdout).toContain(
      'p/c.csv: changed by another writer since planning (now delete marker',
    )
    added(before, await versionsUnder(bucket, 'p/'))
    expect(await read(direct, bucket, 'p/c.csv')).toBeNull()
    for (const key of KEYS.filter((k) => k !== 'p/c.csv')) {
      expect(await read(direct, bucket, key)).toBe(`bad! ${key}`)
    }
  }, 120_000)

  it('409 ConditionalRequestConflict is retried and the run succeeds; the guard stays on', async () => {
    const bucket = await newBucket(direct)
    const at = await goodThenBad(s3(), bucket, KEYS)
    layer().conflictNext(bucket, 'p/b.csv', 2)
    layer().resetStats()
    const run = await runAction(inputs(bucket, at), RUNNER)
    expect(run.code).toBe(0)
    expect(layer().stats.answered.conflict).toBe(2)
    expect(run.outputs.changed).toBe('4')
    expect(run.stdout).not.toContain('not honoured')
    for (const key of KEYS) expect(await read(direct, bucket, key)).toBe(`good ${key}`)
  }, 120_000)
})

describe('SlowDown: 503 above a write rate per prefix', () => {
  const { layer } = withLayer({ slowDown: { writesPerSecond: 5 } })

  it('slows a 40-key run down without failing it, and the summary says how often', async () => {
    const bucket = await newBucket(direct)
    const keys = Array.from({ length: 40 }, (_, i) => `p/${String(i).padStart(2, '0')}.csv`)
    const at = await goodThenBad(direct, bucket, keys)
    layer().resetStats()
    const started = Date.now()
    const run = await runAction({
      'endpoint-url': layer().url,
      'force-path-style': 'true',
      bucket,
      prefix: 'p/',
      'to-time': at,
    })
    const seconds = (Date.now() - started) / 1000
    expect(run.code).toBe(0)
    expect(run.outputs.changed).toBe('40')
    for (const key of keys) expect(await read(direct, bucket, key)).toBe(`good ${key}`)
    const answered = layer().stats.answered.slowDown
    expect(answered).toBeGreaterThan(0)
    // 5 writes at once, then 5 a second: 35 more writes take 7 s at least.
    expect(seconds).toBeGreaterThan(7)
    const line = `S3 answered 503 SlowDown ${answered} time(s)`
    expect(run.summary).toContain(
      `${line} (more requests per second than a prefix takes); ${answered} retried with backoff.`,
    )
    expect(run.stdout).toContain(line)
    console.log(`SlowDown: ${answered} answers, all retried; the run took ${seconds.toFixed(1)} s`)
  }, 180_000)
})

describe('a retried copy that landed twice, under SSE-KMS (each landing gets its own ETag)', () => {
  /** The first copy to p/b.csv lands, and its answer is lost: the SDK sends it again. */
  const lostAnswer = {
    resetAfter: 1,
    maxFaults: 1,
    only: (req: { method?: string; url?: string; headers: Record<string, unknown> }) =>
      req.method === 'PUT' &&
      req.headers['x-amz-copy-source'] !== undefined &&
      (req.url ?? '').includes('/p/b.csv'),
  }

  it.each([
    ['without conditions: both attempts land', { kms: true }, 2],
    [
      'with conditions: the second attempt meets the first (412)',
      { kms: true, conditions: true },
      1,
    ],
  ])(
    '%s; the run takes them as its own',
    async (_label, behaviours, landed) => {
      const bucket = await newBucket(direct)
      const stack = await startAwsStack(endpoint(), behaviours, lostAnswer)
      const s3 = via(stack.url)
      try {
        const at = await goodThenBad(s3, bucket, KEYS)
        const inputs = {
          'endpoint-url': stack.url,
          'force-path-style': 'true',
          bucket,
          prefix: 'p/',
          'to-time': at,
        }
        const before = await versionsUnder(bucket, 'p/')
        const run = await runAction(inputs)
        expect(stack.faults.stats.faults.resetAfter).toBe(1)
        expect(run.stdout).not.toContain('another writer')
        expect(run.code).toBe(0)
        expect(run.outputs.changed).toBe('4')
        const fresh = added(before, await versionsUnder(bucket, 'p/'))
        expect(fresh.filter((e) => e.key === 'p/b.csv')).toHaveLength(landed)
        for (const key of KEYS) expect(await read(direct, bucket, key)).toBe(`good ${key}`)

        const settled = await versionsUnder(bucket, 'p/')
        const again = await runAction(inputs)
        expect(again.code).toBe(0)
        expect(added(settled, await versionsUnder(bucket, 'p/'))).toEqual([])
      } finally {
        s3.destroy()
        await stack.close()
      }
    },
    180_000,
  )
})
