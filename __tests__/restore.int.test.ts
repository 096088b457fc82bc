import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import { BucketError } from '../src/lib/errors.js'
import { PlanError, RaceError, RestoreError } from '../src/engine/errors.js'
import { keyHistories, keyHistory } from '../src/s3/listing.js'
import { silentLogger } from '../src/lib/log.js'
import { undoVersionIds } from '../src/engine/plan/manifest.js'
import { rollback } from '../src/engine/rollback.js'
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
  settings,
  sleep,
} from './helpers/s3.js'
import { readAll } from './helpers/builders.js'
import { isCopyOf, startFaultProxy } from './helpers/faultproxy.js'

let s3: S3Client
beforeAll(() => {
  s3 = client()
})
afterAll(() => s3?.destroy())

/** A bucket where `keys` each have a good version at T and a bad one after it. */
async function corrupted(
  keys: string[],
): Promise<{ bucket: string; at: string; good: Record<string, string> }> {
  const bucket = await newBucket(s3)
  const good: Record<string, string> = {}
  for (const key of keys) good[key] = await put(s3, bucket, key, `good ${key}`)
  const at = await modifiedAt(s3, bucket, keys[keys.length - 1], good[keys[keys.length - 1]])
  await sleep(20)
  for (const key of keys) await put(s3, bucket, key, `bad ${key}`)
  return { bucket, at, good }
}

describe('selection (semantic 1)', () => {
  it('restores the exact key, not neighbours that share its prefix', async () => {
    const { bucket, at, good } = await corrupted(['usa.csv', 'usa.csv.bak'])
    const before = await allVersions(s3, bucket)
    const manifest = await rollback(
      s3,
      settings({ bucket, keys: 'usa.csv', 'to-time': at }),
      silentLogger,
    )
    expect(manifest.keys).toEqual([
      expect.objectContaining({
        key: 'usa.csv',
        action: 'restored',
        restoredVersionId: good['usa.csv'],
      }),
    ])
    expect(await read(s3, bucket, 'usa.csv')).toBe('good usa.csv')
    expect(await read(s3, bucket, 'usa.csv.bak')).toBe('bad usa.csv.bak')
    expect(added(before, await allVersions(s3, bucket)).map((e) => e.key)).toEqual(['usa.csv'])
  })

  it('reads every page and keeps versions and delete markers in listing order', async () => {
    const bucket = await newBucket(s3)
    const written: string[] = []
    for (let i = 0; i < 4; i++) {
      written.push(await put(s3, bucket, 'k', `v${i}`))
      const out = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }))
      written.push(out.VersionId ?? '?')
    }
    await put(s3, bucket, 'k.bak', 'neighbour')
    const histories = await readAll(keyHistories(s3, { bucket, prefix: 'k', pageSize: 3 }))
    expect(histories.map((h) => h.key)).toEqual(['k', 'k.bak'])
    expect(histories[0].entries.map((e) => e.versionId)).toEqual([...written].reverse())
    expect(histories[0].entries.map((e) => e.isDeleteMarker)).toEqual(
      written.map((_, i) => i % 2 === 1).reverse(),
    )
    expect((await keyHistory(s3, bucket, 'k')).length).toBe(8)
  })

  it('picks the version current at the target among quick successive writes', async () => {
    const bucket = await newBucket(s3)
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push(await put(s3, bucket, 'fast.csv', `gen ${i}`))
    const at = await modifiedAt(s3, bucket, 'fast.csv', ids[2])
    const history = await keyHistory(s3, bucket, 'fast.csv')
    const sameInstantAfter = history.filter(
      (e) => e.lastModified.toISOString() === at && ids.indexOf(e.versionId) > 2,
    )
    const manifest = await rollback(
      s3,
      settings({ bucket, keys: 'fast.csv', 'to-time': at }),
      silentLogger,
    )
    // On a tie in LastModified the newest listed entry was current at that instant.
    const expected = sameInstantAfter.length > 0 ? sameInstantAfter[0].versionId : ids[2]
    expect(manifest.keys[0].restoredVersionId).toBe(expected)
  })
})

