import { describe, expect, it } from '@jest/globals'
import { ownCopies, sameMd5, sameWrite } from '../src/engine/copy.js'
import type { VersionEntry } from '../src/s3/listing.js'
import type { ObjectFacts } from '../src/s3/objects.js'
import { differentMd5 } from '../src/engine/plan.js'

const MD5_A = '0cc175b9c0f1b6a831c399e269772661'
const MD5_B = '92eb5ffee6ae2fec3ad71c777531578f'

const entry = (versionId: string, extra: Partial<VersionEntry> = {}): VersionEntry => ({
  key: 'k',
  versionId,
  isDeleteMarker: false,
  isLatest: false,
  lastModified: new Date(0),
  size: 1,
  eTag: `"${MD5_A}"`,
  ...extra,
})
const marker = (versionId: string): VersionEntry =>
  entry(versionId, { isDeleteMarker: true, size: undefined, eTag: undefined })
const facts = (extra: Partial<ObjectFacts> = {}): ObjectFacts => ({
  size: 1,
  eTag: `"${MD5_A}"`,
  metadata: {},
  ...extra,
})

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

describe('requests the listing or the copy answer already', () => {
  it.each<[string, VersionEntry, ObjectFacts, boolean]>([
    ['plain MD5s that differ', entry('c', { eTag: MD5_B }), facts(), true],
    ['the same MD5', entry('c'), facts(), false],
    ['a multipart ETag', entry('c', { eTag: `"${MD5_B}-3"` }), facts(), false],
    [
      'a KMS source',
      entry('c', { eTag: MD5_B }),
      facts({ serverSideEncryption: 'aws:kms' }),
      false,
    ],
    [
      'an SSE-C source',
      entry('c', { eTag: MD5_B }),
      facts({ sseCustomerAlgorithm: 'AES256' }),
      false,
    ],
  ])('differentMd5: %s', (_, current, wanted, different) => {
    expect(differentMd5(current, wanted)).toBe(different)
  })

  it.each<[string, ObjectFacts, string | undefined, boolean]>([
    ['the copy reports the source MD5', facts(), MD5_A, true],
    ['quoted or not', facts({ eTag: MD5_A }), `"${MD5_A}"`, true],
    ['another ETag', facts(), MD5_B, false],
    ['no ETag in the answer', facts(), undefined, false],
    ['a multipart source', facts({ eTag: `"${MD5_A}-2"` }), `"${MD5_A}-2"`, false],
    ['a KMS source', facts({ serverSideEncryption: 'aws:kms:dsse' }), MD5_A, false],
  ])('sameMd5: %s', (_, source, copyETag, same) => {
    expect(sameMd5(source, copyETag)).toBe(same)
  })
})
