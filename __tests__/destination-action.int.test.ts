// Stage, check, then swap, through the bundle (node dist/index.js as the runner runs it) against
// the local S3: a prefix restored into another bucket's or prefix's staging area holds exactly
// the state at T, the source gains no version, a re-run adds none, and the undo file puts the
// staging area back; a destination over the source is refused before any write; a prefix
// narrows a snapshot; and a forced multipart copy is proven equal by the store's checksum.
import {
  DeleteObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction } from './helpers/action.js'
import { startAwsProxy } from './helpers/awsproxy.js'
import {
  added,
  allVersions,
  client,
  endpoint,
  modifiedAt,
  newBucket,
  proxiedClient,
  put,
  read,
  sleep,
} from './helpers/s3.js'

let s3: S3Client
let temp: string
beforeAll(async () => {
  s3 = client()
  temp = await mkdtemp(join(tmpdir(), 's3-rollback-staged-'))
})
afterAll(async () => {
  s3?.destroy()
  await rm(temp, { recursive: true, force: true })
})

const local = (url = endpoint()): Record<string, string> => ({
  'endpoint-url': url,
  'force-path-style': 'true',
})

const del = (bucket: string, key: string): Promise<unknown> =>
  s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))

/**
 * The justice40 bucket: data-pipeline/tiles/ at T holds usa.csv (metadata, tags), a.pbf and
 * b.pbf. After T usa.csv is overwritten, a.pbf deleted, c.pbf created; data-sources/ changes too.
 */
async function justice40(): Promise<{ bucket: string; at: string }> {
  const bucket = await newBucket(s3)
  await put(s3, bucket, 'data-pipeline/tiles/usa.csv', 'GEOID,score\n01001,0.42\n', {
    ContentType: 'text/csv',
    Metadata: { 'pipeline-run': '1041' },
    Tagging: 'stage=score&blessed=yes',
  })
  await put(s3, bucket, 'data-pipeline/tiles/a.pbf', 'tile a')
  const b = await put(s3, bucket, 'data-pipeline/tiles/b.pbf', 'tile b')
  await put(s3, bucket, 'data-sources/census.zip', 'census good')
  const at = await modifiedAt(s3, bucket, 'data-pipeline/tiles/b.pbf', b)
  await sleep(20)
  await put(s3, bucket, 'data-pipeline/tiles/usa.csv', 'GEOID,score\n01001,NaN\n', {
    Tagging: 'stage=broken',
  })
  await del(bucket, 'data-pipeline/tiles/a.pbf')
  await put(s3, bucket, 'data-pipeline/tiles/c.pbf', 'created by the bad run')
  await put(s3, bucket, 'data-sources/census.zip', 'census bad')
  return { bucket, at }
}

/** Every key under `prefix` of `bucket` with its current content (absent keys left out). */
async function tree(bucket: string, prefix: string): Promise<Record<string, string>> {
  const keys = new Set(
    (await allVersions(s3, bucket)).map((e) => e.key).filter((k) => k.startsWith(prefix)),
  )
  const out: Record<string, string> = {}
  for (const key of [...keys].sort()) {
    const body = await read(s3, bucket, key)
    if (body !== null) out[key.slice(prefix.length)] = body
  }
  return out
}

const AT_T = {
  'a.pbf': 'tile a',
  'b.pbf': 'tile b',
  'usa.csv': 'GEOID,score\n01001,0.42\n',
}