describe('unchanged and idempotent (semantic 2)', () => {
  it('writes nothing the second time', async () => {
    const { bucket, at } = await corrupted(['a.csv', 'b.csv'])
    const first = await rollback(
      s3,
      settings({ bucket, keys: 'a.csv\nb.csv', 'to-time': at }),
      silentLogger,
    )
    expect(first.keys.map((k) => k.action)).toEqual(['restored', 'restored'])
    const between = await allVersions(s3, bucket)
    const second = await rollback(
      s3,
      settings({ bucket, keys: 'a.csv\nb.csv', 'to-time': at }),
      silentLogger,
    )
    expect(second.keys.map((k) => k.action)).toEqual(['unchanged', 'unchanged'])
    expect(second.keys.every((k) => k.newVersionId === null)).toBe(true)
    expect(added(between, await allVersions(s3, bucket))).toEqual([])
  })
})

describe('server-side copy keeps the object (semantic 3)', () => {
  it.each(['dir/with space+plus?q#h%25.csv', 'données/ünï code ☃.zip', 'a=b&c;d/[x] (1)!*.csv'])(
    'copies key %s with content type, metadata and tags',
    async (key) => {
      const bucket = await newBucket(s3)
      const good = await put(s3, bucket, key, 'good body', {
        ContentType: 'text/csv',
        Metadata: { source: 'census', run: '42' },
        Tagging: 'stage=good&team=j40',
        CacheControl: 'max-age=60',
      })
      const at = await modifiedAt(s3, bucket, key, good)
      await sleep(20)
      await put(s3, bucket, key, 'bad', { ContentType: 'application/octet-stream' })
      const manifest = await rollback(
        s3,
        settings({ bucket, keys: key, 'to-time': at }),
        silentLogger,
      )
      const newId = manifest.keys[0].newVersionId ?? ''
      expect(await read(s3, bucket, key)).toBe('good body')
      const head = await s3.send(
        new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: newId }),
      )
      expect(head).toMatchObject({
        ContentType: 'text/csv',
        Metadata: { source: 'census', run: '42' },
        CacheControl: 'max-age=60',
      })
      const tags = await s3.send(
        new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: newId }),
      )
      expect(tags.TagSet).toEqual(
        expect.arrayContaining([
          { Key: 'stage', Value: 'good' },
          { Key: 'team', Value: 'j40' },
        ]),
      )
      expect(manifest.keys[0].check).toBe('size and ETag')
    },
  )

  it('uses a parallel multipart copy above the threshold and carries metadata and tags', async () => {
    const bucket = await newBucket(s3)
    const MiB = 1024 * 1024
    const body = randomBytes(12 * MiB + 123)
    const good = await put(s3, bucket, 'census.zip', body, {
      ContentType: 'application/zip',
      Metadata: { vintage: '2021' },
      Tagging: 'stage=good',
    })
    const at = await modifiedAt(s3, bucket, 'census.zip', good)
    await sleep(20)
    await put(s3, bucket, 'census.zip', 'truncated')
    const manifest = await rollback(
      s3,
      settings({
        bucket,
        keys: 'census.zip',
        'to-time': at,
        'multipart-threshold': '5MiB',
        'part-size': '5MiB',
      }),
      silentLogger,
    )
    const [row] = manifest.keys
    expect(row).toMatchObject({ action: 'restored', restoredVersionId: good, size: body.length })
    const head = await s3.send(
      new HeadObjectCommand({
        Bucket: bucket,
        Key: 'census.zip',
        VersionId: row.newVersionId ?? '',
      }),
    )
    expect(head.ContentType).toBe('application/zip')
    expect(head.Metadata).toEqual({ vintage: '2021' })
    expect(head.ETag).toMatch(/-3"?$/) // three parts: 5 + 5 + 2 MiB
    const tags = await s3.send(
      new GetObjectTaggingCommand({
        Bucket: bucket,
        Key: 'census.zip',
        VersionId: row.newVersionId ?? '',
      }),
    )
    expect(tags.TagSet).toEqual([{ Key: 'stage', Value: 'good' }])
    const { GetObjectCommand } = await import('@aws-sdk/client-s3')
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'census.zip' }))
    const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? [])
    const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
    expect(sha(bytes)).toBe(sha(body))
  })

  it('copies the null version of an object written before versioning was enabled', async () => {
    const bucket = await newBucket(s3, 'none')
    await put(s3, bucket, 'legacy.csv', 'pre-versioning')
    const { PutBucketVersioningCommand } = await import('@aws-sdk/client-s3')
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: bucket,
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    )
    await put(s3, bucket, 'legacy.csv', 'bad')
    const manifest = await rollback(
      s3,
      settings({ bucket, 'version-ids': 'legacy.csv=null' }),
      silentLogger,
    )
    expect(manifest.keys[0]).toMatchObject({ action: 'restored', restoredVersionId: 'null' })
    expect(await read(s3, bucket, 'legacy.csv')).toBe('pre-versioning')
  })
})

