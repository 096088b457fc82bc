import { CopyObjectCommand, DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFile } from 'node:fs/promises'
import { PlanError, RestoreError } from '../src/engine/errors.js'
import { silentLogger } from '../src/lib/log.js'
import { INLINE_KEYS } from '../src/engine/plan/manifest.js'
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
import { isDeleteOf, startFaultProxy } from './helpers/faultproxy.js'

let s3: S3Client
beforeAll(() => {
  s3 = client()
})
afterAll(() => s3?.destroy())

const del = (bucket: string, key: string): Promise<unknown> =>
  s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))

/**
 * data/ at T: a, b, c, e (deleted before T), f. After T: a changed, c deleted, d created,
 * f changed and then changed back by a copy of its T version; neighbours outside data/ changed.
 */
async function folder(): Promise<{ bucket: string; at: string }> {
  const bucket = await newBucket(s3)
  await put(s3, bucket, 'data/e.csv', 'old e')
  await del(bucket, 'data/e.csv')
  for (const k of ['a', 'b', 'c']) await put(s3, bucket, `data/${k}.csv`, `good ${k}`)
  const f = await put(s3, bucket, 'data/f.csv', 'good f')
  await put(s3, bucket, 'data.csv', 'good neighbour')
  const last = await put(s3, bucket, 'other/x.csv', 'good other')
  const at = await modifiedAt(s3, bucket, 'other/x.csv', last)
  await sleep(20)
  await put(s3, bucket, 'data/a.csv', 'bad a')
  await del(bucket, 'data/c.csv')
  await put(s3, bucket, 'data/d.csv', 'created after T')
  await put(s3, bucket, 'data/f.csv', 'bad f')
  await s3.send(
    new CopyObjectCommand({
      Bucket: bucket,
      Key: 'data/f.csv',
      CopySource: `${bucket}/data/f.csv?versionId=${f}`,
    }),
  )
  await put(s3, bucket, 'data.csv', 'bad neighbour')
  await put(s3, bucket, 'other/x.csv', 'bad other')
  return { bucket, at }
}