describe('staging a rollback with the bundled action', () => {
  it('restores a prefix into another bucket exactly as it was at T, and re-runs write nothing', async () => {
    const { bucket, at } = await justice40()
    const staging = await newBucket(s3)
    await put(s3, staging, 'rollback/tiles/stale.pbf', 'an earlier staging left this')
    const sourceBefore = await allVersions(s3, bucket)
    const inputs = {
      ...local(),
      bucket,
      prefix: 'data-pipeline/tiles/',
      'to-time': at,
      'if-missing': 'delete',
      destination: `s3://${staging}/rollback/tiles/`,
    }
    const run = await runAction(inputs, { RUNNER_TEMP: temp })
    expect({ code: run.code, tail: run.stdout.slice(-1500) }).toMatchObject({ code: 0 })
    expect(run.stdout).toContain(
      `::group::Resolving versions under s3://${bucket}/data-pipeline/tiles/ into s3://${staging}/rollback/tiles/`,
    )
    expect(await tree(staging, 'rollback/tiles/')).toEqual(AT_T)
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: staging, Key: 'rollback/tiles/usa.csv' }),
    )
    expect([head.ContentType, head.Metadata]).toEqual(['text/csv', { 'pipeline-run': '1041' }])
    const tagSet = await s3.send(
      new GetObjectTaggingCommand({ Bucket: staging, Key: 'rollback/tiles/usa.csv' }),
    )
    expect(tagSet.TagSet).toEqual(
      expect.arrayContaining([
        { Key: 'stage', Value: 'score' },
        { Key: 'blessed', Value: 'yes' },
      ]),
    )
    // the source is only read: not one version more, anywhere in its bucket
    expect(added(sourceBefore, await allVersions(s3, bucket))).toEqual([])
    expect(await read(s3, bucket, 'data-pipeline/tiles/usa.csv')).toBe('GEOID,score\n01001,NaN\n')

    const manifest = JSON.parse(run.outputs.manifest)
    expect(manifest.destination).toEqual({ bucket: staging, prefix: 'rollback/tiles/' })
    expect(run.outputs.changed).toBe('4') // usa.csv, a.pbf, b.pbf written; stale.pbf hidden
    expect(run.summary).toMatch(
      new RegExp(
        `Rolled back 4 of 5 keys under <code>s3://${bucket}/data-pipeline/tiles/</code> to .+ ` +
          `into <code>s3://${staging}/rollback/tiles/</code>`,
      ),
    )
    expect(run.summary).toContain(`bucket: ${staging}`) // the undo step writes the staging bucket

    const stagingBefore = await allVersions(s3, staging)
    const again = await runAction(inputs)
    expect(again.code).toBe(0)
    expect(again.outputs.changed).toBe('0')
    expect(added(stagingBefore, await allVersions(s3, staging))).toEqual([])
    expect(added(sourceBefore, await allVersions(s3, bucket))).toEqual([])

    // the undo file puts the staging area back as it was (in place, in the staging bucket)
    const undoFile = run.outputs['undo-file']
    expect((await readFile(undoFile, 'utf8')).split('\n').filter(Boolean).sort()).toEqual([
      'rollback/tiles/a.pbf=',
      'rollback/tiles/b.pbf=',
      expect.stringMatching(/^rollback\/tiles\/stale\.pbf=.+/),
      'rollback/tiles/usa.csv=',
    ])
    const undo = await runAction({
      ...local(),
      bucket: staging,
      'version-ids-file': undoFile,
      'if-missing': 'delete',
    })
    expect(undo.code).toBe(0)
    expect(await tree(staging, 'rollback/tiles/')).toEqual({
      'stale.pbf': 'an earlier staging left this',
    })
  })

  it('restores into another prefix of the same bucket, and writes nothing else there', async () => {
    const { bucket, at } = await justice40()
    const before = await allVersions(s3, bucket)
    const inputs = {
      ...local(),
      bucket,
      prefix: 'data-pipeline/tiles/',
      'to-time': at,
      'if-missing': 'delete',
      destination: `s3://${bucket}/staging/tiles/`,
    }
    const run = await runAction(inputs)
    expect(run.code).toBe(0)
    expect(await tree(bucket, 'staging/tiles/')).toEqual(AT_T)
    const written = added(before, await allVersions(s3, bucket)).map((e) => e.key)
    expect(written.filter((k) => !k.startsWith('.s3-rollback/runs/')).sort()).toEqual([
      'staging/tiles/a.pbf',
      'staging/tiles/b.pbf',
      'staging/tiles/usa.csv',
    ])
    const after = await allVersions(s3, bucket)
    expect((await runAction(inputs)).outputs.changed).toBe('0')
    expect(added(after, await allVersions(s3, bucket))).toEqual([])
  })

  it('refuses a destination inside the source prefix, naming the input, with 0 writes', async () => {
    const { bucket, at } = await justice40()
    const before = await allVersions(s3, bucket)
    const run = await runAction({
      ...local(),
      bucket,
      prefix: 'data-pipeline/',
      'to-time': at,
      destination: `s3://${bucket}/data-pipeline/staging/`,
    })
    expect(run.code).toBe(1)
    expect(run.stdout).toContain(
      `Input 'destination' has an invalid value "s3://${bucket}/data-pipeline/staging/"`,
    )
    expect(run.stdout).toContain(`it is inside the source s3://${bucket}/data-pipeline/`)
    expect(await allVersions(s3, bucket)).toEqual(before)
  })
})