describe('if-missing and delete markers', () => {
  it('brings back a deleted key and adds a delete marker for a key created later', async () => {
    const bucket = await newBucket(s3)
    const good = await put(s3, bucket, 'kept.csv', 'good')
    const at = await modifiedAt(s3, bucket, 'kept.csv', good)
    await sleep(20)
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'kept.csv' }))
    await put(s3, bucket, 'new.csv', 'created after T')
    const before = await allVersions(s3, bucket)
    const keys = 'kept.csv\nnew.csv'
    await expect(
      rollback(s3, settings({ bucket, keys, 'to-time': at }), silentLogger),
    ).rejects.toThrow(/new.csv: has no version at .* \(it did not exist yet\)/)
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
    const skip = await rollback(
      s3,
      settings({ bucket, keys, 'to-time': at, 'if-missing': 'skip', 'dry-run': 'true' }),
      silentLogger,
    )
    expect(skip.keys.map((k) => k.action)).toEqual(['restored', 'skipped'])
    const manifest = await rollback(
      s3,
      settings({ bucket, keys, 'to-time': at, 'if-missing': 'delete' }),
      silentLogger,
    )
    expect(manifest.keys.map((k) => k.action)).toEqual(['restored', 'deleted'])
    expect(await read(s3, bucket, 'kept.csv')).toBe('good')
    expect(await read(s3, bucket, 'new.csv')).toBeNull()
    const fresh = added(before, await allVersions(s3, bucket))
    expect(fresh.map((e) => [e.key, e.deleteMarker])).toEqual(
      expect.arrayContaining([
        ['kept.csv', false],
        ['new.csv', true],
      ]),
    )
    expect(fresh).toHaveLength(2)
  })

  it('undo-version-ids passed back with if-missing delete undoes the run', async () => {
    const bucket = await newBucket(s3)
    const good = await put(s3, bucket, 'x.csv', 'good')
    const at = await modifiedAt(s3, bucket, 'x.csv', good)
    await sleep(20)
    await put(s3, bucket, 'x.csv', 'bad')
    await put(s3, bucket, 'y.csv', 'later')
    const keys = 'x.csv\ny.csv'
    const run = await rollback(
      s3,
      settings({ bucket, keys, 'to-time': at, 'if-missing': 'delete' }),
      silentLogger,
    )
    expect([await read(s3, bucket, 'x.csv'), await read(s3, bucket, 'y.csv')]).toEqual([
      'good',
      null,
    ])
    const undo = await rollback(
      s3,
      settings({ bucket, 'version-ids': undoVersionIds(run.keys), 'if-missing': 'delete' }),
      silentLogger,
    )
    expect(undo.keys.map((k) => k.action)).toEqual(['restored', 'restored'])
    expect([await read(s3, bucket, 'x.csv'), await read(s3, bucket, 'y.csv')]).toEqual([
      'bad',
      'later',
    ])
  })
})

describe('validation before any write (semantic 6)', () => {
  it('reports every bad key at once and writes nothing', async () => {
    const { bucket, at } = await corrupted(['a.csv', 'b.csv'])
    await put(s3, bucket, 'late.csv', 'x')
    const before = await allVersions(s3, bucket)
    const error = await rollback(
      s3,
      settings({ bucket, 'version-ids': 'a.csv=does-not-exist\nb.csv=also-missing\nlate.csv=' }),
      silentLogger,
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PlanError)
    expect((error as PlanError).problems.map((p) => p.key)).toEqual(['a.csv', 'b.csv', 'late.csv'])
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
    // and a time target still works on the same bucket afterwards
    await expect(
      rollback(s3, settings({ bucket, keys: 'a.csv', 'to-time': at }), silentLogger),
    ).resolves.toBeDefined()
  })

  it.each(['none', 'Suspended'] as const)(
    'refuses a bucket whose versioning is %s',
    async (state) => {
      const bucket = await newBucket(s3, state)
      await put(s3, bucket, 'a.csv', 'x')
      const before = await allVersions(s3, bucket)
      await expect(
        rollback(
          s3,
          settings({ bucket, keys: 'a.csv', 'to-time': new Date().toISOString() }),
          silentLogger,
        ),
      ).rejects.toThrow(BucketError)
      expect(added(before, await allVersions(s3, bucket))).toEqual([])
    },
  )
})

