// Saved plans, snapshots and diffs against the real local S3 (the engine, and the bundle).
import {
  DeleteObjectCommand,
  PutBucketPolicyCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { rollback } from '../src/engine/rollback.js'
import { silentLogger } from '../src/lib/log.js'
import { parseAccess } from '../src/settings/index.js'
import { createSnapshot } from '../src/snapshot/create.js'
import { diff } from '../src/snapshot/diff.js'
import { verify } from '../src/verify/index.js'
import { runAction } from './helpers/action.js'
import { runCli } from './helpers/cli.js'
import {
  added,
  allVersions,
  client,
  endpoint,
  newBucket,
  put,
  read,
  settings,
} from './helpers/s3.js'

let s3: S3Client
let dir: string
beforeAll(async () => {
  s3 = client()
  dir = await mkdtemp(join(tmpdir(), 's3-rollback-snapshots-'))
})
afterAll(async () => {
  s3?.destroy()
  await rm(dir, { recursive: true, force: true })
})

const del = (bucket: string, key: string): Promise<unknown> =>
  s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))

/** Every key's current content, store left out. */
async function contents(bucket: string): Promise<Record<string, string | null>> {
  const keys = [...new Set((await allVersions(s3, bucket)).map((e) => e.key))]
  const out: Record<string, string | null> = {}
  for (const key of keys.filter((k) => !k.startsWith('.s3-rollback/')).sort()) {
    out[key] = await read(s3, bucket, key)
  }
  return out
}

/** data/a, data/b, data/c, and other/x outside the prefix. */
async function seeded(): Promise<string> {
  const bucket = await newBucket(s3)
  await put(s3, bucket, 'data/a.csv', 'a good')
  await put(s3, bucket, 'data/b.csv', 'b good')
  await put(s3, bucket, 'data/c.csv', 'c good')
  await put(s3, bucket, 'other/x.csv', 'x good')
  return bucket
}

/** A bad pipeline run: overwrites a, deletes b, creates new, leaves c; touches other/ too. */
async function badRun(bucket: string): Promise<void> {
  await put(s3, bucket, 'data/a.csv', 'a BAD')
  await del(bucket, 'data/b.csv')
  await put(s3, bucket, 'data/new.csv', 'created by the bad run')
  await put(s3, bucket, 'other/x.csv', 'x changed')
}

const snap = (bucket: string, name: string, inputs: Record<string, string> = {}) =>
  createSnapshot(
    s3,
    settings({ mode: 'snapshot', bucket, snapshot: name, ...inputs }),
    silentLogger,
  )

const byKey = (report: { keys: { key: string }[] }, key: string): unknown =>
  report.keys.find((k) => k.key === key)

describe('a prefix narrows a snapshot', () => {
  it('restores only the keys of a prefix snapshot under a narrower prefix', async () => {
    const bucket = await seeded()
    await put(s3, bucket, 'data/sub/d.csv', 'd good')
    await snap(bucket, 'last-good', { prefix: 'data/' })
    await put(s3, bucket, 'data/sub/d.csv', 'd BAD')
    await put(s3, bucket, 'data/sub/new.csv', 'created by the bad run')
    await badRun(bucket)
    const inputs = {
      bucket,
      'to-snapshot': 'last-good',
      prefix: 'data/sub/',
      'if-missing': 'delete',
    }
    const run = await rollback(s3, settings(inputs), silentLogger)
    expect(run.keys.map((k) => [k.key, k.action])).toEqual([
      ['data/sub/d.csv', 'restored'],
      ['data/sub/new.csv', 'deleted'],
    ])
    expect(await read(s3, bucket, 'data/a.csv')).toBe('a BAD') // outside the prefix: untouched
  })

  it('refuses a prefix wider than the snapshot covers, before anything is written', async () => {
    const bucket = await seeded()
    await snap(bucket, 'last-good', { prefix: 'data/' })
    await badRun(bucket)
    const before = await allVersions(s3, bucket)
    const run = rollback(
      s3,
      settings({ bucket, 'to-snapshot': 'last-good', prefix: 'other/' }),
      silentLogger,
    )
    await expect(run).rejects.toThrow(
      /Input 'prefix' has an invalid value "other\/": expected a prefix inside the one snapshot .* covers \(data\/\)/,
    )
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })

  it('picks the keys of a listed-keys snapshot under the prefix', async () => {
    const bucket = await seeded()
    await snap(bucket, 'two', { keys: 'data/a.csv\nother/x.csv' })
    await badRun(bucket)
    const run = await rollback(
      s3,
      settings({ bucket, 'to-snapshot': 'two', prefix: 'data/' }),
      silentLogger,
    )
    expect(run.keys.map((k) => [k.key, k.action])).toEqual([['data/a.csv', 'restored']])
    expect(await read(s3, bucket, 'other/x.csv')).toBe('x changed')
    const none = rollback(
      s3,
      settings({ bucket, 'to-snapshot': 'two', prefix: 'nothing/' }),
      silentLogger,
    )
    await expect(none).rejects.toThrow(/lists 2 keys, none under it/)
  })
})

