import { describe, expect, it } from '@jest/globals'
import { examine, type Candidate } from '../src/engine/write/putback.js'
import type { VersionEntry } from '../src/s3/listing.js'
import { version } from './helpers/builders.js'

const MD5_A = '0cc175b9c0f1b6a831c399e269772661'
const MD5_B = '92eb5ffee6ae2fec3ad71c777531578f'

/** An entry of the key 'k': one byte, ETag MD5_A, unless `extra` says otherwise. */
const entry = (versionId: string, extra: Partial<VersionEntry> = {}): VersionEntry =>
  version('k', versionId, 0, { size: 1, eTag: `"${MD5_A}"`, ...extra })

describe('what a put-back finds for each write that may have landed', () => {
  const before = entry('p', { eTag: `"${MD5_B}"`, size: 2 })
  const wanted = entry('w')
  const item = { key: 'k', action: 'restore' as const, current: before, wanted }
  const found = (entries: VersionEntry[], c: Partial<Candidate>): string => {
    const r = examine(entries, { item, attempts: 1, ...c })
    return 'ours' in r ? `put back ${r.ours.versionId}` : r.state
  }
  it('a confirmed write that is current is put back', () => {
    expect(found([entry('n1'), before], { newVersionId: 'n1' })).toBe('put back n1')
  })
  it('a failed write whose reply was lost but which landed is put back', () => {
    expect(found([entry('n1'), before], { error: new Error('ECONNRESET'), unsure: true })).toBe(
      'put back n1',
    )
  })
  it('two failed writes that both landed are both found (each key on its own)', () => {
    const other = { ...item, key: 'k2' }
    const r = examine([entry('m1', { key: 'k2' }), before], {
      item: other,
      attempts: 8,
      error: new Error('reset'),
      unsure: true,
    })
    expect('ours' in r).toBe(true)
    expect(found([entry('n1'), entry('n0'), before], { attempts: 8, unsure: true })).toBe(
      'put back n1',
    )
  })
  it('a failed write that did not land is reported unchanged', () => {
    expect(found([before], { error: new Error('SlowDown'), unsure: true })).toMatch(
      /^not changed \(the write failed: SlowDown/,
    )
  })
  it("another writer's entry on top is left as is", () => {
    expect(found([entry('x', { size: 9 }), entry('n1'), before], { newVersionId: 'n1' })).toMatch(
      /^left as is: changed by another writer after this run \(now version x\)/,
    )
  })
})