describe('all or nothing (semantic 7)', () => {
  it('puts back the keys already changed when a later write fails', async () => {
    const { bucket, at } = await corrupted(['1.csv', '2.csv', '3.csv'])
    const before = await allVersions(s3, bucket)
    // The real server does the work; the proxy refuses the copy of 3.csv (403 AccessDenied), as
    // a lost permission would.
    const proxy = await startFaultProxy(endpoint(), {
      accessDenied: 1,
      only: (req) => isCopyOf(req, '3.csv'),
    })
    const failing = proxiedClient(proxy.url)
    const s = settings({ bucket, keys: '1.csv\n2.csv\n3.csv', 'to-time': at, concurrency: '1' })
    const error = await rollback(failing, s, silentLogger).catch((e: unknown) => e)
    failing.destroy()
    await proxy.close()
    expect(error).toBeInstanceOf(RestoreError)
    const { failedKey, finalStates } = error as RestoreError
    expect(failedKey).toBe('3.csv')
    const states = Object.fromEntries(finalStates.map((s) => [s.key, s.state]))
    expect(Object.keys(states).sort()).toEqual(['(every other key)', '1.csv', '2.csv', '3.csv'])
    expect(states['1.csv']).toMatch(/^put back to version/)
    expect(states['2.csv']).toMatch(/^put back to version/)
    expect(states['3.csv']).toMatch(/^not changed \(the write failed: AccessDenied/)
    for (const key of ['1.csv', '2.csv', '3.csv'])
      expect(await read(s3, bucket, key)).toBe(`bad ${key}`)
    // Two restores and two put-backs were added; nothing was removed.
    expect(added(before, await allVersions(s3, bucket))).toHaveLength(4)
  })
})

describe('concurrent writers (semantic 8)', () => {
  it('detects a write between planning and the restore and keeps it in the history', async () => {
    const { bucket, at } = await corrupted(['race.csv'])
    const s = settings({ bucket, keys: 'race.csv', 'to-time': at })
    // Another writer gets in after planning, right before the copy reaches the store.
    let theirs = ''
    const proxy = await startFaultProxy(endpoint(), {
      beforeForward: async (req) => {
        if (isCopyOf(req, 'race.csv') && theirs === '') {
          theirs = await put(s3, bucket, 'race.csv', 'written by someone else')
        }
      },
    })
    const racing = proxiedClient(proxy.url)
    const error = await rollback(racing, s, silentLogger).catch((e: unknown) => e)
    racing.destroy()
    await proxy.close()
    expect(error).toBeInstanceOf(RestoreError)
    expect((error as RestoreError).cause).toBeInstanceOf(RaceError)
    expect((error as RestoreError).finalStates[0].state).toMatch(/^left as is/)
    const history = await keyHistory(s3, bucket, 'race.csv')
    expect(history.map((e) => e.versionId)).toContain(theirs)
  })
})

describe('a copy made earlier counts as current (semantic 2)', () => {
  it('treats a current copy of the wanted version as unchanged and writes nothing', async () => {
    const bucket = await newBucket(s3)
    const v1 = await put(s3, bucket, 'same.csv', 'same')
    const at = await modifiedAt(s3, bucket, 'same.csv', v1)
    await sleep(20)
    await s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'same.csv',
        CopySource: `${bucket}/same.csv?versionId=${v1}`,
      }),
    )
    const before = await allVersions(s3, bucket)
    const manifest = await rollback(
      s3,
      settings({ bucket, keys: 'same.csv', 'to-time': at }),
      silentLogger,
    )
    expect(manifest.keys[0]).toMatchObject({ action: 'unchanged', restoredVersionId: v1 })
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })
})
