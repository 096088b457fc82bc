// Verify mode against the real local S3: one test per outcome, and the drill.
import {
  DeleteObjectCommand,
  PutBucketLifecycleConfigurationCommand,
  type LifecycleRule,
  type S3Client,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { silentLogger } from '../src/lib/log.js'
import {
  verificationFailed,
  verify,
  type KeyReport,
  type VerifyReport,
} from '../src/verify/index.js'
import {
  added,
  allVersions,
  client,
  modifiedAt,
  newBucket,
  put,
  read,
  settings,
  sleep,
} from './helpers/s3.js'

let s3: S3Client
beforeAll(() => {
  s3 = client()
})
afterAll(() => s3?.destroy())

const run = (inputs: Record<string, string>): Promise<VerifyReport> =>
  verify(s3, settings({ mode: 'verify', ...inputs }), silentLogger)

const byKey = (report: VerifyReport, key: string): KeyReport => {
  const k = report.keys.find((x) => x.key === key)
  if (!k) throw new Error(`no report for ${key}`)
  return k
}

async function lifecycle(bucket: string, rules: LifecycleRule[]): Promise<void> {
  await s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: bucket,
      LifecycleConfiguration: { Rules: rules },
    }),
  )
}

interface Good {
  body?: string | Uint8Array
  extra?: Parameters<typeof put>[4]
}

/**
 * Writes a good version of every key, then (after `at`, the instant they were all current) a bad
 * version of every key. Returns the good version IDs and `at`.
 */
async function seed(
  bucket: string,
  goods: Record<string, Good>,
): Promise<{ good: Record<string, string>; at: string }> {
  const good: Record<string, string> = {}
  for (const [key, g] of Object.entries(goods)) {
    good[key] = await put(s3, bucket, key, g.body ?? `${key} good`, g.extra).catch((e: unknown) => {
      const storageClass = g.extra?.StorageClass
      if (!storageClass) throw e
      throw new Error(
        `PutObject with StorageClass ${storageClass} failed (${String(e)}): the local S3 needs the ` +
          'storage classes scripts/local-s3.sh adds at start; stop it and start it again',
      )
    })
  }
  const last = Object.keys(goods).at(-1) ?? ''
  const at = await modifiedAt(s3, bucket, last, good[last])
  await sleep(20)
  for (const key of Object.keys(goods)) await put(s3, bucket, key, `${key} bad`)
  return { good, at }
}

describe('verify: the bucket', () => {
  it('passes on a versioned bucket without lifecycle rules', async () => {
    const bucket = await newBucket(s3)
    const { good: goods, at } = await seed(bucket, { 'data/usa.csv': {} })
    const good = goods['data/usa.csv']
    const before = await allVersions(s3, bucket)
    const report = await run({ bucket, keys: 'data/usa.csv', 'to-time': at })
    expect(report).toMatchObject({
      versioning: 'Enabled',
      mfaDelete: 'Disabled',
      lifecycleRules: [],
      window: null,
      restorable: true,
      problems: [],
      drill: null,
    })
    expect(byKey(report, 'data/usa.csv')).toMatchObject({
      state: 'restorable',
      action: 'restore',
      versionId: good,
      size: 'data/usa.csv good'.length,
      storageClass: 'STANDARD',
      windowDays: null,
    })
    expect(verificationFailed(report)).toBe(false)
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })

  it.each<['Suspended' | 'none', string]>([
    ['Suspended', 'Suspended'],
    ['none', 'Off'],
  ])('fails when versioning is %s', async (versioning, reported) => {
    const bucket = await newBucket(s3, versioning)
    await put(s3, bucket, 'usa.csv', 'only copy')
    const report = await run({ bucket, keys: 'usa.csv', 'min-window': '1m' })
    expect(report.versioning).toBe(reported)
    expect(report.restorable).toBe(false)
    expect(report.window).toBe(0)
    expect(report.problems[0]).toMatch(
      /^versioning is (Suspended|not enabled): a rollback needs it Enabled/,
    )
    expect(byKey(report, 'usa.csv').limits).toEqual([
      expect.objectContaining({ ruleId: '(bucket)', action: 'Versioning', days: 0 }),
    ])
  })
})

