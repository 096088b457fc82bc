import { describe, expect, it } from '@jest/globals'
import type { IfMissing, Target } from '../src/settings/index.js'
import type { VersionEntry } from '../src/s3/listing.js'
import { decide } from '../src/engine/plan.js'

const T0 = '2021-12-13T15:00:00Z'
function entry(versionId: string, time: string, extra: Partial<VersionEntry> = {}): VersionEntry {
  return {
    key: 'k',
    versionId,
    isDeleteMarker: false,
    isLatest: false,
    lastModified: new Date(time),
    ...extra,
  }
}
const at = (iso: string): Target => ({ kind: 'time', at: new Date(iso), text: iso })
const ids = (versionId: string | null): Target => ({
  kind: 'versions',
  versions: new Map([['k', versionId]]),
})

const good = entry('good', '2021-12-01T00:00:00Z', { eTag: '"e1"' })
const bad = entry('bad', '2021-12-14T00:00:00Z', { isLatest: true, eTag: '"e2"' })
const marker = entry('dm', '2021-12-14T00:00:00Z', { isLatest: true, isDeleteMarker: true })
const glacier = entry('old', '2021-12-01T00:00:00Z', { storageClass: 'GLACIER' })

describe('decide', () => {
  it.each<[string, VersionEntry[], Target, IfMissing, string]>([
    ['corrupted since: restore', [bad, good], at(T0), 'fail', 'restore good'],
    ['already current: unchanged', [{ ...good, isLatest: true }], at(T0), 'fail', 'unchanged good'],
    ['deleted since: restore', [marker, good], at(T0), 'fail', 'restore good'],
    ['created later, delete', [bad], at(T0), 'delete', 'delete -'],
    ['created later, skip', [bad], at(T0), 'skip', 'skip -'],
    ['absent then and now: unchanged', [marker], at(T0), 'fail', 'unchanged -'],
    ['no history at all: unchanged', [], at(T0), 'fail', 'unchanged -'],
    ['explicit version', [bad, good], ids('good'), 'fail', 'restore good'],
    [
      'explicit null version',
      [bad, entry('null', '2021-01-01T00:00:00Z')],
      ids('null'),
      'fail',
      'restore null',
    ],
    ['explicit absent, delete', [bad, good], ids(null), 'delete', 'delete -'],
    ['explicit delete marker means absent', [bad, marker, good], ids('dm'), 'delete', 'delete -'],
  ])('%s', (_label, entries, target, ifMissing, expected) => {
    const result = decide('k', entries, target, ifMissing)
    expect(
      'problem' in result ? result.problem : `${result.action} ${result.wanted?.versionId ?? '-'}`,
    ).toBe(expected)
  })

  it.each<[string, VersionEntry[], Target, IfMissing, RegExp]>([
    [
      'created later with if-missing fail',
      [bad],
      at(T0),
      'fail',
      /no version at 2021-12-13T15:00:00.000Z \(it did not exist yet\)/,
    ],
    [
      'deleted at the target with if-missing fail',
      [bad, { ...marker, isLatest: false, lastModified: new Date('2021-12-01T00:00:00Z') }],
      at(T0),
      'fail',
      /it was deleted then/,
    ],
    ['unknown version ID', [bad, good], ids('nope'), 'fail', /version nope does not exist/],
    ['archived source', [bad, glacier], at(T0), 'fail', /GLACIER storage class/],
  ])('problem: %s', (_label, entries, target, ifMissing, message) => {
    const result = decide('k', entries, target, ifMissing)
    expect('problem' in result && result.problem).toMatch(message)
  })
})