describe('snapshots', () => {
  it('a prefix snapshot is restored exactly (if-missing: delete), and twice writes nothing', async () => {
    const bucket = await seeded()
    const taken = await snap(bucket, 'last-good', { prefix: 'data/' })
    expect(taken).toMatchObject({ name: 'last-good', keys: 3, absent: 0 })
    const good = await contents(bucket)
    await badRun(bucket)
    const inputs = { bucket, 'to-snapshot': 'last-good', 'if-missing': 'delete' }
    const first = await rollback(s3, settings(inputs), silentLogger)
    expect(first.target).toEqual({ snapshot: 'last-good', snapshotId: taken.id })
    expect(first.keys.map((k) => [k.key, k.action])).toEqual([
      ['data/a.csv', 'restored'],
      ['data/b.csv', 'restored'],
      ['data/c.csv', 'unchanged'],
      ['data/new.csv', 'deleted'],
    ])
    expect(await contents(bucket)).toEqual({
      ...good,
      'data/new.csv': null,
      'other/x.csv': 'x changed', // outside the snapshot's prefix: not touched
    })
    const before = await allVersions(s3, bucket)
    const second = await rollback(s3, settings(inputs), silentLogger)
    expect(second.keys.every((k) => k.action === 'unchanged')).toBe(true)
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })

  it('last-good moves; the earlier snapshot stays restorable by its ID', async () => {
    const bucket = await seeded()
    const one = await snap(bucket, 'last-good', { keys: 'data/a.csv\ndata/b.csv' })
    await put(s3, bucket, 'data/a.csv', 'a second good')
    const two = await snap(bucket, 'last-good', { keys: 'data/a.csv\ndata/b.csv' })
    expect(two.id).not.toBe(one.id)
    await put(s3, bucket, 'data/a.csv', 'a BAD')

    const dry = await rollback(
      s3,
      settings({ bucket, 'to-snapshot': 'last-good', 'dry-run': 'true' }),
      silentLogger,
    )
    expect(dry.target).toEqual({ snapshot: 'last-good', snapshotId: two.id })
    await rollback(s3, settings({ bucket, 'to-snapshot': one.id }), silentLogger)
    expect(await read(s3, bucket, 'data/a.csv')).toBe('a good')
    await rollback(s3, settings({ bucket, 'to-snapshot': 'last-good' }), silentLogger)
    expect(await read(s3, bucket, 'data/a.csv')).toBe('a second good')
  })

  it('keys picks keys of a snapshot; a key it does not cover is refused', async () => {
    const bucket = await seeded()
    await snap(bucket, 'good', { keys: 'data/a.csv\ndata/b.csv' })
    await badRun(bucket)
    const m = await rollback(
      s3,
      settings({ bucket, 'to-snapshot': 'good', keys: 'data/a.csv' }),
      silentLogger,
    )
    expect(m.keys.map((k) => [k.key, k.action])).toEqual([['data/a.csv', 'restored']])
    expect(await read(s3, bucket, 'data/b.csv')).toBeNull()
    await expect(
      rollback(s3, settings({ bucket, 'to-snapshot': 'good', keys: 'data/c.csv' }), silentLogger),
    ).rejects.toThrow(
      /Input 'keys' has an invalid value "data\/c\.csv": expected keys that snapshot/,
    )
  })

  it('a whole-bucket restore leaves the snapshot store alone', async () => {
    const bucket = await seeded()
    const at = new Date().toISOString()
    await new Promise((r) => setTimeout(r, 1100))
    await snap(bucket, 'after-the-time', { prefix: '*' })
    const store = (await allVersions(s3, bucket)).filter((e) => e.key.startsWith('.s3-rollback/'))
    expect(store.length).toBe(2) // the snapshot and its name
    const m = await rollback(
      s3,
      settings({ bucket, prefix: '*', 'to-time': at, 'if-missing': 'delete' }),
      silentLogger,
    )
    expect(m.keys.some((k) => k.key.startsWith('.s3-rollback/'))).toBe(false)
    const after = (await allVersions(s3, bucket)).filter((e) => e.key.startsWith('.s3-rollback/'))
    expect(after).toEqual(store)
    // ...and a whole-bucket snapshot does not record the store either
    const again = await snap(bucket, 'whole', { prefix: '*' })
    expect(again.keys).toBe(4)
  })

  it('diff lists exactly the changes between a snapshot, a time and now', async () => {
    const bucket = await seeded()
    await snap(bucket, 'before', { prefix: 'data/' })
    await new Promise((r) => setTimeout(r, 1100))
    const between = new Date()
    await new Promise((r) => setTimeout(r, 1100))
    await badRun(bucket)
    await put(s3, bucket, 'data/c.csv', 'c good') // same bytes, new version: not a change
    const access = parseAccess(
      (n) => ({ bucket, 'endpoint-url': endpoint(), 'force-path-style': 'true' })[n] ?? '',
    )
    const result = await diff(
      s3,
      access,
      { keys: [] },
      { kind: 'snapshot', ref: 'before' },
      { kind: 'now' },
    )
    expect(result.totals).toEqual({ added: 1, removed: 1, changed: 1, unchanged: 1 })
    expect(
      result.changes.map((c) => [c.key, c.change, c.before?.size ?? null, c.after?.size ?? null]),
    ).toEqual([
      ['data/a.csv', 'changed', 6, 5],
      ['data/b.csv', 'removed', 6, null],
      ['data/new.csv', 'added', null, 22],
    ])
    const byTime = await diff(
      s3,
      access,
      { keys: [], prefix: 'data/' },
      { kind: 'time', at: between, text: between.toISOString() },
      { kind: 'snapshot', ref: 'before' },
    )
    expect(byTime.totals).toEqual({ added: 0, removed: 0, changed: 0, unchanged: 3 })
    const cli = await runCli([
      'diff',
      '--bucket',
      bucket,
      '--from',
      'before',
      '--json',
      '--endpoint-url',
      endpoint(),
      '--force-path-style',
    ])
    expect(cli.code).toBe(0)
    expect(JSON.parse(cli.stdout).changes).toEqual(result.changes)
  })

  it('verify checks the versions of a snapshot and names a lifecycle rule that expires one', async () => {
    const bucket = await seeded()
    await snap(bucket, 'last-good', { prefix: 'data/' })
    await put(s3, bucket, 'data/a.csv', 'a newer') // a's snapshot version is noncurrent now
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: 'expire-old-data',
              Status: 'Enabled',
              Filter: { Prefix: 'data/' },
              NoncurrentVersionExpiration: { NoncurrentDays: 3 },
            },
          ],
        },
      }),
    )
    const report = await verify(
      s3,
      settings({ mode: 'verify', bucket, snapshot: 'last-good', 'min-window': '7d' }),
      silentLogger,
    )
    expect(report.target).toMatchObject({ snapshot: 'last-good' })
    expect(report.keys.map((k) => k.key)).toEqual(['data/a.csv', 'data/b.csv', 'data/c.csv'])
    expect(report.restorable).toBe(false)
    // a's version is noncurrent already; b's and c's get 3 days once they are replaced
    expect(report.problems).toEqual(
      ['a', 'b', 'c'].map((k) =>
        expect.stringMatching(
          new RegExp(
            `^data/${k}\\.csv: guaranteed window 3d is shorter than min-window 7d \\(expire-old-data `,
          ),
        ),
      ),
    )
    expect(byKey(report, 'data/a.csv')).toMatchObject({ state: 'restorable', windowDays: 3 })
  })
})

