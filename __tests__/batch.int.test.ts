// engine: batch-operations, end to end through the bundle (node dist/index.js) against the
// local S3 and the fake S3 Control (helpers/s3control.ts), which checks every request and response
// against botocore's model and runs the jobs' copies on the local S3.
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { runAction } from './helpers/action.js'
import { start, type FakeS3Control } from './helpers/s3control.js'
import {
  added,
  allVersions,
  client,
  endpoint,
  modifiedAt,
  newBucket,
  put,
  read,
  sleep,
} from './helpers/s3.js'

const ACCOUNT = '123456789012'
const ROLE = `arn:aws:iam::${ACCOUNT}:role/s3-rollback-batch`

let s3: S3Client
let fake: FakeS3Control
beforeAll(async () => {
  s3 = client()
  fake = await start({
    s3Endpoint: endpoint(),
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    },
    accountId: ACCOUNT,
    roles: [ROLE],
    concurrency: 16,
    failureThresholdTasks: 10,
    maxCopySourceBytes: 1024 * 1024, // so a 2 MiB object shows the job cannot copy it
  })
})
afterEach(() => {
  fake.faults.failKeys = {}
  expect(fake.violations).toEqual([])
})
afterAll(async () => {
  await fake?.stop()
  s3?.destroy()
})

/** The bundled action with the batch engine, S3 Control pointed at the fake. */
function runBatch(inputs: Record<string, string>): ReturnType<typeof runAction> {
  return runAction(
    {
      'endpoint-url': endpoint(),
      'force-path-style': 'true',
      engine: 'batch-operations',
      'batch-role-arn': ROLE,
      'batch-account-id': ACCOUNT,
      'poll-interval': '1',
      ...inputs,
    },
    { AWS_ENDPOINT_URL_S3_CONTROL: fake.endpoint },
  )
}

interface Seeded {
  bucket: string
  at: string
  good: Map<string, string>
  /** Keys to copy back (overwritten or deleted since `at`), and keys created since. */
  copies: number
  created: number
}

/** `n` keys under p/; after `at`: a third overwritten, some deleted, some created. */
async function prefixOf(n: number): Promise<Seeded> {
  const bucket = await newBucket(s3)
  const good = new Map<string, string>()
  const keys = Array.from({ length: n }, (_, i) => `p/${String(i).padStart(5, '0')}.json`)
  const versions: string[] = []
  await pool(keys, async (key, i) => {
    const body = `${key} good ${randomBytes(4).toString('hex')}`
    versions[i] = await put(s3, bucket, key, body)
    good.set(key, body)
  })
  const last = await put(s3, bucket, 'p/~last.json', 'written last before the target')
  good.set('p/~last.json', 'written last before the target')
  const at = await modifiedAt(s3, bucket, 'p/~last.json', last)
  await sleep(1100)
  let copies = 0
  await pool(keys, async (key, i) => {
    if (i % 3 === 0 || i % 50 === 1) copies++
    if (i % 3 === 0) await put(s3, bucket, key, `${key} BAD`)
    else if (i % 50 === 1) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
  })
  const created = Math.ceil(n / 100)
  await pool(
    Array.from({ length: created }, (_, i) => `p/new-${i}.json`),
    (key) => put(s3, bucket, key, 'created after the target'),
  )
  return { bucket, at, good, copies, created }
}

async function pool<T>(items: T[], fn: (item: T, i: number) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < items.length) {
        const i = next++
        await fn(items[i], i)
      }
    }),
  )
}

/** Keys not at their good content (or, for keys created later, not absent). */
async function wrong(bucket: string, good: Map<string, string>): Promise<string[]> {
  const keys = [...new Set((await allVersions(s3, bucket)).map((e) => e.key))].filter((k) =>
    k.startsWith('p/'),
  )
  const out: string[] = []
  await pool(keys, async (key) => {
    const now = await read(s3, bucket, key)
    if (now !== (good.get(key) ?? null)) out.push(key)
  })
  return out.sort()
}

