// `mode: verify` of the bundle, run as the runner runs it, against the real local S3.
import { PutBucketLifecycleConfigurationCommand, type S3Client } from '@aws-sdk/client-s3'
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
  mode: 'verify',
})

async function corrupted(): Promise<{ bucket: string; at: string; good: string }> {
  const bucket = await newBucket(s3)
  const good = await put(s3, bucket, 'data/usa.csv', 'usa good')
  const at = await modifiedAt(s3, bucket, 'data/usa.csv', good)
  await sleep(20)
  await put(s3, bucket, 'data/usa.csv', 'usa bad')
  return { bucket, at, good }
}

describe('node dist/index.js with mode: verify', () => {
  it('passes, sets report, restorable and window, writes a table per key, leaves nothing behind', async () => {
    const { bucket, at, good } = await corrupted()
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: 'keep-30d',
              Status: 'Enabled',
              Filter: { Prefix: 'data/' },
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            },
          ],
        },
      }),
    )
    const before = await allVersions(s3, bucket)
    const run = await runAction({
      ...local(),
      bucket,
      keys: 'data/usa.csv',
      'to-time': at,
      'min-window': '14d',
      drill: 'true',
    })
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`::group::Checking bucket ${bucket}`)
    expect(run.stdout).toContain(`::group::Drill into s3://${bucket}/.s3-rollback-drill/`)
    expect(run.outputs.restorable).toBe('true')
    expect(run.outputs.window).toBe('30')
    const report = JSON.parse(run.outputs.report)
    expect(report).toMatchObject({ bucket, restorable: true, window: 30, minWindow: '14d' })
    expect(report.keys[0]).toMatchObject({
      key: 'data/usa.csv',
      versionId: good,
      state: 'restorable',
      drill: { result: 'copied', removed: true },
    })
    expect(run.summary).toContain(`<h3>Restorable: every key of <code>s3://${bucket}</code>`)
    expect(run.summary).toMatch(
      new RegExp(
        `<td><code>data/usa\\.csv</code></td><td>[-0-9]+&nbsp;[:0-9]+ · 8 B<br><sub><code>${good}</code></sub></td>` +
          `<td>30d</td><td>copied, removed<br><sub>checked by [^<]+</sub></td>`,
      ),
    )
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })

  it('fails the step with one annotation per problem when a rollback would not work', async () => {
    const { bucket } = await corrupted()
    const run = await runAction({
      ...local(),
      bucket,
      keys: 'data/usa.csv\ndata/gone.csv',
      'to-time': new Date().toISOString(),
    })
    expect(run.code).toBe(1)
    expect(run.outputs.restorable).toBe('false')
    expect(run.outputs.window).toBe('unlimited')
    expect(run.stdout).toContain(
      `::error title=s3-rollback verify ${bucket}::data/gone.csv: no such key`,
    )
    // the verdict is in the log, not a second annotation of the same problem
    expect(run.stdout).toContain('\nNOT restorable: 1 problem(s)')
    expect(run.stdout.match(/^::error/gm)).toHaveLength(1)
    expect(run.summary).toContain('<h3>NOT restorable: 1 problem in')
    expect(run.summary).toContain('<li><code>data/gone.csv</code> (missing): no such key')
  })

  it.each([
    ['min-window', { 'min-window': 'soon' }, 'a duration such as 7d'],
    ['drill-prefix', { drill: 'true', 'drill-prefix': 'scratch' }, 'a key prefix ending in /'],
    ['mode', { mode: 'check' }, 'one of restore, verify'],
  ])('bad %s: fails naming the input, writes nothing', async (input, inputs, expected) => {
    const { bucket, at } = await corrupted()
    const before = await allVersions(s3, bucket)
    const run = await runAction({
      ...local(),
      bucket,
      keys: 'data/usa.csv',
      'to-time': at,
      ...inputs,
    })
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(`::error::Input '${input}' has an invalid value`)
    expect(run.stdout).toContain(expected)
    expect(run.outputs).toEqual({})
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })
})
