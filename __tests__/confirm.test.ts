import { describe, expect, it } from '@jest/globals'
import { checkCopy, checkWrite, ownCopies, sameWrite } from '../src/engine/write/confirm.js'
import type { Landed } from '../src/engine/write/requests.js'
import type { VersionEntry } from '../src/s3/listing.js'
import type { ObjectFacts } from '../src/s3/objects.js'
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

describe('checkCopy', () => {
  const base: ObjectFacts = { size: 10, eTag: '"abc"', metadata: {} }
  it.each<[string, ObjectFacts, ObjectFacts, boolean, boolean, string]>([
    ['same size and ETag', base, { ...base, eTag: 'abc' }, false, true, 'size and ETag'],
    ['size differs', base, { ...base, size: 9 }, false, false, 'size 9 differs'],
    ['ETag differs', base, { ...base, eTag: '"x"' }, false, false, 'ETag "x" differs'],
    ['multipart copy: size only', base, { ...base, eTag: '"x-2"' }, true, true, 'size'],
    [
      'multipart source: size only',
      { ...base, eTag: '"abc-3"' },
      { ...base, eTag: '"y"' },
      false,
      true,
      'size',
    ],
    [
      'KMS: ETag is not an MD5',
      { ...base, serverSideEncryption: 'aws:kms' },
      { ...base, eTag: '"z"', serverSideEncryption: 'aws:kms' },
      false,
      true,
      'size',
    ],
    [
      'KMS source, copy with the bucket default encryption',
      { ...base, serverSideEncryption: 'aws:kms', kmsKeyId: 'k1' },
      { ...base, eTag: '"z"', serverSideEncryption: 'AES256' },
      false,
      false,
      "encryption AES256 differs from the source's aws:kms k1",
    ],
    [
      'checksum matches',
      { ...base, checksum: { algorithm: 'CRC32', value: 'AAA=', type: 'FULL_OBJECT' } },
      {
        ...base,
        eTag: '"z-2"',
        checksum: { algorithm: 'CRC32', value: 'AAA=', type: 'FULL_OBJECT' },
      },
      true,
      true,
      'size and CRC32 checksum',
    ],
    [
      'checksum differs',
      { ...base, checksum: { algorithm: 'CRC32', value: 'AAA=' } },
      { ...base, checksum: { algorithm: 'CRC32', value: 'BBB=' } },
      false,
      false,
      'CRC32 checksum BBB= differs',
    ],
  ])('%s', (_label, source, copy, _multipart, ok, detail) => {
    const result = checkCopy(source, copy)
    expect(result.ok).toBe(ok)
    expect(result.detail).toContain(detail)
  })
})