describe('engine: batch-operations', () => {
  it('rolls a prefix of 5,000 keys back exactly through a copy job; a re-run writes nothing', async () => {
    const { bucket, at, good, copies, created } = await prefixOf(5000)
    expect((await wrong(bucket, good)).length).toBe(copies + created)
    const jobsBefore = fake.jobs.size
    const run = await runBatch({ bucket, prefix: 'p/', 'to-time': at, 'if-missing': 'delete' })
    expect({ code: run.code, tail: run.stdout.slice(-2000) }).toMatchObject({ code: 0 })
    expect(await wrong(bucket, good)).toEqual([])
    const manifest = JSON.parse(run.outputs.manifest)
    expect(manifest.writers).toMatchObject({
      runner: created, // the keys created later get delete markers here
      jobs: [{ storageClass: 'STANDARD', keys: copies, status: 'Complete', failed: 0 }],
    })
    expect(fake.jobs.size).toBe(jobsBefore + 1)
    expect(run.summary).toMatch(
      new RegExp(`Batch Operations: job [\\w-]+ \\(STANDARD\\): ${copies} copies, Complete`),
    )

    const before = await allVersions(s3, bucket)
    const again = await runBatch({ bucket, prefix: 'p/', 'to-time': at, 'if-missing': 'delete' })
    expect(again.code).toBe(0)
    expect(JSON.parse(again.outputs.manifest).writers).toEqual({ runner: 0, jobs: [] })
    expect(fake.jobs.size).toBe(jobsBefore + 1) // nothing to copy: no job
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  }, 300_000)

  it('tasks failing in the report: every key the run changed is put back', async () => {
    const { bucket, at, good } = await prefixOf(60)
    const current = await contents(bucket)
    fake.faults.failKeys = {
      'p/00003.json': { code: 'AccessDenied', status: 403, message: 'Access Denied' },
    }
    const run = await runBatch({ bucket, prefix: 'p/', 'to-time': at, 'if-missing': 'delete' })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/Batch Operations job [\w-]+ left 1 key\(s\) not restored/)
    expect(run.stdout).toMatch(/p\/00003\.json: AccessDenied/)
    expect(await contents(bucket)).toEqual(current) // all or nothing: put back
    expect((await wrong(bucket, good)).length).toBeGreaterThan(0)
  }, 120_000)

  it('a job that fails outright writes nothing', async () => {
    const { bucket, at } = await prefixOf(30)
    const before = await allVersions(s3, bucket)
    fake.faults.failJob = { code: 'ManifestNotReadable', reason: 'the manifest could not be read' }
    const run = await runBatch({ bucket, prefix: 'p/', 'to-time': at, 'if-missing': 'delete' })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(
      /Batch Operations job [\w-]+ was not created \(status Failed: ManifestNotReadable/,
    )
    expect(
      added(before, await allVersions(s3, bucket)).filter((e) => e.key.startsWith('p/')),
    ).toEqual([])
  }, 120_000)

  it('batch-put-back false: reports each key, and a re-run converges writing only what is left', async () => {
    const { bucket, at, good } = await prefixOf(60)
    fake.faults.failKeys = { 'p/00006.json': { code: 'SlowDown', status: 503 } }
    const inputs = { bucket, prefix: 'p/', 'to-time': at, 'if-missing': 'delete' }
    const first = await runBatch({ ...inputs, 'batch-put-back': 'false' })
    expect(first.code).toBe(1)
    expect(first.stdout).toContain('Nothing was put back (batch-put-back: false)')
    expect(await wrong(bucket, good)).toEqual(['p/00006.json'])
    fake.faults.failKeys = {}
    const before = await allVersions(s3, bucket)
    const second = await runBatch(inputs)
    expect(second.code).toBe(0)
    expect(await wrong(bucket, good)).toEqual([])
    const keys = added(before, await allVersions(s3, bucket)).map((e) => e.key)
    // the store holds the jobs' manifests and reports, and the run's record
    expect(keys.filter((k) => !k.startsWith('.s3-rollback/'))).toEqual(['p/00006.json'])
  }, 120_000)

  it('a copy over the threshold is made here, not by the job', async () => {
    const bucket = await newBucket(s3)
    const big = randomBytes(2 * 1024 * 1024)
    await put(s3, bucket, 'big.bin', big)
    const small = await put(s3, bucket, 'small.csv', 'small good')
    const at = await modifiedAt(s3, bucket, 'small.csv', small)
    await sleep(1100)
    await put(s3, bucket, 'big.bin', 'bad')
    await put(s3, bucket, 'small.csv', 'small bad')
    const run = await runBatch({
      bucket,
      keys: 'big.bin\nsmall.csv',
      'to-time': at,
      'multipart-threshold': '1MiB',
    })
    expect(run.code).toBe(0)
    expect(JSON.parse(run.outputs.manifest).writers).toMatchObject({
      runner: 1,
      jobs: [{ keys: 1, status: 'Complete' }],
    })
    expect(await read(s3, bucket, 'small.csv')).toBe('small good')
    const bigNow = (await allVersions(s3, bucket)).find((e) => e.key === 'big.bin' && e.isLatest)
    expect(bigNow?.size).toBe(big.length)
  }, 120_000)

  it.each([
    [
      { 'batch-role-arn': 'arn:aws:iam::123456789012:user/me' },
      /Input 'batch-role-arn' has an invalid value .*: expected an IAM role ARN/,
    ],
    [
      { 'batch-account-id': '1234' },
      /Input 'batch-account-id' has an invalid value "1234": expected the 12-digit ID/,
    ],
    [
      { 'batch-role-arn': 'arn:aws:iam::999999999999:role/x' },
      /expected a role of account 123456789012/,
    ],
    [
      { 'batch-role-arn': `arn:aws:iam::${ACCOUNT}:role/does-not-exist` },
      /Creating the copy jobs s3:\/\/[\w-]+ failed: AccessDenied[^]*To fix: The role needs s3:CreateJob \(and iam:PassRole on batch-role-arn\)/,
    ],
  ])(
    'bad role or account %j: a clear error before anything is written',
    async (bad, message) => {
      const { bucket, at } = await prefixOf(12)
      const before = await allVersions(s3, bucket)
      const run = await runBatch({
        bucket,
        prefix: 'p/',
        'to-time': at,
        'if-missing': 'delete',
        ...bad,
      })
      expect(run.code).toBe(1)
      expect(run.stdout).toMatch(message)
      expect(
        added(before, await allVersions(s3, bucket)).filter((e) => e.key.startsWith('p/')),
      ).toEqual([])
    },
    60_000,
  )
})

