// Run records and what they prove (pure parts), retried copies under SSE-KMS, the guard's
// answers to 404 / 409 / 412-after-a-retry, and the SlowDown line.
import { S3Client, S3ServiceException, ListObjectVersionsCommand } from '@aws-sdk/client-s3'
import { beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { RaceError } from '../src/engine/errors.js'
import { recordedCopy } from '../src/engine/plan/resolve.js'
import { lineOf } from '../src/engine/record/run.js'
import { tapJournal } from '../src/engine/record/tap.js'
import { newRunId } from '../src/engine/record/id.js'
import { checkWrite, ownCopies, sameLanding } from '../src/engine/write/confirm.js'
import { guarded, WriteGuard } from '../src/engine/write/guard.js'
import type { JournalEntry } from '../src/engine/write/apply.js'
import type { RecordedCopies } from '../src/history/runs.js'
import { silentLogger } from '../src/lib/log.js'
import { MemoryStore } from '../src/lib/store.js'
import { byOf, historyRows } from '../src/report/history.js'
import { slowDownLine } from '../src/report/rollback.js'
import type { VersionEntry } from '../src/s3/listing.js'
import type { ObjectFacts } from '../src/s3/objects.js'

const entry = (versionId: string, extra: Partial<VersionEntry> = {}): VersionEntry => ({
  key: 'k',
  versionId,
  isDeleteMarker: false,
  isLatest: false,
  lastModified: new Date(0),
  size: 4,
  eTag: `"${versionId}-etag"`,
  ...extra,
})

/** Copies as records hold them: key → new version → source version (null: delete marker). */
function copies(recorded: Record<string, Record<string, string | null>>): RecordedCopies {
  return {
    sourceOf: (key, versionId) => recorded[key]?.[versionId],
    size: Object.values(recorded).reduce((n, v) => n + Object.keys(v).length, 0),
    runs: 1,
  }
}

describe('a recorded copy of the wanted version is that version', () => {
  const wanted = entry('good')
  it.each<
    [string, Record<string, Record<string, string | null>>, VersionEntry | undefined, boolean]
  >([
    ['recorded as a copy of it', { k: { ours: 'good' } }, entry('ours'), true],
    ['a copy of a recorded copy of it', { k: { c2: 'c1', c1: 'good' } }, entry('c2'), true],
    ['a copy of another version', { k: { ours: 'other' } }, entry('ours'), false],
    ['recorded for another key', { j: { ours: 'good' } }, entry('ours'), false],
    ['not recorded', {}, entry('ours'), false],
    ['a size that differs', { k: { ours: 'good' } }, entry('ours', { size: 5 }), false],
    [
      'a delete marker',
      { k: { ours: null } },
      entry('ours', { isDeleteMarker: true, size: undefined, eTag: undefined }),
      false,
    ],
    ['no current entry', { k: { ours: 'good' } }, undefined, false],
    ['a cycle in forged records ends', { k: { a: 'b', b: 'a' } }, entry('a'), false],
  ])('%s', (_label, recorded, current, same) => {
    expect(recordedCopy(copies(recorded), { key: 'k', current, wanted })).toBe(same)
  })
})

describe('a copy recorded from another key or bucket (a destination run)', () => {
  type Origin = { bucket?: string; key: string; versionId: string }
  const recorded = (origins: Record<string, Origin>, versions: Record<string, string> = {}) => ({
    sourceOf: (key: string, versionId: string) => (key === 'k' ? versions[versionId] : undefined),
    originOf: (key: string, versionId: string) => (key === 'k' ? origins[versionId] : undefined),
    size: 1,
    runs: 1,
  })
  const wanted = { ...entry('good'), key: 'src/k' }
  it.each<[string, ReturnType<typeof recorded>, string | undefined, boolean]>([
    [
      'a copy of that version of that key in that bucket',
      recorded({ ours: { bucket: 'src-b', key: 'src/k', versionId: 'good' } }),
      'src-b',
      true,
    ],
    [
      'the same version ID in another bucket',
      recorded({ ours: { bucket: 'other', key: 'src/k', versionId: 'good' } }),
      'src-b',
      false,
    ],
    [
      'the same version ID of another key',
      recorded({ ours: { bucket: 'src-b', key: 'src/j', versionId: 'good' } }),
      'src-b',
      false,
    ],
    [
      'from the same bucket (a prefix of it)',
      recorded({ ours: { key: 'src/k', versionId: 'good' } }),
      undefined,
      true,
    ],
    [
      'an in-place copy of a recorded destination copy',
      recorded({ c1: { bucket: 'src-b', key: 'src/k', versionId: 'good' } }, { ours: 'c1' }),
      'src-b',
      true,
    ],
    [
      'an in-place copy whose source is of the same ID',
      recorded({}, { ours: 'good' }),
      'src-b',
      false,
    ],
  ])('%s', (_label, copies, from, same) => {
    expect(recordedCopy(copies, { key: 'k', current: entry('ours'), wanted, from })).toBe(same)
  })

  it('an in-place run does not take a copy from elsewhere for its own version', () => {
    const copies = recorded({ ours: { bucket: 'src-b', key: 'k', versionId: 'good' } })
    expect(recordedCopy(copies, { key: 'k', current: entry('ours'), wanted: entry('good') })).toBe(
      false,
    )
  })
})

describe('the record of a run', () => {
  it('a journal entry becomes a line: the new entry and what it is a copy of', () => {
    const current = entry('bad')
    const restore: JournalEntry = {
      item: { key: 'k', action: 'restore', current, wanted: entry('good') },
      newVersionId: 'ours',
    }
    expect(lineOf(restore)).toEqual({
      key: 'k',
      newVersionId: 'ours',
      sourceVersionId: 'good',
      previousVersionId: 'bad',
      size: 4,
    })
    const del: JournalEntry = { item: { key: 'k', action: 'delete', current }, newVersionId: 'dm' }
    expect(lineOf(del)).toEqual({
      key: 'k',
      newVersionId: 'dm',
      sourceVersionId: null,
      previousVersionId: 'bad',
    })
  })

  it('the tapped journal is the journal, and shows each entry once it is written', async () => {
    const journal = new MemoryStore<JournalEntry>()
    const seen: string[] = []
    const tapped = tapJournal(journal, async (e) => void seen.push(e.newVersionId))
    await tapped.write({ item: { key: 'k', action: 'delete' }, newVersionId: 'v1' })
    expect(seen).toEqual(['v1'])
    expect(tapped.count).toBe(1)
    expect(journal.values).toHaveLength(1)
  })

  it('IDs sort by the start of the run', () => {
    expect(newRunId(new Date('2026-12-04T18:40:03.563Z'))).toMatch(/^20261204T184003Z-[0-9a-f]{6}$/)
  })

  it('history rows: who, the target, the scope, the outcome and the keys written', () => {
    const header = {
      format: 's3-rollback-run',
      version: 1,
      id: 'x',
      bucket: 'b',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
      by: { actor: 'octocat', runUrl: 'https://github.com/o/r/actions/runs/1' },
      target: { toTime: '2025-12-31T00:00:00.000Z' },
      scope: { prefix: '' },
      outcome: 'put back' as const,
      written: 3,
    }
    expect(historyRows([header])).toEqual([
      [
        '2026-01-01T00:00:00.000Z',
        'octocat (https://github.com/o/r/actions/runs/1)',
        '2025-12-31T00:00:00.000Z',
        '(whole bucket)',
        'put back',
        '3',
      ],
    ])
    expect(byOf({ user: 'alice' })).toBe('alice')
    const staged = { ...header, scope: { prefix: 'stage/' }, source: { bucket: 'b', prefix: 't/' } }
    expect(historyRows([staged])[0][3]).toBe('stage/, from s3://b/t/')
  })

  it('a destination run records where each copy came from', () => {
    const item = {
      key: 'stage/k',
      action: 'restore' as const,
      wanted: { ...entry('good'), key: 't/k' },
      from: 'src-b',
    }
    expect(lineOf({ item, newVersionId: 'ours' })).toEqual({
      key: 'stage/k',
      newVersionId: 'ours',
      sourceVersionId: 'good',
      previousVersionId: null,
      size: 4,
      from: { bucket: 'src-b', key: 't/k' },
    })
    const samePrefix = { ...item, from: undefined }
    expect(lineOf({ item: samePrefix, newVersionId: 'ours' }).from).toEqual({ key: 't/k' })
  })
})

describe('a retried copy under SSE-KMS: each landing has its own ETag', () => {
  const planned = entry('p', { size: 3 })
  const wanted = entry('w')
  const item = { key: 'k', action: 'restore' as const, current: planned, wanted }
  const entries = [entry('n2'), entry('n1'), planned, wanted]

  it('the listing alone takes the earlier landing for another writer', () => {
    expect(ownCopies(entries, 2, 'p')).toBe(1)
    expect(() => checkWrite(entries, { item, landed: { attempts: 2, versionId: 'n2' } })).toThrow(
      RaceError,
    )
  })

  it('an entry HeadObject showed to be an earlier attempt is ours, within the attempts', () => {
    const earlier = new Set(['n1'])
    expect(ownCopies(entries, 2, 'p', earlier)).toBe(2)
    expect(ownCopies(entries, 1, 'p', earlier)).toBe(1)
    expect(
      checkWrite(entries, { item, landed: { attempts: 2, versionId: 'n2' } }, earlier),
    ).toEqual({ newVersionId: 'n2', proven: false })
  })

  it('two landings of one copy: the same object, bytes not found different', () => {
    const kms = (extra: Partial<ObjectFacts> = {}): ObjectFacts => ({
      size: 4,
      eTag: '"opaque-1"',
      contentType: 'text/csv',
      metadata: { a: '1' },
      serverSideEncryption: 'aws:kms',
      kmsKeyId: 'key-1',
      ...extra,
    })
    expect(sameLanding(kms(), kms({ eTag: '"opaque-2"' }))).toBe(true)
    expect(sameLanding(kms(), kms({ size: 5 }))).toBe(false)
    expect(sameLanding(kms(), kms({ kmsKeyId: 'key-2' }))).toBe(false)
    expect(sameLanding(kms(), kms({ contentType: 'text/plain' }))).toBe(false)
    expect(sameLanding(kms(), kms({ metadata: {} }))).toBe(false)
  })
})

describe('the guard on stores that honour conditions', () => {
  const s3mock = mockClient(S3Client)
  const s3 = new S3Client({ region: 'us-east-1' })
  const expected = entry('p')
  const target = { bucket: 'b', key: 'k', expected }
  const failure = (status: number, name: string, attempts = 1): S3ServiceException =>
    new S3ServiceException({
      name,
      $fault: 'client',
      $metadata: { httpStatusCode: status, attempts },
      message: name,
    })
  const now = (versionId: string, isDeleteMarker = false): void => {
    s3mock.on(ListObjectVersionsCommand).resolves({
      [isDeleteMarker ? 'DeleteMarkers' : 'Versions']: [
        { Key: 'k', VersionId: versionId, IsLatest: true, LastModified: new Date(), Size: 4 },
      ],
      IsTruncated: false,
    })
  }
  beforeEach(() => void s3mock.reset())

  it('409 ConditionalRequestConflict: sent again, with the same condition, until it lands', async () => {
    let calls = 0
    const write = async (): Promise<string> => {
      calls++
      if (calls <= 2) throw failure(409, 'ConditionalRequestConflict')
      return 'landed'
    }
    const guard = new WriteGuard(silentLogger)
    expect(await guarded(s3, target, { guard, pauseMs: 0 }, write)).toBe('landed')
    expect(calls).toBe(3)
    expect(guard.active).toBe(true)
  })

  it('409 without end: the write fails after the retries', async () => {
    const write = async (): Promise<string> => {
      throw failure(409, 'ConditionalRequestConflict')
    }
    await expect(
      guarded(s3, target, { guard: new WriteGuard(silentLogger), pauseMs: 0 }, write),
    ).rejects.toMatchObject({ name: 'ConditionalRequestConflict' })
  })

  it('404 to If-Match on a key now deleted: a race; on a key as planned: the error itself', async () => {
    const write = async (): Promise<string> => {
      throw failure(404, 'NoSuchKey')
    }
    now('dm', true)
    await expect(
      guarded(s3, target, { guard: new WriteGuard(silentLogger) }, write),
    ).rejects.toThrow(/changed by another writer since planning \(now delete marker dm/)
    now('p')
    const guard = new WriteGuard(silentLogger)
    await expect(guarded(s3, target, { guard }, write)).rejects.toMatchObject({ name: 'NoSuchKey' })
    expect(guard.active).toBe(true)
  })

  it('412 after a retry, on a changed key: the listing decides (it may be our own attempt)', async () => {
    now('x')
    const write = async (): Promise<string> => {
      throw failure(412, 'PreconditionFailed', 2)
    }
    const retried = (attempts: number): string => `listing decides after ${attempts}`
    expect(await guarded(s3, target, { guard: new WriteGuard(silentLogger), retried }, write)).toBe(
      'listing decides after 2',
    )
    const once = async (): Promise<string> => {
      throw failure(412, 'PreconditionFailed', 1)
    }
    await expect(
      guarded(s3, target, { guard: new WriteGuard(silentLogger), retried }, once),
    ).rejects.toBeInstanceOf(RaceError)
  })
})

describe('SlowDown', () => {
  it('says how many answers there were and how many were retried', () => {
    expect(slowDownLine({ answers: 15, retried: 15 })).toBe(
      'S3 answered 503 SlowDown 15 time(s) (more requests per second than a prefix takes); ' +
        '15 retried with backoff.',
    )
    expect(slowDownLine({ answers: 9, retried: 8 })).toContain(
      '8 retried with backoff, 1 not (the request failed).',
    )
  })
})