describe('saved plans', () => {
  it('a plan applied unchanged restores exactly what the dry run showed', async () => {
    const bucket = await seeded()
    await snap(bucket, 'good', { prefix: 'data/' })
    await badRun(bucket)
    const inputs = { bucket, 'to-snapshot': 'good', 'if-missing': 'delete' }
    const dry = await rollback(s3, settings({ ...inputs, 'dry-run': 'true' }), silentLogger)
    if (!dry.plan) throw new Error('a dry run saves its plan')
    expect(dry.plan.digest).toMatch(/^[0-9a-f]{12}$/)
    const file = join(dir, `${bucket}.plan`)
    await copyFile(dry.plan.file, file)
    const applied = await rollback(s3, settings({ bucket, 'plan-file': file }), silentLogger)
    expect(applied.appliedPlan).toBe(dry.plan.digest)
    const shown = (m: typeof dry): string[][] =>
      m.keys.map((k) => [k.key, k.action, k.previousVersionId ?? '', k.restoredVersionId ?? ''])
    expect(shown(applied)).toEqual(shown(dry))
    expect(applied.keys.filter((k) => k.newVersionId !== null)).toHaveLength(3)
  })

  it('a plan applied after the bucket moved is refused, naming the keys, with zero writes', async () => {
    const bucket = await seeded()
    const at = new Date().toISOString()
    await new Promise((r) => setTimeout(r, 1100))
    await badRun(bucket)
    const dry = await rollback(
      s3,
      settings({
        bucket,
        prefix: 'data/',
        'to-time': at,
        'if-missing': 'delete',
        'dry-run': 'true',
      }),
      silentLogger,
    )
    const file = join(dir, `${bucket}.plan`)
    await copyFile(dry.plan?.file ?? '', file)
    await put(s3, bucket, 'data/c.csv', 'written after the approval')
    await put(s3, bucket, 'data/later.csv', 'a new key')
    const before = await allVersions(s3, bucket)
    await expect(
      rollback(s3, settings({ bucket, 'plan-file': file }), silentLogger),
    ).rejects.toThrow(
      /is stale: 2 key\(s\) changed since the dry run[^]*data\/c\.csv: planned unchanged: [^]*now restore[^]*data\/later\.csv: new since the plan/,
    )
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })

  it.each([
    ['truncated', (t: string) => t.split('\n').slice(0, 2).join('\n') + '\n', /is truncated/],
    [
      'edited',
      (t: string) => t.replace('"restore"', '"unchanged"'),
      /was changed after it was written/,
    ],
    [
      'of an unknown format version',
      (t: string) => t.replace('"version":1', '"version":2'),
      /has format version 2; this s3-rollback reads version 1/,
    ],
    ['not a plan', () => '{"hello":1}\n', /is not a s3-rollback-plan file/],
  ])('a plan file that is %s is refused before any write', async (_name, change, message) => {
    const bucket = await seeded()
    await snap(bucket, 'good', { keys: 'data/a.csv' })
    await put(s3, bucket, 'data/a.csv', 'a BAD')
    const dry = await rollback(
      s3,
      settings({ bucket, 'to-snapshot': 'good', 'dry-run': 'true' }),
      silentLogger,
    )
    const file = join(dir, `${bucket}.plan`)
    await writeFile(file, change(await readFile(dry.plan?.file ?? '', 'utf8')))
    const before = await allVersions(s3, bucket)
    await expect(
      rollback(s3, settings({ bucket, 'plan-file': file }), silentLogger),
    ).rejects.toThrow(message)
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })

  it('a plan or a snapshot of another bucket is refused', async () => {
    const bucket = await seeded()
    const other = await seeded()
    await snap(bucket, 'good', { keys: 'data/a.csv' })
    const dry = await rollback(
      s3,
      settings({ bucket, 'to-snapshot': 'good', 'dry-run': 'true' }),
      silentLogger,
    )
    await expect(
      rollback(s3, settings({ bucket: other, 'plan-file': dry.plan?.file ?? '' }), silentLogger),
    ).rejects.toThrow(`is a plan for bucket ${bucket}, not ${other}`)
    await expect(
      rollback(
        s3,
        settings({
          bucket: other,
          'to-snapshot': 'good',
          'snapshot-store': `s3://${bucket}/.s3-rollback/`,
        }),
        silentLogger,
      ),
    ).rejects.toThrow(`is a snapshot of bucket ${bucket}, not ${other}`)
  })
})