describe('engine: batch-operations into a destination', () => {
  it('a job copies into another bucket under the same prefix; a renaming destination is written here', async () => {
    const { bucket, at, good, copies } = await prefixOf(60)
    const sourceBefore = await allVersions(s3, bucket)
    const staging = await newBucket(s3)
    const inputs = { bucket, prefix: 'p/', 'to-time': at, 'if-missing': 'delete' }
    const same = await runBatch({ ...inputs, destination: `s3://${staging}/p/` })
    expect({ code: same.code, tail: same.stdout.slice(-2000) }).toMatchObject({ code: 0 })
    expect(await wrong(staging, good)).toEqual([])
    // every good key is copied: the staging bucket was empty, so each differs there
    expect(JSON.parse(same.outputs.manifest).writers).toMatchObject({
      runner: 0,
      jobs: [{ storageClass: 'STANDARD', keys: good.size, status: 'Complete', failed: 0 }],
    })
    expect(copies).toBeGreaterThan(0)
    // the source is only read: the jobs' manifests and reports go to the destination's store
    expect(added(sourceBefore, await allVersions(s3, bucket))).toEqual([])
    const stored = (await allVersions(s3, staging)).map((e) => e.key)
    expect(stored.some((k) => k.startsWith('.s3-rollback/batch/'))).toBe(true)

    const renamed = await runBatch({ ...inputs, destination: `s3://${staging}/q/` })
    expect(renamed.code).toBe(0)
    expect(JSON.parse(renamed.outputs.manifest).writers).toEqual({ runner: good.size, jobs: [] })
    for (const [key, body] of good) {
      expect(await read(s3, staging, `q/${key.slice('p/'.length)}`)).toBe(body)
    }
    expect(added(sourceBefore, await allVersions(s3, bucket))).toEqual([])
  }, 120_000)
})

async function contents(bucket: string): Promise<Record<string, string | null>> {
  const keys = [...new Set((await allVersions(s3, bucket)).map((e) => e.key))].filter((k) =>
    k.startsWith('p/'),
  )
  const out: Record<string, string | null> = {}
  for (const key of keys.sort()) out[key] = await read(s3, bucket, key)
  return out
}
