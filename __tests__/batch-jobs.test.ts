import { describe, expect, it } from '@jest/globals'
import { writerOf } from '../src/engine/batch/split.js'
import type { PlanItem } from '../src/engine/plan/decide.js'
import type { VersionEntry } from '../src/s3/listing.js'
import { version } from './helpers/builders.js'

const GiB = 1024 ** 3
const copy = { multipartThreshold: 5 * GiB, partSize: 512 * 1024 ** 2, partConcurrency: 8 }
const restore = (wanted: Partial<VersionEntry> = {}, more: Partial<PlanItem> = {}): PlanItem => ({
  key: 'k',
  action: 'restore',
  wanted: version('k', 'v1', '2021-12-01T00:00:00Z', {
    size: 10,
    eTag: '"d41d8cd98f00b204e9800998ecf8427e"',
    ...wanted,
  }),
  ...more,
})

describe('who writes a key under engine: batch-operations', () => {
  it.each<[string, PlanItem, 'job' | 'runner']>([
    ['a small single-part version', restore(), 'job'],
    ['exactly 5 GiB', restore({ size: 5 * GiB }), 'job'],
    ['over 5 GiB', restore({ size: 5 * GiB + 1 }), 'runner'],
    ['uploaded in parts (its ETag ends in -N)', restore({ eTag: '"abc-3"' }), 'runner'],
    ['a restored GLACIER copy', restore({ storageClass: 'GLACIER' }), 'runner'],
    ['STANDARD_IA', restore({ storageClass: 'STANDARD_IA' }), 'job'],
    [
      'an SSE-C source',
      restore({}, { source: { sseCustomerAlgorithm: 'AES256' } as PlanItem['source'] }),
      'runner',
    ],
    ['a delete marker to add', { key: 'k', action: 'delete' }, 'runner'],
  ])('%s → %s', (_name, item, writer) => {
    expect(writerOf(item, copy)).toBe(writer)
  })

  it('keeps what needs a multipart copy (above multipart-threshold) for the runner', () => {
    const small = { ...copy, multipartThreshold: 1024 ** 2 }
    expect(writerOf(restore({ size: 1024 ** 2 }), small)).toBe('job')
    expect(writerOf(restore({ size: 1024 ** 2 + 1 }), small)).toBe('runner')
  })
})
