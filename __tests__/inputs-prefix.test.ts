import { describe, expect, it } from '@jest/globals'
import { InputError } from '../src/lib/errors.js'
import { parseSettings } from '../src/settings/index.js'
import { inputReader } from './helpers/builders.js'

const base = {
  bucket: 'justice40-data',
  prefix: 'data-sources/',
  'to-time': '2021-12-13T15:00:00Z',
}

describe('prefix, concurrency and part-concurrency inputs', () => {
  it('reads a prefix run with defaults', () => {
    const s = parseSettings(inputReader(base))
    expect(s).toMatchObject({ prefix: 'data-sources/', keys: [], concurrency: 256 })
    expect(s.copy.partConcurrency).toBe(8)
    expect(s.target).toMatchObject({ kind: 'time' })
  })

  it.each([
    ['data-sources/', 'data-sources/'],
    ['data', 'data'],
    ['  tiles/2021/  ', 'tiles/2021/'],
    ['*', ''],
  ])('prefix %j means %j', (value, prefix) => {
    expect(parseSettings(inputReader({ ...base, prefix: value })).prefix).toBe(prefix)
  })

  it('leaves prefix undefined for a keys run', () => {
    const s = parseSettings(
      inputReader({ bucket: 'b-1', keys: 'a.csv', 'to-time': base['to-time'] }),
    )
    expect(s.prefix).toBeUndefined()
    expect(s.keys).toEqual(['a.csv'])
  })

  it('reads concurrency and part-concurrency', () => {
    const s = parseSettings(inputReader({ ...base, concurrency: '64', 'part-concurrency': '4' }))
    expect(s.concurrency).toBe(64)
    expect(s.copy.partConcurrency).toBe(4)
  })

  it.each([
    ['prefix', { ...base, prefix: '/data-sources/' }, "without a leading '/'"],
    ['prefix', { ...base, prefix: '/' }, "without a leading '/'"],
    ['keys', { ...base, keys: 'a.csv' }, 'give keys or a prefix, not both'],
    ['version-ids', { ...base, 'version-ids': 'a=v1' }, "a prefix goes back to 'to-time'"],
    ['to-time', { bucket: 'b-1', prefix: 'data/' }, "a 'prefix' run goes back to 'to-time'"],
    ['keys', { bucket: 'b-1', 'to-time': base['to-time'] }, 'at least one object key'],
    ['concurrency', { ...base, concurrency: '0' }, 'a whole number from 1 to 256'],
    ['concurrency', { ...base, concurrency: '1000' }, 'a whole number from 1 to 256'],
    ['concurrency', { ...base, concurrency: 'many' }, 'a whole number from 1 to 256'],
    ['part-concurrency', { ...base, 'part-concurrency': '2.5' }, 'a whole number from 1 to 64'],
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
})
