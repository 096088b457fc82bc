import { describe, expect, it } from '@jest/globals'
import { checkCopy } from '../src/engine/write/confirm.js'
import { partRanges, sourceLayout } from '../src/engine/write/parts.js'
import { copySource } from '../src/engine/write/requests.js'
import type { ObjectFacts } from '../src/s3/objects.js'

describe('copySource encodes the key segment by segment', () => {
  it.each([
    ['plain/key.csv', 'b/plain/key.csv?versionId=v1'],
    ['with space+plus?q#h%.csv', 'b/with%20space%2Bplus%3Fq%23h%25.csv?versionId=v1'],
    ['données/ünï code.zip', 'b/donn%C3%A9es/%C3%BCn%C3%AF%20code.zip?versionId=v1'],
  ])('%s', (key, expected) => expect(copySource('b', key, 'v1')).toBe(expected))

  it('encodes the version ID', () => {
    expect(copySource('b', 'k', 'a+b/c')).toBe('b/k?versionId=a%2Bb%2Fc')
  })
})

describe('partRanges', () => {
  const MiB = 1024 * 1024
  it('covers the object with contiguous ranges', () => {
    expect(partRanges(12 * MiB, 5 * MiB)).toEqual([
      { start: 0, end: 5 * MiB - 1 },
      { start: 5 * MiB, end: 10 * MiB - 1 },
      { start: 10 * MiB, end: 12 * MiB - 1 },
    ])
  })
  it('raises the part size so 10,000 parts suffice', () => {
    const ranges = partRanges(5 * 1024 ** 4, 5 * MiB) // 5 TiB, the S3 maximum
    expect(ranges.length).toBeLessThanOrEqual(10_000)
    expect(ranges[ranges.length - 1].end).toBe(5 * 1024 ** 4 - 1)
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

describe('sourceLayout: the part boundaries of a source uploaded in parts', () => {
  const MiB = 1024 * 1024
  const sizes = (size: number, parts: number, first?: number): number[] =>
    sourceLayout(size, parts, first).map((r) => r.end - r.start + 1)
  it.each<[string, number, number, number | undefined, number[]]>([
    ['the store says part 1', 11 * MiB, 3, 4 * MiB, [4 * MiB, 4 * MiB, 3 * MiB]],
    ['5 MiB parts (the SDKs, rclone)', 11 * MiB + 7, 3, undefined, [5 * MiB, 5 * MiB, MiB + 7]],
    ['8 MiB parts (aws-cli) when they fit', 20 * MiB, 3, undefined, [8 * MiB, 8 * MiB, 4 * MiB]],
    [
      'a part size the store gave that does not fit is not used',
      11 * MiB,
      3,
      2 * MiB,
      [5 * MiB, 5 * MiB, MiB],
    ],
    ['one part', 3 * MiB, 1, undefined, [3 * MiB]],
  ])('%s', (_label, size, parts, first, expected) => {
    expect(sizes(size, parts, first)).toEqual(expected)
  })
})
