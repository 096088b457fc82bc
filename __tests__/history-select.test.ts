import { describe, expect, it } from '@jest/globals'
import { parseInstant } from '../src/settings/parse.js'
import { currentEntry, entryAt } from '../src/history/select.js'
import { history } from './helpers/builders.js'

describe('entryAt picks the entry current at the target', () => {
  const h = history(
    'usa.csv',
    ['v4', '2021-12-13T15:23:49Z'],
    ['dm', '2021-12-13T15:00:00Z', 'marker'],
    ['v3', '2021-12-13T15:00:00Z'], // same second as the marker: S3 lists the newer first
    ['v2', '2021-11-29T18:57:40Z'],
    ['null', '2021-01-01T00:00:00Z'], // written before versioning was enabled
  )
  it.each([
    ['after everything', '2022-01-01T00:00:00Z', 'v4'],
    ['exactly at the newest', '2021-12-13T15:23:49Z', 'v4'],
    ['one ms before the newest', '2021-12-13T15:23:48.999Z', 'dm'],
    ['same second: first listed wins (the delete marker)', '2021-12-13T15:00:00Z', 'dm'],
    ['between v2 and v3', '2021-12-01T00:00:00Z', 'v2'],
    ['the null version', '2021-06-01T00:00:00Z', 'null'],
    ['zone offset -05:00: 15:30 there is 20:30Z', '2021-12-13T15:30:00-05:00', 'v4'],
    ['zone offset +01:00: 16:00 there is 15:00Z', '2021-12-13T16:00:00+01:00', 'dm'],
  ])('%s (%s → %s)', (_label, at, expected) => {
    expect(entryAt(h, parseInstant('to-time', at))?.versionId).toBe(expected)
  })

  it('returns undefined before the first version', () => {
    expect(entryAt(h, new Date('2020-01-01T00:00:00Z'))).toBeUndefined()
  })

  it('returns undefined for an empty history', () => {
    expect(entryAt([], new Date())).toBeUndefined()
  })

  it('same-second versions keep listing order, not input sorting', () => {
    const tie = history('usa.csv', ['b', '2021-12-13T15:00:00Z'], ['a', '2021-12-13T15:00:00Z'])
    expect(entryAt(tie, new Date('2021-12-13T15:00:00Z'))?.versionId).toBe('b')
  })
})

describe('currentEntry', () => {
  it('is the entry S3 marks latest', () => {
    const h = history('usa.csv', ['v2', '2021-12-13T15:00:00Z'], ['v1', '2021-12-12T15:00:00Z'])
    expect(currentEntry(h)?.versionId).toBe('v2')
    expect(currentEntry([])).toBeUndefined()
  })
})
