import { describe, expect, it } from '@jest/globals'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OutOfOrderError, byteOrder, mergeByKey, ordered } from '../src/lib/order.js'
import { ExternalSort } from '../src/lib/sort.js'
import { readAll } from './helpers/builders.js'

async function* stream<T>(values: T[]): AsyncGenerator<T> {
  yield* values
}
const keyed = (...keys: string[]): Array<{ key: string; v: string }> =>
  keys.map((key) => ({ key, v: key.toUpperCase() }))

/** U+FF61 sorts before U+1F600 by UTF-8 bytes (EF.. < F0..), after it by UTF-16 units (FF61 > D83D). */
const HALFWIDTH = '\uff61'
const EMOJI = '\u{1f600}'

describe('byteOrder', () => {
  it('is the order of the UTF-8 bytes, not of UTF-16 code units', () => {
    expect(HALFWIDTH < EMOJI).toBe(false) // JavaScript's own string order
    expect(byteOrder(HALFWIDTH, EMOJI)).toBeLessThan(0)
    expect([`p/${EMOJI}`, 'p/b', `p/${HALFWIDTH}`, 'p/a'].sort(byteOrder)).toEqual([
      'p/a',
      'p/b',
      `p/${HALFWIDTH}`,
      `p/${EMOJI}`,
    ])
  })
})

describe('mergeByKey', () => {
  it('yields keys only on the left, only on the right and on both, once each, in key order', async () => {
    const merged = await readAll(
      mergeByKey(stream(keyed('a', 'c', 'd', 'f')), stream(keyed('b', 'c', 'e', 'f', 'g'))),
    )
    expect(merged.map((m) => [m.key, m.left?.v ?? '-', m.right?.v ?? '-'])).toEqual([
      ['a', 'A', '-'],
      ['b', '-', 'B'],
      ['c', 'C', 'C'],
      ['d', 'D', '-'],
      ['e', '-', 'E'],
      ['f', 'F', 'F'],
      ['g', '-', 'G'],
    ])
  })

  it('handles an empty side', async () => {
    expect(await readAll(mergeByKey(stream(keyed()), stream(keyed('a', 'b'))))).toEqual([
      { key: 'a', right: { key: 'a', v: 'A' } },
      { key: 'b', right: { key: 'b', v: 'B' } },
    ])
    expect((await readAll(mergeByKey(stream(keyed('a')), stream(keyed())))).length).toBe(1)
    expect(await readAll(mergeByKey(stream(keyed()), stream(keyed())))).toEqual([])
  })

  it('pairs unicode keys by S3 order, where UTF-16 order would not pair them', async () => {
    const left = keyed(`k/${HALFWIDTH}`, `k/${EMOJI}`)
    const right = keyed(`k/${HALFWIDTH}`, `k/${EMOJI}x`)
    const merged = await readAll(mergeByKey(stream(left), stream(right)))
    expect(merged.map((m) => [m.key, !!m.left, !!m.right])).toEqual([
      [`k/${HALFWIDTH}`, true, true],
      [`k/${EMOJI}`, true, false],
      [`k/${EMOJI}x`, false, true],
    ])
  })

  it('refuses a side that goes back or repeats a key, naming the side and the keys', async () => {
    await expect(
      readAll(mergeByKey(stream(keyed('a', 'c')), stream(keyed('b', `${EMOJI}`, HALFWIDTH)))),
    ).rejects.toMatchObject({ name: 'OutOfOrderError', side: 'right', key: HALFWIDTH })
    await expect(readAll(mergeByKey(stream(keyed('a', 'a')), stream(keyed())))).rejects.toThrow(
      OutOfOrderError,
    )
    await expect(readAll(ordered(stream(keyed('b', 'a'))))).rejects.toThrow(
      /not in S3's key order \(UTF-8 bytes\): "a" comes after "b"/,
    )
  })

  it('reads one value ahead on each side, not the whole of either', async () => {
    let pulled = 0
    async function* counted(): AsyncGenerator<{ key: string }> {
      for (let i = 0; i < 1000; i++) {
        pulled++
        yield { key: `k${String(i).padStart(4, '0')}` }
      }
    }
    const merged = mergeByKey(counted(), stream(keyed('k0001')))
    const firsts = []
    for await (const m of merged) {
      firsts.push(m.key)
      if (firsts.length === 3) break
    }
    expect(firsts).toEqual(['k0000', 'k0001', 'k0002'])
    expect(pulled).toBeLessThanOrEqual(4)
  })
})

describe('ExternalSort', () => {
  it('sorts by S3 key order across many spilled chunks, keeps equal keys in order, and cleans up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sort-test-'))
    try {
      const sort = new ExternalSort<{ key: string; i: number }>(dir, 'lines', (v) => v.key, 7)
      const keys = Array.from({ length: 100 }, (_, i) => `k/${(i * 37) % 50}`)
      keys.push(`k/${EMOJI}`, `k/${HALFWIDTH}`)
      for (const [i, key] of keys.entries()) await sort.add({ key, i })
      expect(sort.count).toBe(102)
      expect(sort.sortedAlready).toBe(false)
      expect((await readdir(dir)).length).toBeGreaterThan(10)
      const out = await readAll(sort.sorted())
      expect(out.map((v) => v.key)).toEqual([...keys].sort(byteOrder))
      expect(out.at(-1)?.key).toBe(`k/${EMOJI}`)
      for (let n = 1; n < out.length; n++) {
        if (out[n].key === out[n - 1].key) expect(out[n].i).toBeGreaterThan(out[n - 1].i)
      }
      expect(await readdir(dir)).toEqual([])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('sorts in memory when everything fits in one chunk, and says when no sort was needed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sort-test-'))
    try {
      const sort = new ExternalSort<{ key: string }>(dir, 'lines', (v) => v.key)
      for (const key of ['a', 'b', 'c']) await sort.add({ key })
      expect(sort.sortedAlready).toBe(true)
      expect((await readAll(sort.sorted())).map((v) => v.key)).toEqual(['a', 'b', 'c'])
      expect(await readdir(dir)).toEqual([])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
