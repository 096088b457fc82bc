// The bundle, run as the runner runs it, against the real local S3.
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { runAction } from './helpers/action.js'
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

let s3: S3Client
beforeAll(() => {
  s3 = client()
})
afterAll(() => s3?.destroy())

const local = (): Record<string, string> => ({
  'endpoint-url': endpoint(),
  'force-path-style': 'true',
})

describe('node dist/index.js', () => {
  it('rolls back by time, sets outputs and writes the job summary', async () => {
    const bucket = await newBucket(s3)
    const census = await put(s3, bucket, 'data-sources/census.zip', 'census good', {
      ContentType: 'application/zip',
    })
    const usa = await put(s3, bucket, 'data-pipeline/data/score/csv/tiles/usa.csv', 'usa good')
    const at = await modifiedAt(s3, bucket, 'data-pipeline/data/score/csv/tiles/usa.csv', usa)
    await sleep(20)
    const badCensus = await put(s3, bucket, 'data-sources/census.zip', 'census bad')
    await s3.send(
      new DeleteObjectCommand({
        Bucket: bucket,
        Key: 'data-pipeline/data/score/csv/tiles/usa.csv',
      }),
    )
    const keys = 'data-sources/census.zip\ndata-pipeline/data/score/csv/tiles/usa.csv'

    const run = await runAction({ ...local(), bucket, keys, 'to-time': at })
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('::group::Resolving versions')
    expect(run.stdout).toContain('::group::Restoring')
    expect(await read(s3, bucket, 'data-sources/census.zip')).toBe('census good')
    expect(await read(s3, bucket, 'data-pipeline/data/score/csv/tiles/usa.csv')).toBe('usa good')

    expect(run.outputs.changed).toBe('2')
    const manifest = JSON.parse(run.outputs.manifest)
    expect(manifest).toMatchObject({ bucket, target: { toTime: at }, dryRun: false })
    expect(manifest.keys).toEqual([
      expect.objectContaining({
        key: 'data-sources/census.zip',
        action: 'restored',
        previousVersionId: badCensus,
        previousLastModified: await modifiedAt(s3, bucket, 'data-sources/census.zip', badCensus),
        restoredVersionId: census,
        lastModified: await modifiedAt(s3, bucket, 'data-sources/census.zip', census),
        size: 11,
      }),
      expect.objectContaining({
        key: 'data-pipeline/data/score/csv/tiles/usa.csv',
        action: 'restored',
        previousVersionId: null,
        previousLastModified: null,
        restoredVersionId: usa,
      }),
    ])
    expect(run.outputs['undo-version-ids']).toBe(
      `data-sources/census.zip=${badCensus}\ndata-pipeline/data/score/csv/tiles/usa.csv=`,
    )
    const instant = `${at.slice(0, 10)} ${at.slice(11, 23).replace(/\.000$/, '')} UTC`
    expect(run.summary).toContain(`Rolled back 2 keys of <code>s3://${bucket}</code> to ${instant}`)
    // the census row: the restored version (its time, size and ID), then the replaced one
    expect(run.summary).toMatch(
      new RegExp(
        `<td><code>data-sources/census\\.zip</code></td><td>[-0-9]+&nbsp;[:0-9]+ · 11 B<br>` +
          `<sub><code>${census}</code></sub></td><td>[-0-9]+&nbsp;[:0-9]+<br><sub><code>${badCensus}</code>`,
      ),
    )

    const again = await runAction({ ...local(), bucket, keys, 'to-time': at })
    expect(again.code).toBe(0)
    expect(again.outputs.changed).toBe('0')

    const undo = await runAction({
      ...local(),
      bucket,
      'version-ids': run.outputs['undo-version-ids'],
      'if-missing': 'delete',
    })
    expect(undo.code).toBe(0)
    expect(await read(s3, bucket, 'data-sources/census.zip')).toBe('census bad')
    expect(await read(s3, bucket, 'data-pipeline/data/score/csv/tiles/usa.csv')).toBeNull()
  })

  it('dry run prints the plan and writes nothing', async () => {
    const bucket = await newBucket(s3)
    const good = await put(s3, bucket, 'a.csv', 'good')
    const at = await modifiedAt(s3, bucket, 'a.csv', good)
    await sleep(20)
    await put(s3, bucket, 'a.csv', 'bad')
    const before = await allVersions(s3, bucket)
    const run = await runAction({
      ...local(),
      bucket,
      keys: 'a.csv',
      'to-time': at,
      'dry-run': 'true',
    })
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/a\.csv: restore \(current: version .*; target: version /)
    expect(JSON.parse(run.outputs.manifest)).toMatchObject({
      dryRun: true,
      keys: [{ action: 'restored', newVersionId: null }],
    })
    expect(run.outputs.changed).toBe('0')
    expect(run.summary).toContain('Dry run')
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })
})

