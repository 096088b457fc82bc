import { describe, expect, it } from '@jest/globals'
import { parseSettings } from '../src/settings/index.js'
import { checkDestination, keyMap } from '../src/settings/destination.js'
import { inputReader } from './helpers/builders.js'

const base = { bucket: 'data-1', 'to-time': '2021-12-13T15:00:00Z' }

describe('the destination input', () => {
  it('parses an S3 URI of a bucket and a folder, and keeps run records there', () => {
    const s = parseSettings(
      inputReader({ ...base, prefix: 'tiles/', destination: 's3://stage-1/t/' }),
    )
    expect(s.destination).toEqual({ bucket: 'stage-1', prefix: 't/' })
    expect(s.recordStore).toEqual({ bucket: 'stage-1', prefix: '.s3-rollback/' })
    expect(s.snapshotStore).toEqual({ bucket: 'data-1', prefix: '.s3-rollback/' })
    const top = parseSettings(inputReader({ ...base, keys: 'a', destination: 's3://stage-1' }))
    expect(top.destination).toEqual({ bucket: 'stage-1', prefix: '' })
  })

  it('keeps run records in a snapshot store that was given', () => {
    const s = parseSettings(
      inputReader({
        ...base,
        keys: 'a',
        destination: 's3://stage-1/t/',
        'snapshot-store': 's3://ops-1/rollback/',
      }),
    )
    expect(s.recordStore).toBeUndefined()
    expect(s.snapshotStore).toEqual({ bucket: 'ops-1', prefix: 'rollback/' })
  })

  it('is absent in place: no destination, no record store of its own', () => {
    const s = parseSettings(inputReader({ ...base, keys: 'a' }))
    expect(s.destination).toBeUndefined()
    expect(s.recordStore).toBeUndefined()
  })

  it.each([
    [
      { destination: 'stage-1/t/' },
      /Input 'destination' has an invalid value "stage-1\/t\/": expected an S3 URI/,
    ],
    [{ destination: 's3://stage-1/t' }, /a prefix ending in \//],
    [{ destination: 's3://stage-1//t/' }, /an S3 URI/],
    [{ destination: 's3://a/' }, /an S3 URI/],
    [
      { destination: 's3://stage-1/t/', mode: 'snapshot', snapshot: 'x', 'to-time': '' },
      /Input 'destination' .* to be empty in mode 'snapshot'/,
    ],
    [
      { destination: 's3://data-1/tiles/old/', prefix: 'tiles/' },
      /it is inside the source s3:\/\/data-1\/tiles\//,
    ],
    [
      { destination: 's3://data-1/', prefix: 'tiles/' },
      /the source s3:\/\/data-1\/tiles\/ is inside it/,
    ],
    [{ destination: 's3://data-1/', prefix: '*' }, /inside the source s3:\/\/data-1\//],
    [{ destination: 's3://data-1/stage/', keys: 'stage/a\nb' }, /the key stage\/a is inside it/],
  ])('refuses %j', (inputs, message) => {
    expect(() => parseSettings(inputReader({ ...base, keys: '', ...inputs }))).toThrow(message)
  })

  it('takes another prefix of the same bucket, beside the source', () => {
    const s = parseSettings(
      inputReader({ ...base, prefix: 'tiles/', destination: 's3://data-1/staging/tiles/' }),
    )
    expect(s.destination).toEqual({ bucket: 'data-1', prefix: 'staging/tiles/' })
  })
})

describe('keyMap', () => {
  it('is the identity in place', () => {
    const map = keyMap('b', 'p/', undefined)
    expect([map.bucket, map.to('p/x'), map.from('p/x'), map.inPlace]).toEqual([
      'b',
      'p/x',
      'p/x',
      true,
    ])
  })

  it('maps P…rest to D…rest under a prefix, and listed keys to D + key', () => {
    const prefix = keyMap('b', 'tiles/', { bucket: 's', prefix: 'stage/' })
    expect(prefix.bucket).toBe('s')
    expect(prefix.to('tiles/6/1/2.pbf')).toBe('stage/6/1/2.pbf')
    expect(prefix.from('stage/6/1/2.pbf')).toBe('tiles/6/1/2.pbf')
    const keys = keyMap('b', undefined, { bucket: 's', prefix: 'check/' })
    expect(keys.to('data/census.zip')).toBe('check/data/census.zip')
    expect(keys.from('check/data/census.zip')).toBe('data/census.zip')
  })

  it("keeps S3's key order (UTF-8 bytes), so two listings merge", () => {
    const map = keyMap('b', 'p/', { bucket: 's', prefix: 'zz/' })
    const keys = ['p/A', 'p/a', 'p/é', 'p/z', 'p/\u{1F600}']
    const order = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))
    expect(keys.map(map.to).sort(order).map(map.from)).toEqual([...keys].sort(order))
  })
})

describe('checkDestination', () => {
  it('lets another bucket take any prefix, the top included', () => {
    expect(() =>
      checkDestination({ bucket: 'b', prefix: '', keys: [] }, { bucket: 'c', prefix: '' }),
    ).not.toThrow()
  })

  it('refuses a destination that is the source itself', () => {
    expect(() =>
      checkDestination({ bucket: 'b', prefix: 'p/', keys: [] }, { bucket: 'b', prefix: 'p/' }),
    ).toThrow(/inside the source/)
  })
})
