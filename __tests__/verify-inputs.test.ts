import { describe, expect, it } from '@jest/globals'
import { DAY_MS, HOUR_MS, MINUTE_MS, formatDays, parseDuration } from '../src/settings/duration.js'
import { InputError } from '../src/lib/errors.js'
import { parseSettings } from '../src/settings/index.js'
import { inputReader } from './helpers/builders.js'

const NOW = new Date('2024-06-01T12:00:00Z')
const base = { bucket: 'justice40-data', keys: 'data-sources/census.zip', mode: 'verify' }

describe('parseDuration', () => {
  it.each([
    ['7d', 7 * DAY_MS],
    ['36h', 36 * HOUR_MS],
    ['90m', 90 * MINUTE_MS],
    ['2w', 14 * DAY_MS],
    ['1d12h', 36 * HOUR_MS],
    ['1w2d3h4m', 9 * DAY_MS + 3 * HOUR_MS + 4 * MINUTE_MS],
    ['7D', 7 * DAY_MS],
  ])('%s', (text, ms) => {
    expect(parseDuration('min-window', text)).toBe(ms)
  })

  it.each(['', '7', 'd', '0d', '0h0m', '7 d', '-7d', '1.5d', '12h1d', 'P7D', '40000w'])(
    'rejects %j naming the input',
    (text) => {
      expect(() => parseDuration('min-window', text)).toThrow(
        text === ''
          ? "Input 'min-window' is missing: expected a duration such as 7d"
          : `Input 'min-window' has an invalid value ${JSON.stringify(text)}: expected a duration such as 7d`,
      )
    },
  )

  it('formats days', () => {
    expect([formatDays(null), formatDays(0), formatDays(30), formatDays(1.5)]).toEqual([
      'unlimited',
      '0d',
      '30d',
      '1.5d',
    ])
  })
})

describe('parseSettings in verify mode', () => {
  it('defaults: restore mode, no verify settings', () => {
    const s = parseSettings(inputReader({ ...base, mode: '', 'to-time': '2021-12-13T15:00:00Z' }))
    expect(s.mode).toBe('restore')
    expect(s.verify).toBeUndefined()
  })

  it('without a target, aims at the start of the window (now − min-window)', () => {
    const s = parseSettings(inputReader({ ...base, 'min-window': '36h' }), { now: NOW })
    expect(s.mode).toBe('verify')
    expect(s.target).toEqual({
      kind: 'time',
      at: new Date('2024-05-31T00:00:00Z'),
      text: '2024-05-31T00:00:00.000Z',
    })
    expect(s.verify).toMatchObject({
      minWindow: '36h',
      minWindowMs: 36 * HOUR_MS,
      atWindowStart: true,
      drill: false,
    })
    expect(s.verify?.drillPrefix).toMatch(/^\.s3-rollback-drill\/20240601T120000Z-[0-9a-f]{6}\/$/)
  })

  it('takes to-time or version-ids as the target; min-window defaults to 7d', () => {
    const t = parseSettings(inputReader({ ...base, 'to-time': '2021-12-13T15:00:00Z' }), {
      now: NOW,
    })
    expect(t.target).toMatchObject({ kind: 'time', at: new Date('2021-12-13T15:00:00Z') })
    expect(t.verify).toMatchObject({ atWindowStart: false, minWindowMs: 7 * DAY_MS })
    const v = parseSettings(inputReader({ bucket: 'b-1', mode: 'verify', 'version-ids': 'a=v1' }), {
      now: NOW,
    })
    expect(v.target).toEqual({ kind: 'versions', versions: new Map([['a', 'v1']]) })
    expect(v.verify?.atWindowStart).toBe(false)
  })

  it('reads a drill with its prefix', () => {
    const s = parseSettings(
      inputReader({ ...base, drill: 'true', 'drill-prefix': 'scratch/drill/' }),
      {
        now: NOW,
      },
    )
    expect(s.verify).toMatchObject({ drill: true, drillPrefix: 'scratch/drill/' })
  })

  it.each([
    ['mode', { ...base, mode: 'check' }, 'one of restore, verify'],
    ['min-window', { ...base, 'min-window': 'a week' }, 'a duration such as 7d'],
    ['drill', { ...base, drill: 'yes' }, 'true or false'],
    ['drill', { ...base, drill: 'true', 'dry-run': 'true' }, "false when 'dry-run' is true"],
    [
      'drill',
      { ...base, mode: 'restore', drill: 'true', 'to-time': '2021-12-13T15:00:00Z' },
      "false unless mode is 'verify'",
    ],
    ['drill-prefix', { ...base, 'drill-prefix': 'scratch' }, 'a key prefix ending in /'],
    ['drill-prefix', { ...base, 'drill-prefix': '/scratch/' }, 'a key prefix ending in /'],
    ['drill-prefix', { ...base, 'drill-prefix': '/' }, 'a key prefix ending in /'],
    ['keys', { bucket: 'b-1', mode: 'verify' }, 'at least one object key'],
    ['to-time', { ...base, 'to-time': 'yesterday' }, 'ISO-8601'],
  ])('rejects a bad %s', (input, inputs, expected) => {
    let error: unknown
    try {
      parseSettings(inputReader(inputs), { now: NOW })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe(input)
    expect((error as InputError).message).toContain(expected)
  })
})
