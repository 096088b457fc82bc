import { describe, expect, it } from '@jest/globals'
import { InputError } from '../src/lib/errors.js'
import { parseSettings } from '../src/settings/index.js'
import { inputReader } from './helpers/builders.js'

const base = {
  bucket: 'justice40-data',
  keys: 'data-sources/census.zip\nusa.csv',
  'to-time': '2021-12-13T15:00:00Z',
}

describe('parseSettings', () => {
  it('reads a time target with defaults', () => {
    const s = parseSettings(inputReader(base))
    expect(s.keys).toEqual(['data-sources/census.zip', 'usa.csv'])
    expect(s.target).toMatchObject({ kind: 'time', at: new Date('2021-12-13T15:00:00Z') })
    expect(s).toMatchObject({
      ifMissing: 'fail',
      dryRun: false,
      copy: { multipartThreshold: 5 * 1024 ** 3 },
    })
  })

  it('reads version IDs, with null and empty versions and keys containing =', () => {
    const s = parseSettings(
      inputReader({ bucket: 'b-1', 'version-ids': 'a=v1\nb=null\nc=\nx=y.csv=v2' }),
    )
    expect(s.keys).toEqual(['a', 'b', 'c', 'x=y.csv'])
    expect(s.target).toEqual({
      kind: 'versions',
      versions: new Map([
        ['a', 'v1'],
        ['b', 'null'],
        ['c', null],
        ['x=y.csv', 'v2'],
      ]),
    })
  })

  it.each([
    ['bucket', { ...base, bucket: '' }, "Input 'bucket' is missing: expected a bucket name"],
    ['bucket', { ...base, bucket: 's3://x' }, 'a bucket name'],
    ['to-time', { ...base, 'to-time': '2021-12-13T15:00:00' }, 'with a zone'],
    ['to-time', { ...base, 'to-time': '2021-12-13' }, 'with a zone'],
    ['to-time', { ...base, 'to-time': '2021-02-30T15:00:00Z' }, 'with a zone'],
    ['to-time', { ...base, 'to-time': 'yesterday' }, 'ISO-8601'],
    ['version-ids', { ...base, 'version-ids': 'a=v1' }, 'exactly one target'],
    ['to-time', { bucket: 'b-1', keys: 'a' }, 'a target'],
    ['version-ids', { bucket: 'b-1', 'version-ids': 'no-equals-sign' }, 'key=versionId'],
    ['version-ids', { bucket: 'b-1', 'version-ids': 'a=1\na=2' }, 'each key once'],
    ['keys', { bucket: 'b-1', keys: 'a\nb', 'version-ids': 'a=1' }, 'the same keys'],
    ['keys', { ...base, keys: 'a\na' }, 'each object key once'],
    ['keys', { ...base, keys: '  \n' }, 'at least one object key'],
    ['if-missing', { ...base, 'if-missing': 'ignore' }, 'one of fail, delete, skip'],
    ['dry-run', { ...base, 'dry-run': 'yes' }, 'true or false'],
    ['endpoint-url', { ...base, 'endpoint-url': '127.0.0.1:7480' }, 'http(s) URL'],
    ['expected-bucket-owner', { ...base, 'expected-bucket-owner': '123' }, '12-digit'],
    ['multipart-threshold', { ...base, 'multipart-threshold': '6GiB' }, 'a size'],
    ['part-size', { ...base, 'part-size': '1MiB' }, 'a size'],
    ['part-size', { ...base, 'part-size': '10 parsecs' }, 'a size'],
  ])('rejects a bad %s, naming it', (input, inputs, message) => {
    let error: unknown
    try {
      parseSettings(inputReader(inputs))
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe(input)
    expect((error as Error).message).toContain(message)
  })

  it('accepts sizes with units and zones with offsets', () => {
    const s = parseSettings(
      inputReader({
        ...base,
        'to-time': '2021-12-13T10:00:00.5-0500',
        'multipart-threshold': '64MiB',
        'part-size': '6MB',
      }),
    )
    expect(s.target).toMatchObject({ at: new Date('2021-12-13T15:00:00.500Z') })
    expect(s.copy).toMatchObject({ multipartThreshold: 64 * 1024 * 1024, partSize: 6e6 })
  })
})