describe('verify: lifecycle rules', () => {
  it('fails when a rule that applies to the key leaves less than min-window', async () => {
    const bucket = await newBucket(s3)
    await put(s3, bucket, 'tiles/cold.csv', 'cold', { Tagging: 'tier=cold' })
    await put(s3, bucket, 'tiles/hot.csv', 'hot')
    await put(s3, bucket, 'data/usa.csv', 'usa')
    // Only current versions exist: nothing for the server's lifecycle worker to expire.
    await lifecycle(bucket, [
      {
        ID: 'tiles-30d',
        Status: 'Enabled',
        Filter: { Prefix: 'tiles/' },
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      },
      {
        ID: 'cold-3d',
        Status: 'Enabled',
        Filter: { And: { Prefix: 'tiles/', Tags: [{ Key: 'tier', Value: 'cold' }] } },
        NoncurrentVersionExpiration: { NoncurrentDays: 3 },
      },
      {
        ID: 'off',
        Status: 'Disabled',
        Filter: { Prefix: '' },
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
      },
    ])
    const keys = 'tiles/cold.csv\ntiles/hot.csv\ndata/usa.csv'
    const report = await run({
      bucket,
      keys,
      'to-time': new Date().toISOString(),
      'min-window': '7d',
    })
    expect(report.lifecycleRules).toHaveLength(3)
    expect(report.restorable).toBe(false)
    expect(report.window).toBe(3)
    const cold = byKey(report, 'tiles/cold.csv')
    expect(cold).toMatchObject({ state: 'restorable', action: 'unchanged', windowDays: 3 })
    expect(cold.rules.map((r) => r.split(' ')[0]).sort()).toEqual(['cold-3d', 'tiles-30d'])
    expect(cold.problems).toEqual([
      'guaranteed window 3d is shorter than min-window 7d (cold-3d deletes noncurrent versions 3 days after they are replaced)',
    ])
    expect(byKey(report, 'tiles/hot.csv')).toMatchObject({ windowDays: 30, problems: [] })
    expect(byKey(report, 'data/usa.csv')).toMatchObject({ windowDays: null, problems: [] })
    expect(report.problems).toEqual([`tiles/cold.csv: ${cold.problems[0]}`])

    const relaxed = await run({
      bucket,
      keys,
      'to-time': new Date().toISOString(),
      'min-window': '72h',
    })
    expect(relaxed.restorable).toBe(true)
  })
})

describe('verify: the version at the target', () => {
  it('fails for a key that did not exist at the target, or was deleted then', async () => {
    const bucket = await newBucket(s3)
    const first = await put(s3, bucket, 'old.csv', 'old')
    const before = await modifiedAt(s3, bucket, 'old.csv', first)
    await sleep(20)
    await put(s3, bucket, 'new.csv', 'new')
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'old.csv' }))
    await sleep(20)
    const at = new Date().toISOString()
    await put(s3, bucket, 'old.csv', 'back again')

    const report = await run({ bucket, keys: 'old.csv\nnew.csv', 'to-time': at })
    expect(report.restorable).toBe(false)
    expect(byKey(report, 'old.csv')).toMatchObject({ state: 'deleted', action: null })
    expect(byKey(report, 'old.csv').problems[0]).toMatch(
      /^has no version at .+ \(it was deleted then: delete marker .+\)/,
    )
    const missing = await run({ bucket, keys: 'new.csv', 'to-time': before })
    expect(byKey(missing, 'new.csv')).toMatchObject({ state: 'missing', versionId: null })
    expect(byKey(missing, 'new.csv').problems[0]).toContain('has no version at')

    const allowed = await run({
      bucket,
      keys: 'new.csv',
      'to-time': before,
      'if-missing': 'delete',
    })
    expect(allowed.restorable).toBe(true)
    expect(byKey(allowed, 'new.csv')).toMatchObject({ state: 'absent', action: 'delete' })
  })

  it('fails for a version ID that does not exist', async () => {
    const bucket = await newBucket(s3)
    await put(s3, bucket, 'usa.csv', 'usa')
    const report = await run({ bucket, 'version-ids': 'usa.csv=no-such-version' })
    expect(byKey(report, 'usa.csv')).toMatchObject({ state: 'missing' })
    expect(report.problems).toEqual([
      'usa.csv: version no-such-version does not exist (1 entries listed)',
    ])
    // `key=` (an undo of a key that did not exist) needs if-missing, as a rollback does.
    const absent = await run({ bucket, 'version-ids': 'usa.csv=' })
    expect(absent.problems).toEqual([
      "usa.csv: is to be absent (key=); set 'if-missing' to delete or skip to allow this",
    ])
    const undo = await run({ bucket, 'version-ids': 'usa.csv=', 'if-missing': 'delete' })
    expect(byKey(undo, 'usa.csv')).toMatchObject({
      state: 'absent',
      action: 'delete',
      problems: [],
    })
  })

  it('aims at now − min-window without to-time', async () => {
    const bucket = await newBucket(s3)
    await put(s3, bucket, 'usa.csv', 'written just now')
    const report = await run({ bucket, keys: 'usa.csv', 'min-window': '1d' })
    expect(report.atWindowStart).toBe(true)
    expect(byKey(report, 'usa.csv').state).toBe('missing')
  })

  it('fails for a version in an archive storage class, unless it is current already', async () => {
    const bucket = await newBucket(s3)
    const { good, at } = await seed(bucket, {
      'archived.csv': { extra: { StorageClass: 'GLACIER' } },
      'ia.csv': { extra: { StorageClass: 'STANDARD_IA' } },
    })
    await put(s3, bucket, 'current.csv', 'good', { StorageClass: 'GLACIER' })
    const classes = (await allVersions(s3, bucket)).length
    expect(classes).toBe(5)

    const report = await run({
      bucket,
      keys: 'archived.csv\nia.csv',
      'to-time': at,
    })
    expect(byKey(report, 'archived.csv')).toMatchObject({
      state: 'archived',
      storageClass: 'GLACIER',
      versionId: good['archived.csv'],
      action: null,
    })
    expect(byKey(report, 'archived.csv').problems[0]).toContain(
      `version ${good['archived.csv']} is in GLACIER and cannot be copied until it is restored`,
    )
    expect(byKey(report, 'ia.csv')).toMatchObject({
      state: 'restorable',
      storageClass: 'STANDARD_IA',
      problems: [],
    })
    const current = await run({ bucket, keys: 'current.csv', 'to-time': new Date().toISOString() })
    expect(byKey(current, 'current.csv')).toMatchObject({
      state: 'restorable',
      action: 'unchanged',
      storageClass: 'GLACIER',
      problems: [],
    })
    expect(byKey(current, 'current.csv').notes[0]).toContain('current already')
    expect(report.restorable).toBe(false)
    expect(report.problems).toHaveLength(1)
  })
})

