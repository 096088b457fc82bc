import { describe, expect, it } from '@jest/globals'
import { checkWrite, ownCopies, sameWrite } from '../src/engine/write/confirm.js'
import { examine, type Candidate } from '../src/engine/write/putback.js'
import type { Landed } from '../src/engine/write/requests.js'
import type { VersionEntry } from '../src/s3/listing.js'
import { marker as deleteMarker, version } from './helpers/builders.js'

const MD5_A = '0cc175b9c0f1b6a831c399e269772661'
const MD5_B = '92eb5ffee6ae2fec3ad71c777531578f'

/** An entry of the key 'k': one byte, ETag MD5_A, unless `extra` says otherwise. */
const entry = (versionId: string, extra: Partial<VersionEntry> = {}): VersionEntry =>
  version('k', versionId, 0, { size: 1, eTag: `"${MD5_A}"`, ...extra })
const marker = (versionId: string): VersionEntry => deleteMarker('k', versionId, 0)
describe('a retried write that landed more than once', () => {
  it.each<[string, VersionEntry[], number, string | undefined, number]>([
    ['one attempt: only the newest', [entry('n2'), entry('n1'), entry('p')], 1, 'p', 1],
    [
      'two attempts, two copies',
      [entry('n2'), entry('n1'), entry('p', { eTag: MD5_B })],
      2,
      'p',
      2,
    ],
    ['no more than the attempts', [entry('n3'), entry('n2'), entry('n1'), entry('p')], 2, 'p', 2],
    ['stops at the planned entry', [entry('n1'), entry('p')], 5, 'p', 1],
    ['stops at a different write', [entry('n1'), entry('x', { eTag: MD5_B })], 5, undefined, 1],
    ['delete markers', [marker('d2'), marker('d1'), entry('p')], 3, 'p', 2],
    ['empty history', [], 3, undefined, 0],
  ])('%s', (_, entries, attempts, plannedOn, copies) => {
    expect(ownCopies(entries, attempts, plannedOn)).toBe(copies)
  })

  it('same write: both markers, or the same size and ETag', () => {
    expect(sameWrite(marker('a'), marker('b'))).toBe(true)
    expect(sameWrite(marker('a'), entry('b'))).toBe(false)
    expect(sameWrite(entry('a'), entry('b', { eTag: MD5_A }))).toBe(true)
    expect(sameWrite(entry('a'), entry('b', { size: 2 }))).toBe(false)
  })
})

describe('checking a write against the listing', () => {
  const planned = entry('p', { eTag: `"${MD5_B}"`, size: 2 })
  const wanted = entry('w')
  const item = { key: 'k', action: 'restore' as const, current: planned, wanted }
  const landed = (extra: Partial<Landed> = {}): Landed => ({ attempts: 1, ...extra })
  it.each<[string, VersionEntry[], Landed, string]>([
    ['ours on top of the planned entry', [entry('n1'), planned, wanted], landed(), 'n1 proven'],
    [
      'the store named our version',
      [entry('n1'), planned],
      landed({ versionId: 'n1' }),
      'n1 proven',
    ],
    [
      'a retried write that landed twice',
      [entry('n2'), entry('n1'), planned],
      landed({ attempts: 2 }),
      'n2 proven',
    ],
    [
      'another ETag: HeadObject decides',
      [entry('n1', { eTag: '"kms"' }), planned],
      landed(),
      'n1 unproven',
    ],
    [
      'another writer after ours',
      [entry('x', { size: 9 }), entry('n1'), planned],
      landed({ versionId: 'n1' }),
      'RaceError: k: another writer wrote version x after our entry n1',
    ],
    [
      'another writer before ours',
      [entry('n1'), entry('x', { size: 9 }), planned],
      landed(),
      'RaceError: k: another writer changed the key between planning',
    ],
    [
      'a lost completion that did not land',
      [planned],
      landed({ uncertain: true }),
      'Error: k: the write did not land',
    ],
  ])('%s', (_, entries, l, expected) => {
    let got: string
    try {
      const r = checkWrite(entries, { item, landed: l })
      got = `${r.newVersionId} ${r.proven ? 'proven' : 'unproven'}`
    } catch (e) {
      got = `${(e as Error).name}: ${(e as Error).message}`
    }
    expect(got.slice(0, expected.length)).toBe(expected)
  })
})

describe('what a put-back finds for each write that may have landed', () => {
  const before = entry('p', { eTag: `"${MD5_B}"`, size: 2 })
  const wanted = entry('w')
  const item = { key: 'k', action: 'restore' as const, current: before, wanted }
  const found = (entries: VersionEntry[], c: Partial<Candidate>): string => {
    const r = examine(entries, { item, attempts: 1, ...c })
    return 'ours' in r ? `put back ${r.ours.versionId}` : r.state
  }
  it('a confirmed write that is current is put back', () => {
    expect(found([entry('n1'), before], { newVersionId: 'n1' })).toBe('put back n1')
  })
  it('a failed write whose reply was lost but which landed is put back', () => {
    expect(found([entry('n1'), before], { error: new Error('ECONNRESET'), unsure: true })).toBe(
      'put back n1',
    )
  })
  it('two failed writes that both landed are both found (each key on its own)', () => {
    const other = { ...item, key: 'k2' }
    const r = examine([entry('m1', { key: 'k2' }), before], {
      item: other,
      attempts: 8,
      error: new Error('reset'),
      unsure: true,
    })
    expect('ours' in r).toBe(true)
    expect(found([entry('n1'), entry('n0'), before], { attempts: 8, unsure: true })).toBe(
      'put back n1',
    )
  })
  it('a failed write that did not land is reported unchanged', () => {
    expect(found([before], { error: new Error('SlowDown'), unsure: true })).toMatch(
      /^not changed \(the write failed: SlowDown/,
    )
  })
  it("another writer's entry on top is left as is", () => {
    expect(found([entry('x', { size: 9 }), entry('n1'), before], { newVersionId: 'n1' })).toMatch(
      /^left as is: changed by another writer after this run \(now version x\)/,
    )
  })
})