describe('prefix restores', () => {
  it('restores changed keys, resurrects deleted ones, deletes later ones, and writes nothing else', async () => {
    const { bucket, at } = await folder()
    const before = await allVersions(s3, bucket)
    const inputs = { bucket, prefix: 'data/', 'to-time': at, 'if-missing': 'delete' }
    const manifest = await rollback(s3, settings(inputs), silentLogger)
    expect(manifest.keys.map((k) => [k.key, k.action])).toEqual([
      ['data/a.csv', 'restored'],
      ['data/b.csv', 'unchanged'],
      ['data/c.csv', 'restored'],
      ['data/d.csv', 'deleted'],
      ['data/e.csv', 'unchanged'],
      ['data/f.csv', 'unchanged'],
    ])
    expect(manifest.summary).toMatchObject({
      prefix: 'data/',
      keys: 6,
      restored: 2,
      deleted: 1,
      unchanged: 3,
      skipped: 0,
      written: 3,
      keysOmitted: false,
    })
    const contents = await Promise.all(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((k) => read(s3, bucket, `data/${k}.csv`)),
    )
    expect(contents).toEqual(['good a', 'good b', 'good c', null, null, 'good f'])
    expect(await read(s3, bucket, 'data.csv')).toBe('bad neighbour')
    expect(await read(s3, bucket, 'other/x.csv')).toBe('bad other')
    const fresh = added(before, await allVersions(s3, bucket))
    expect(fresh.map((e) => [e.key, e.deleteMarker]).sort()).toEqual([
      ['data/a.csv', false],
      ['data/c.csv', false],
      ['data/d.csv', true],
    ])
    const file = (await readFile(manifest.summary?.manifestFile ?? '', 'utf8')).trim().split('\n')
    expect(file).toHaveLength(6)

    // A second run finds everything in place and writes nothing.
    const again = await rollback(s3, settings(inputs), silentLogger)
    expect(again.summary).toMatchObject({ restored: 0, deleted: 0, written: 0, unchanged: 6 })
    expect(added(before, await allVersions(s3, bucket))).toHaveLength(3)
  })

  it('fails before any write when a key was created after T and if-missing is fail', async () => {
    const { bucket, at } = await folder()
    const before = await allVersions(s3, bucket)
    const error = await rollback(
      s3,
      settings({ bucket, prefix: 'data/', 'to-time': at }),
      silentLogger,
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PlanError)
    expect((error as PlanError).problems).toEqual([
      { key: 'data/d.csv', problem: expect.stringMatching(/did not exist yet/) },
    ])
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })

  it('leaves keys created after T alone with if-missing skip, and writes nothing in a dry run', async () => {
    const { bucket, at } = await folder()
    const before = await allVersions(s3, bucket)
    const inputs = { bucket, prefix: 'data/', 'to-time': at, 'if-missing': 'skip' }
    const dry = await rollback(s3, settings({ ...inputs, 'dry-run': 'true' }), silentLogger)
    expect(dry.keys.filter((k) => k.action !== 'unchanged').map((k) => [k.key, k.action])).toEqual([
      ['data/a.csv', 'restored'],
      ['data/c.csv', 'restored'],
      ['data/d.csv', 'skipped'],
    ])
    expect(dry.keys.every((k) => k.newVersionId === null)).toBe(true)
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
    const manifest = await rollback(s3, settings(inputs), silentLogger)
    expect(manifest.summary).toMatchObject({ restored: 2, skipped: 1, written: 2 })
    expect(await read(s3, bucket, 'data/d.csv')).toBe('created after T')
    expect(
      added(before, await allVersions(s3, bucket))
        .map((e) => e.key)
        .sort(),
    ).toEqual(['data/a.csv', 'data/c.csv'])
  })

  it('takes * as the whole bucket and refuses a prefix with no key', async () => {
    const { bucket, at } = await folder()
    const whole = await rollback(
      s3,
      settings({ bucket, prefix: '*', 'to-time': at, 'if-missing': 'delete', 'dry-run': 'true' }),
      silentLogger,
    )
    expect(whole.summary).toMatchObject({ prefix: '', keys: 8, restored: 4, deleted: 1 })
    await expect(
      rollback(s3, settings({ bucket, prefix: 'Data/', 'to-time': at }), silentLogger),
    ).rejects.toThrow(/Data\/: no key has any version under this prefix/)
  })

  it(`lists at most ${INLINE_KEYS} keys in the manifest output and all of them in the file`, async () => {
    const bucket = await newBucket(s3)
    const count = INLINE_KEYS + 5
    const keys = Array.from({ length: count }, (_, i) => `big/${String(i).padStart(5, '0')}`)
    await parallel(keys, 16, (k) => put(s3, bucket, k, `good ${k}`))
    const at = new Date().toISOString()
    await sleep(1100)
    await parallel(keys.slice(0, 10), 16, (k) => put(s3, bucket, k, `bad ${k}`))
    const before = await allVersions(s3, bucket)
    const manifest = await rollback(
      s3,
      settings({ bucket, prefix: 'big/', 'to-time': at, concurrency: '8' }),
      silentLogger,
    )
    expect(manifest.keys).toEqual([])
    expect(manifest.summary).toMatchObject({
      keys: count,
      restored: 10,
      unchanged: count - 10,
      written: 10,
      keysOmitted: true,
    })
    const rows = (await readFile(manifest.summary?.manifestFile ?? '', 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: string; action: string })
    expect(rows).toHaveLength(count)
    expect(
      rows
        .filter((r) => r.action === 'restored')
        .map((r) => r.key)
        .sort(),
    ).toEqual(keys.slice(0, 10))
    expect(added(before, await allVersions(s3, bucket))).toHaveLength(10)
    for (const k of keys.slice(0, 10)) expect(await read(s3, bucket, k)).toBe(`good ${k}`)
  }, 60_000)

  it('puts back every key it changed when a write fails, and says where each key stands', async () => {
    const { bucket, at } = await folder()
    const before = await allVersions(s3, bucket)
    // The proxy refuses the delete marker of data/d.csv (403 AccessDenied), as a lost
    // permission would.
    const proxy = await startFaultProxy(endpoint(), {
      accessDenied: 1,
      only: (req) => isDeleteOf(req, 'data/d.csv'),
    })
    const failing = proxiedClient(proxy.url)
    const error = await rollback(
      failing,
      settings({
        bucket,
        prefix: 'data/',
        'to-time': at,
        'if-missing': 'delete',
        concurrency: '1',
      }),
      silentLogger,
    ).catch((e: unknown) => e)
    failing.destroy()
    await proxy.close()
    expect(error).toBeInstanceOf(RestoreError)
    const { failedKey, finalStates } = error as RestoreError
    expect(failedKey).toBe('data/d.csv')
    const states = Object.fromEntries(finalStates.map((s) => [s.key, s.state]))
    expect(states['data/d.csv']).toMatch(/^not changed \(the write failed: AccessDenied/)
    expect(states['(every other key)']).toBe('not changed')
    // With one key at a time, a and c were written before d failed; both were put back.
    const putBack = finalStates.filter((s) => s.state.startsWith('put back to')).map((s) => s.key)
    expect(putBack.sort()).toEqual(['data/a.csv', 'data/c.csv'])
    expect(await read(s3, bucket, 'data/a.csv')).toBe('bad a')
    expect(await read(s3, bucket, 'data/c.csv')).toBeNull()
    expect(await read(s3, bucket, 'data/d.csv')).toBe('created after T')
    expect(added(before, await allVersions(s3, bucket))).toHaveLength(4)
  })
})

async function parallel<T>(items: T[], limit: number, task: (item: T) => Promise<unknown>) {
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await task(items[next++])
    }),
  )
}