describe('verify: drill', () => {
  it('copies each target version through the rollback copy path, then leaves nothing behind', async () => {
    const bucket = await newBucket(s3)
    const { good, at } = await seed(bucket, {
      'data-sources/census.zip': {
        extra: { ContentType: 'application/zip', Metadata: { source: 'census' } },
      },
      'tiles/usa.csv': { body: Buffer.alloc(6 * 1024 * 1024 + 7, 7) },
    })
    const before = await allVersions(s3, bucket)

    const report = await run({
      bucket,
      keys: 'data-sources/census.zip\ntiles/usa.csv',
      'to-time': at,
      drill: 'true',
      'drill-prefix': 'drills/one/',
      'multipart-threshold': '5MiB',
      'part-size': '5MiB',
    })
    expect(report.problems).toEqual([])
    expect(report.restorable).toBe(true)
    expect(report.drill).toEqual({ prefix: 'drills/one/', leftBehind: [] })
    expect(byKey(report, 'data-sources/census.zip').drill).toMatchObject({
      scratchKey: 'drills/one/data-sources/census.zip',
      result: 'copied',
      check: 'size and ETag',
      multipart: false,
      removed: true,
    })
    expect(byKey(report, 'tiles/usa.csv').drill).toMatchObject({
      scratchKey: 'drills/one/tiles/usa.csv',
      result: 'copied',
      check: 'size',
      multipart: true,
      removed: true,
    })
    expect(byKey(report, 'data-sources/census.zip').versionId).toBe(good['data-sources/census.zip'])
    // Nothing lost, nothing left: the bucket holds exactly the versions it held before.
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
    expect(await read(s3, bucket, 'data-sources/census.zip')).toBe('data-sources/census.zip bad')
  })

  it('touches nothing it did not create: an occupied scratch key is skipped, neighbours stay', async () => {
    const bucket = await newBucket(s3)
    await seed(bucket, { 'a.csv': {}, 'b.csv': {} })
    const prefix = 'scratch/'
    await put(s3, bucket, `${prefix}b.csv`, 'someone else made this')
    await put(s3, bucket, `${prefix}b.csv`, 'and a second version')
    await put(s3, bucket, `${prefix}other.txt`, 'unrelated')
    await put(s3, bucket, `${prefix}a.csv.bak`, 'a neighbour of the scratch key')
    const before = await allVersions(s3, bucket)

    const report = await run({
      bucket,
      keys: 'a.csv\nb.csv',
      'to-time': new Date().toISOString(),
      drill: 'true',
      'drill-prefix': prefix,
    })
    expect(byKey(report, 'a.csv').drill).toMatchObject({ result: 'copied', removed: true })
    expect(byKey(report, 'b.csv').drill).toMatchObject({ result: 'skipped', removed: false })
    expect(byKey(report, 'b.csv').problems).toEqual([
      'drill skipped: scratch key scratch/b.csv already has versions; the drill left it alone',
    ])
    expect(report.restorable).toBe(false)
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
    expect(await read(s3, bucket, `${prefix}b.csv`)).toBe('and a second version')
  })
})
