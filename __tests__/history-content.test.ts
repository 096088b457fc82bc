import { describe, expect, it } from '@jest/globals'
import { sameBytes, type ContentFacts } from '../src/history/content.js'

const MD5_A = '"0cc175b9c0f1b6a831c399e269772661"'
const MD5_B = '"92eb5ffee6ae2fec3ad71c777531578f"'
/** A single-part version of 10 bytes whose ETag is MD5_A. */
const facts = (extra: Partial<ContentFacts> = {}): ContentFacts => ({
  size: 10,
  eTag: MD5_A,
  ...extra,
})
const crc32 = (value: string, type?: string): ContentFacts['checksum'] => ({
  algorithm: 'CRC32',
  value,
  type,
})

describe('sameBytes: the one content rule', () => {
  it.each<[string, ContentFacts, ContentFacts, 'listing' | 'head', boolean | undefined, string]>([
    // 1. sizes
    ['sizes differ', facts(), facts({ size: 9 }), 'head', false, 'size 9 differs from 10'],
    ['sizes differ (listing)', facts(), facts({ size: 9 }), 'listing', false, 'size 9 differs'],
    ['an unknown size does not differ', facts(), facts({ size: undefined }), 'head', true, 'ETag'],
    // 2. full-object checksums
    [
      'checksums equal, ETags not',
      facts({ checksum: crc32('AAA=', 'FULL_OBJECT') }),
      facts({ eTag: '"x-2"', checksum: crc32('AAA=', 'FULL_OBJECT') }),
      'head',
      true,
      'size and CRC32 checksum',
    ],
    [
      'checksums different, ETags equal',
      facts({ checksum: crc32('AAA=') }),
      facts({ checksum: crc32('BBB=') }),
      'head',
      false,
      'CRC32 checksum BBB= differs from AAA=',
    ],
    [
      'COMPOSITE checksums are ignored (the ETags decide)',
      facts({ checksum: crc32('AAA=', 'COMPOSITE') }),
      facts({ checksum: crc32('BBB=', 'COMPOSITE') }),
      'head',
      true,
      'size and ETag',
    ],
    [
      'one COMPOSITE checksum is ignored too',
      facts({ eTag: '"abc-2"', checksum: crc32('AAA=', 'FULL_OBJECT') }),
      facts({ eTag: '"def-2"', checksum: crc32('AAA=', 'COMPOSITE') }),
      'head',
      undefined,
      'not both the content',
    ],
    [
      'checksums of different algorithms are ignored',
      facts({ checksum: crc32('AAA=') }),
      facts({ eTag: MD5_B, checksum: { algorithm: 'SHA256', value: 'AAA=' } }),
      'head',
      false,
      `ETag ${MD5_B} differs`,
    ],
    [
      'a checksum on one side only is ignored',
      facts({ checksum: crc32('AAA=') }),
      facts(),
      'head',
      true,
      'size and ETag',
    ],
    // 3. equal ETags
    ['equal ETags', facts(), facts(), 'head', true, 'size and ETag'],
    [
      'equal ETags, quoted and unquoted',
      facts(),
      facts({ eTag: MD5_A.replace(/"/g, '') }),
      'head',
      true,
      'size and ETag',
    ],
    ['equal ETags from a listing', facts(), facts(), 'listing', true, 'size and ETag'],
    [
      'equal multipart ETags',
      facts({ eTag: '"abc-3"' }),
      facts({ eTag: 'abc-3' }),
      'listing',
      true,
      'size and ETag',
    ],
    // 4. different ETags that are both MD5s
    [
      'different MD5 ETags from heads',
      facts(),
      facts({ eTag: MD5_B }),
      'head',
      false,
      `ETag ${MD5_B} differs from ${MD5_A}`,
    ],
    [
      'different MD5 ETags from heads, SSE-S3 (AES256)',
      facts({ serverSideEncryption: 'AES256' }),
      facts({ eTag: MD5_B, serverSideEncryption: 'AES256' }),
      'head',
      false,
      'differs',
    ],
    // 5. unproven
    [
      'different ETags from a listing (they may be KMS ones)',
      facts(),
      facts({ eTag: MD5_B }),
      'listing',
      undefined,
      'not both the content',
    ],
    [
      'a multipart ETag',
      facts(),
      facts({ eTag: '"abc-2"' }),
      'head',
      undefined,
      'not both the content',
    ],
    [
      'KMS (aws:kms)',
      facts({ serverSideEncryption: 'aws:kms' }),
      facts({ eTag: MD5_B, serverSideEncryption: 'aws:kms' }),
      'head',
      undefined,
      'not both the content',
    ],
    [
      'KMS on one side only (aws:kms:dsse)',
      facts(),
      facts({ eTag: MD5_B, serverSideEncryption: 'aws:kms:dsse' }),
      'head',
      undefined,
      'not both the content',
    ],
    [
      'SSE-C',
      facts({ sseCustomerAlgorithm: 'AES256' }),
      facts({ eTag: MD5_B, sseCustomerAlgorithm: 'AES256' }),
      'head',
      undefined,
      'not both the content',
    ],
    ['a missing ETag', facts(), facts({ eTag: undefined }), 'head', undefined, 'ETag is missing'],
    ['an empty ETag', facts({ eTag: '""' }), facts(), 'listing', undefined, 'ETag is missing'],
  ])('%s', (_label, a, b, from, same, how) => {
    const verdict = sameBytes(a, b, from)
    expect(verdict.same).toBe(same)
    expect(verdict.how).toContain(how)
  })

  it('is symmetric in its verdict', () => {
    const pairs: Array<[ContentFacts, ContentFacts]> = [
      [facts(), facts({ eTag: MD5_B })],
      [facts(), facts({ size: 3 })],
      [facts({ serverSideEncryption: 'aws:kms' }), facts({ eTag: MD5_B })],
      [facts({ checksum: crc32('A') }), facts({ checksum: crc32('B') })],
    ]
    for (const [a, b] of pairs) {
      for (const from of ['listing', 'head'] as const) {
        expect(sameBytes(a, b, from).same).toBe(sameBytes(b, a, from).same)
      }
    }
  })
})
