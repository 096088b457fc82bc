import { describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JsonLinesWriter, readJsonLines, reviveDates, runDirectory } from '../src/lib/jsonl.js'
import { readAll } from './helpers/builders.js'

describe('JSON Lines files', () => {
  it('reads lines split across read chunks, multi-byte characters included, and a last line without a newline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jsonl-test-'))
    try {
      const path = join(dir, 'b.jsonl')
      // ~600 KiB: over two 256 KiB chunks, with 3-byte characters at every offset.
      const values = Array.from({ length: 3000 }, (_, i) => ({
        i,
        key: `日本/${'é€'.repeat(i % 70)}`,
      }))
      const text = values.map((v) => JSON.stringify(v)).join('\n')
      await writeFile(path, `${text}\n\n${JSON.stringify({ i: 3000, key: 'last' })}`)
      const read = await readAll(readJsonLines<{ i: number; key: string }>(path))
      expect(read).toEqual([...values, { i: 3000, key: 'last' }])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('writes values in order across many flushes and reads them back with dates', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jsonl-test-'))
    try {
      const writer = await JsonLinesWriter.create(join(dir, 'a.jsonl'))
      const when = new Date('2021-12-13T15:00:00.123Z')
      await Promise.all(
        Array.from({ length: 5000 }, (_, i) =>
          writer.write({ i, key: `k/${i}`, lastModified: when, pad: 'x'.repeat(40) }),
        ),
      )
      await writer.close()
      await writer.close() // a second close does nothing
      expect(writer.count).toBe(5000)
      const read = await readAll(
        readJsonLines<{ i: number; lastModified: Date }>(
          writer.path,
          reviveDates(['lastModified']),
        ),
      )
      expect(read.map((v) => v.i)).toEqual(Array.from({ length: 5000 }, (_, i) => i))
      expect(read[42].lastModified).toEqual(when)
      expect((await readFile(writer.path, 'utf8')).split('\n')).toHaveLength(5001)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('makes run directories under RUNNER_TEMP when set', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'runner-temp-'))
    const saved = process.env.RUNNER_TEMP
    process.env.RUNNER_TEMP = parent
    try {
      expect(await runDirectory()).toMatch(new RegExp(`^${parent}/s3-rollback-`))
    } finally {
      if (saved === undefined) delete process.env.RUNNER_TEMP
      else process.env.RUNNER_TEMP = saved
      await rm(parent, { recursive: true, force: true })
    }
  })
})
