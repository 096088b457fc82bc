import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { SealedWriter, openSealed } from '../src/lib/sealed.js'
import { readAll } from './helpers/builders.js'

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
