import { describe, expect, it } from '@jest/globals'
import { parseSide, parseStore } from '../src/settings/snapshot.js'
import { parseSettings } from '../src/settings/index.js'
import { inputReader } from './helpers/builders.js'

describe('snapshot inputs', () => {
  it('parses the store, with the bucket as default', () => {
    expect(parseStore('', 'b1')).toEqual({ bucket: 'b1', prefix: '.s3-rollback/' })
    expect(parseStore('s3://store-bucket/snaps/', 'b1')).toEqual({
      bucket: 'store-bucket',
      prefix: 'snaps/',
    })
    expect(parseStore('s3://store-bucket', 'b1')).toEqual({ bucket: 'store-bucket', prefix: '' })
    expect(() => parseStore('s3://store-bucket/snaps', 'b1')).toThrow(/ending in \//)
    expect(() => parseStore('store-bucket/snaps/', 'b1')).toThrow(/an S3 URI/)
  })

  it('parses the sides of a diff', () => {
    const now = new Date('2026-01-01T00:00:00Z')
    expect(parseSide('from', 'now', now)).toEqual({ kind: 'now' })
    expect(parseSide('from', 'last-good', now)).toEqual({ kind: 'snapshot', ref: 'last-good' })
    expect(parseSide('from', '2021-12-13T15:00:00Z', now)).toMatchObject({ kind: 'time' })
    expect(() => parseSide('from', '2021-12-13', now)).toThrow(/ISO-8601 time with a zone/)
    expect(() => parseSide('to', '2030-01-01T00:00:00Z', now)).toThrow(/a time in the past/)
    expect(() => parseSide('to', 'no spaces allowed', now)).toThrow(/a snapshot name or ID/)
  })

  it.each([
    [{ mode: 'snapshot', keys: 'a' }, /Input 'snapshot' is missing: expected a name/],
    [
      { mode: 'snapshot', keys: 'a', snapshot: 'x y' },
      /Input 'snapshot' has an invalid value "x y"/,
    ],
    [
      { mode: 'snapshot', keys: 'a', snapshot: 'x', 'to-time': '2021-01-01T00:00:00Z' },
      /to be empty in mode 'snapshot'/,
    ],
    [
      { keys: 'a', snapshot: 'x', 'to-time': '2021-01-01T00:00:00Z' },
      /'snapshot' .* to be empty in mode 'restore'/,
    ],
    [{ 'plan-file': 'p', keys: 'a' }, /Input 'keys' .* to be empty when 'plan-file' is set/],
    [
      { 'to-snapshot': 'x', 'to-time': '2021-01-01T00:00:00Z', prefix: 'data/' },
      /Input 'to-time' .* to be empty when 'to-snapshot' is set/,
    ],
    [
      { 'to-snapshot': 'x', prefix: 'data/', keys: 'data/a' },
      /Input 'keys' .* to be empty when 'prefix' is set/,
    ],
    [{ mode: 'verify', 'plan-file': 'p' }, /'plan-file' .* to be empty unless mode is 'restore'/],
  ])('refuses %j', (inputs, message) => {
    const all: Record<string, string> = { bucket: 'b1', ...inputs }
    expect(() => parseSettings(inputReader(all))).toThrow(message)
  })

  it('takes a prefix with to-snapshot: the snapshot narrowed to that folder', () => {
    const settings = parseSettings(inputReader({ bucket: 'b1', 'to-snapshot': 'x', prefix: 'a/' }))
    expect(settings.target).toEqual({ kind: 'snapshot', ref: 'x' })
    expect(settings.prefix).toBe('a/')
  })

  it('records the run context from the runner', () => {
    const env = {
      GITHUB_SHA: 'abc',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_RUN_ID: '7',
    }
    const inputs: Record<string, string> = {
      bucket: 'b1',
      mode: 'snapshot',
      snapshot: 'x',
      keys: 'a',
    }
    const s = parseSettings(inputReader(inputs), { env })
    expect(s.context).toEqual({ commit: 'abc', runUrl: 'https://github.com/o/r/actions/runs/7' })
    expect(s.snapshot).toBe('x')
  })
})
