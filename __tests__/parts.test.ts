import { describe, expect, it } from '@jest/globals'
import { partRanges, sourceLayout } from '../src/engine/write/parts.js'

describe('partRanges', () => {
  const MiB = 1024 * 1024
  it('covers the object with contiguous ranges', () => {
    expect(partRanges(12 * MiB, 5 * MiB)).toEqual([
      { start: 0, end: 5 * MiB - 1 },
      { start: 5 * MiB, end: 10 * MiB - 1 },
      { start: 10 * MiB, end: 12 * MiB - 1 },
    ])
  })
  it('raises the part size so 10,000 parts suffice', () => {
    const ranges = partRanges(5 * 1024 ** 4, 5 * MiB) // 5 TiB, the S3 maximum
    expect(ranges.length).toBeLessThanOrEqual(10_000)
    expect(ranges[ranges.length - 1].end).toBe(5 * 1024 ** 4 - 1)
  })
})

describe('sourceLayout: the part boundaries of a source uploaded in parts', () => {
  const MiB = 1024 * 1024
  const sizes = (size: number, parts: number, first?: number): number[] =>
    sourceLayout(size, parts, first).map((r) => r.end - r.start + 1)
  it.each<[string, number, number, number | undefined, number[]]>([
    ['the store says part 1', 11 * MiB, 3, 4 * MiB, [4 * MiB, 4 * MiB, 3 * MiB]],
    ['5 MiB parts (the SDKs, rclone)', 11 * MiB + 7, 3, undefined, [5 * MiB, 5 * MiB, MiB + 7]],
    ['8 MiB parts (aws-cli) when they fit', 20 * MiB, 3, undefined, [8 * MiB, 8 * MiB, 4 * MiB]],
    [
      'a part size the store gave that does not fit is not used',
      11 * MiB,
      3,
      2 * MiB,
      [5 * MiB, 5 * MiB, MiB],
    ],
    ['one part', 3 * MiB, 1, undefined, [3 * MiB]],
  ])('%s', (_label, size, parts, first, expected) => {
    expect(sizes(size, parts, first)).toEqual(expected)
  })
})