describe('bad snapshot input: a clear error, zero writes', () => {
  it('an unknown name lists the names that exist', async () => {
    const bucket = await seeded()
    await snap(bucket, 'last-good', { keys: 'data/a.csv' })
    await snap(bucket, 'v2-blessed', { keys: 'data/a.csv' })
    const before = await allVersions(s3, bucket)
    await expect(
      rollback(s3, settings({ bucket, 'to-snapshot': 'last-goood' }), silentLogger),
    ).rejects.toThrow(
      `No snapshot named or with the ID "last-goood" in s3://${bucket}/.s3-rollback/; the names there are: last-good, v2-blessed`,
    )
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })

  it('an edited snapshot is refused', async () => {
    const bucket = await seeded()
    const taken = await snap(bucket, 'good', { keys: 'data/a.csv' })
    const key = `.s3-rollback/snapshots/${taken.id}.jsonl.gz`
    const { GetObjectCommand } = await import('@aws-sdk/client-s3')
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    ).Body?.transformToByteArray()
    const text = gunzipSync(Buffer.from(body ?? []))
      .toString()
      .replace('a.csv', 'b.csv')
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(text) }))
    const before = await allVersions(s3, bucket)
    await expect(
      rollback(s3, settings({ bucket, 'to-snapshot': 'good' }), silentLogger),
    ).rejects.toThrow(/snapshot .* was changed after it was written/)
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })

  it('to-snapshot with to-time is refused when the inputs are read', () => {
    expect(() =>
      settings({ bucket: 'b1', 'to-snapshot': 'x', 'to-time': '2021-01-01T00:00:00Z' }),
    ).toThrow(
      "Input 'to-time' has an invalid value \"2021-01-01T00:00:00Z\": expected to be empty when 'to-snapshot' is set",
    )
  })

  it('a store the role cannot write: refused naming s3:PutObject, nothing recorded', async () => {
    const bucket = await seeded()
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Principal: { AWS: ['arn:aws:iam:::user/s3rollback'] },
              Action: ['s3:PutObject'],
              Resource: [`arn:aws:s3:::${bucket}/.s3-rollback/*`],
            },
          ],
        }),
      }),
    )
    const before = await allVersions(s3, bucket)
    const run = await runCli([
      'snapshot',
      'create',
      'good',
      '--bucket',
      bucket,
      '--key',
      'data/a.csv',
      '--endpoint-url',
      endpoint(),
      '--force-path-style',
    ])
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(/AccessDenied \(HTTP 403/)
    expect(run.stderr).toContain(`To fix: The role needs s3:PutObject on ${bucket}`)
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })
})