describe('bad input: a clear error naming the input, exit code 1, nothing written', () => {
  let bucket: string
  let at: string
  beforeAll(async () => {
    bucket = await newBucket(s3)
    const v = await put(s3, bucket, 'a.csv', 'good')
    at = await modifiedAt(s3, bucket, 'a.csv', v)
    await sleep(20)
    await put(s3, bucket, 'a.csv', 'bad')
    await put(s3, bucket, 'late.csv', 'created after T')
  })

  it.each<[string, Record<string, string>, RegExp]>([
    [
      'no bucket',
      { bucket: '', keys: 'a.csv', 'to-time': 'T' },
      /Input 'bucket' is missing: expected a bucket name/,
    ],
    [
      'a time without a zone',
      { keys: 'a.csv', 'to-time': '2021-12-13T15:00:00' },
      /Input 'to-time' has an invalid value "2021-12-13T15:00:00": expected an ISO-8601 time with a zone/,
    ],
    [
      'two targets',
      { keys: 'a.csv', 'to-time': 'T', 'version-ids': 'a.csv=x' },
      /Input 'version-ids' .*give exactly one target/,
    ],
    ['no target', { keys: 'a.csv' }, /Input 'to-time' is missing: expected a target/],
    [
      'a bad if-missing',
      { keys: 'a.csv', 'to-time': 'T', 'if-missing': 'ignore' },
      /Input 'if-missing' has an invalid value "ignore": expected one of fail, delete, skip/,
    ],
    [
      'a bad dry-run',
      { keys: 'a.csv', 'to-time': 'T', 'dry-run': 'yes' },
      /Input 'dry-run' has an invalid value "yes": expected true or false/,
    ],
    [
      'a malformed version-ids line',
      { 'version-ids': 'a.csv' },
      /Input 'version-ids' has an invalid value "a.csv": expected one key=versionId line per key/,
    ],
    [
      'a version that does not exist',
      { 'version-ids': 'a.csv=nope' },
      /a\.csv: version nope does not exist/,
    ],
    [
      'a key missing at the target',
      { keys: 'a.csv\nlate.csv', 'to-time': 'T' },
      /late\.csv: has no version at .*set 'if-missing' to delete or skip/,
    ],
    [
      'a bad part size',
      { keys: 'a.csv', 'to-time': 'T', 'part-size': '1MiB' },
      /Input 'part-size' has an invalid value "1MiB"/,
    ],
  ])('%s', async (_label, inputs, message) => {
    const before = await allVersions(s3, bucket)
    const withTime = Object.fromEntries(
      Object.entries(inputs).map(([k, v]) => [k, v === 'T' ? at : v]),
    )
    const run = await runAction({ ...local(), bucket, ...withTime })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/^::error/m)
    expect(run.stdout).toMatch(message)
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })

  it('a bucket without versioning', async () => {
    const plain = await newBucket(s3, 'none')
    await put(s3, plain, 'a.csv', 'x')
    const before = await allVersions(s3, plain)
    const run = await runAction({ ...local(), bucket: plain, keys: 'a.csv', 'to-time': at })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/::error::Bucket it-[0-9a-f]+ has versioning never enabled/)
    expect(added(before, await allVersions(s3, plain))).toEqual([])
  })
})