describe('a prefix narrows a snapshot', () => {
  it('to-snapshot with prefix restores exactly that folder of a whole-bucket snapshot', async () => {
    const { bucket } = await justice40()
    // the bad state is blessed by mistake; then it is put right, snapshotted, and broken again
    await put(s3, bucket, 'data-pipeline/tiles/usa.csv', 'GEOID,score\n01001,0.42\n')
    await put(s3, bucket, 'data-pipeline/tiles/a.pbf', 'tile a')
    await del(bucket, 'data-pipeline/tiles/c.pbf')
    await put(s3, bucket, 'data-sources/census.zip', 'census good')
    const snap = await runAction({
      ...local(),
      bucket,
      mode: 'snapshot',
      snapshot: 'last-good',
      prefix: '*',
    })
    expect(snap.code).toBe(0)
    await put(s3, bucket, 'data-pipeline/tiles/usa.csv', 'broken again')
    await put(s3, bucket, 'data-pipeline/tiles/d.pbf', 'new since the snapshot')
    await put(s3, bucket, 'data-sources/census.zip', 'census broken again')

    const run = await runAction({
      ...local(),
      bucket,
      'to-snapshot': 'last-good',
      prefix: 'data-pipeline/tiles/',
      'if-missing': 'delete',
    })
    expect({ code: run.code, tail: run.stdout.slice(-1500) }).toMatchObject({ code: 0 })
    expect(await tree(bucket, 'data-pipeline/tiles/')).toEqual(AT_T)
    // outside the folder nothing changed
    expect(await read(s3, bucket, 'data-sources/census.zip')).toBe('census broken again')
    const manifest = JSON.parse(run.outputs.manifest)
    expect(manifest.summary).toMatchObject({
      prefix: 'data-pipeline/tiles/',
      restored: 1,
      deleted: 1,
    })

    const outside = await runAction({
      ...local(),
      bucket,
      'to-snapshot': 'last-good',
      prefix: 'no-such-folder/',
    })
    expect(outside.code).toBe(1)
    expect(outside.stdout).toContain('no-such-folder/: no key has any version under this prefix')
  })
})

describe('a forced multipart copy where the store keeps checksums', () => {
  it('is proven equal to its source by CRC64NVME: the re-run writes nothing, even without run records', async () => {
    const proxy = await startAwsProxy(endpoint(), { checksums: true })
    const via = proxiedClient(proxy.url)
    try {
      const bucket = await newBucket(s3)
      const good = await put(via, bucket, 'data-sources/census.zip', Buffer.alloc(11 << 20, 5))
      const at = await modifiedAt(s3, bucket, 'data-sources/census.zip', good)
      await sleep(20)
      await put(via, bucket, 'data-sources/census.zip', 'corrupted')
      const staging = await newBucket(s3)
      const inputs = {
        ...local(proxy.url),
        bucket,
        keys: 'data-sources/census.zip',
        'to-time': at,
        destination: `s3://${staging}/`,
        'multipart-threshold': '5MiB',
        'part-size': '5MiB',
        // a store no record can be read from or written to: only the checksum can prove it
        'snapshot-store': `s3://no-such-bucket-${Date.now()}/records/`,
      }
      const first = await runAction(inputs)
      expect({ code: first.code, tail: first.stdout.slice(-1500) }).toMatchObject({ code: 0 })
      expect(first.outputs.changed).toBe('1')
      expect(first.stdout).toContain('Could not save the run record')
      const before = await allVersions(s3, staging)
      const again = await runAction(inputs)
      expect(again.code).toBe(0)
      expect(again.outputs.changed).toBe('0')
      expect(again.stdout).toContain('Could not read the run records')
      expect(added(before, await allVersions(s3, staging))).toEqual([])
    } finally {
      via.destroy()
      await proxy.close()
    }
  })
})
