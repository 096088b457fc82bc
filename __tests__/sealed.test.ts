import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { SealedWriter, openSealed } from '../src/lib/sealed.js'
import { classify, type KeyState } from '../src/snapshot/diff.js'
import { parseSide, parseStore } from '../src/settings/snapshot.js'
import { parseSettings } from '../src/settings/index.js'
import { inputReader, readAll } from './helpers/builders.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 's3-rollback-sealed-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const FORMAT = { format: 'test-format', version: 1, describe: 'the test file' }

async function write(name: string, values: unknown[], gzip = false): Promise<string> {
  const path = join(dir, name)
  const writer = await SealedWriter.create<unknown>(
    path,
    { format: 'test-format', version: 1 },
    { gzip },
  )
  for (const v of values) await writer.write(v)
  await writer.close()
  return path
}

async function readSealed(path: string, gzip = false): Promise<unknown[]> {
  const { values } = await openSealed<{ format: string; version: number }, unknown>(path, {
    ...FORMAT,
    gzip,
  })
  return readAll(values)
}

describe('sealed JSON Lines', () => {
  it.each([false, true])('round-trips (gzip %s), and reports the seal', async (gzip) => {
    const values = [{ key: 'a' }, { key: 'b', n: 2 }, 'text']
    const path = await write(`round-${gzip}`, values, gzip)
    expect(await readSealed(path, gzip)).toEqual(values)
    const text = gzip ? gunzipSync(await readFile(path)).toString() : await readFile(path, 'utf8')
    expect(text.split('\n')[0]).toBe('{"format":"test-format","version":1}')
    expect(JSON.parse(text.trim().split('\n').at(-1) ?? '')).toMatchObject({ end: true, lines: 4 })
  })

  it.each([
    ['truncated', (t: string) => t.split('\n').slice(0, 2).join('\n'), /is truncated/],
    ['a line edited', (t: string) => t.replace('"a"', '"A"'), /was changed after it was written/],
    [
      'a line removed',
      (t: string) =>
        t
          .split('\n')
          .filter((l) => !l.includes('"b"'))
          .join('\n'),
      /was changed/,
    ],
    ['a line after the trailer', (t: string) => `${t}{"x":1}\n`, /has lines after its trailer/],
    [
      'another format',
      (t: string) => t.replace('test-format', 'other'),
      /is not a test-format file/,
    ],
    ['a newer version', (t: string) => t.replace('"version":1', '"version":7'), /format version 7/],
    ['not JSON', (t: string) => t.replace('{"key":"b"}', '{key:b}'), /line 3 is not JSON/],
    ['empty', () => '', /is empty/],
  ])('refuses a file that is %s', async (_name, change, message) => {
    const path = await write('base', [{ key: 'a' }, { key: 'b' }])
    await writeFile(path, change(await readFile(path, 'utf8')))
    await expect(readSealed(path)).rejects.toThrow(message)
  })
})

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
      { 'to-snapshot': 'x', prefix: 'data/' },
      /Input 'prefix' .* to be empty when 'to-snapshot' is set/,
    ],
    [{ mode: 'verify', 'plan-file': 'p' }, /'plan-file' .* to be empty unless mode is 'restore'/],
  ])('refuses %j', (inputs, message) => {
    const all: Record<string, string> = { bucket: 'b1', ...inputs }
    expect(() => parseSettings(inputReader(all))).toThrow(message)
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

describe('diff: what counts as a change', () => {
  const v = (versionId: string, size = 1, eTag = '"e"') => ({ versionId, size, eTag })
  it.each([
    [null, v('1'), 'added'],
    [v('1'), null, 'removed'],
    [v('1'), v('1'), 'unchanged'],
    [v('1'), v('2'), 'unchanged'], // a copy: same size and ETag
    [v('1'), v('2', 2), 'changed'],
    [v('1'), v('2', 1, '"f"'), 'changed'],
  ] as [KeyState | null, KeyState | null, string][])('%j → %j: %s', (before, after, change) => {
    expect(classify(before, after)).toBe(change)
  })
})