describe('the bundled action', () => {
  it('records a snapshot, plans a rollback to it, and applies exactly that plan', async () => {
    const bucket = await seeded()
    const local = { 'endpoint-url': endpoint(), 'force-path-style': 'true' }
    const recorded = await runAction(
      { ...local, mode: 'snapshot', snapshot: 'last-good', bucket, prefix: 'data/' },
      {
        GITHUB_SHA: 'abc123',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'usds/justice40-tool',
        GITHUB_RUN_ID: '42',
      },
    )
    expect(recorded.code).toBe(0)
    expect(recorded.outputs['snapshot-id']).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/)
    expect(recorded.summary).toContain('Recorded snapshot <code>last-good</code>')
    await badRun(bucket)
    const plan = await runAction(
      {
        ...local,
        bucket,
        'to-snapshot': 'last-good',
        'if-missing': 'delete',
        'dry-run': 'true',
      },
      { RUNNER_TEMP: dir },
    )
    expect(plan.code).toBe(0)
    expect(plan.outputs['plan-digest']).toMatch(/^[0-9a-f]{12}$/)
    expect(plan.summary).toContain(
      `<strong>Approving plan <code>${plan.outputs['plan-digest']}</code></strong> will:`,
    )
    const file = join(dir, `${bucket}.action.plan`)
    const header = JSON.parse((await readFile(plan.outputs['plan-file'], 'utf8')).split('\n')[0])
    expect(header).toMatchObject({
      format: 's3-rollback-plan',
      bucket,
      target: { snapshot: { ref: 'last-good' } },
    })
    await copyFile(plan.outputs['plan-file'], file)
    const apply = await runAction({ ...local, bucket, 'plan-file': file })
    expect(apply.code).toBe(0)
    expect(apply.outputs['plan-digest']).toBe(plan.outputs['plan-digest'])
    expect(apply.outputs.changed).toBe('3')
    expect(await read(s3, bucket, 'data/a.csv')).toBe('a good')
    // applied again: already applied, nothing written; once a key moves again, stale
    const again = await runAction({ ...local, bucket, 'plan-file': file })
    expect(again.code).toBe(0)
    expect(again.outputs.changed).toBe('0')
    expect(again.summary).toContain(
      `The saved plan ${plan.outputs['plan-digest']} was already applied`,
    )
    await put(s3, bucket, 'data/a.csv', 'bad again')
    const stale = await runAction({ ...local, bucket, 'plan-file': file })
    expect(stale.code).toBe(1)
    expect(stale.stdout).toMatch(/::error::The plan in .* is stale: 1 key\(s\) changed/)
  })
})
