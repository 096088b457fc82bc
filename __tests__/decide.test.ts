import { describe, expect, it } from '@jest/globals'
import type { IfMissing, ResolvedTarget as Target } from '../src/settings/types.js'
import type { VersionEntry } from '../src/s3/listing.js'
import {
  decide,
  mayBeSame,
  needsSourceCheck,
  sameByListing,
  sourceProblem,
} from '../src/engine/plan/decide.js'
import type { ObjectFacts } from '../src/s3/objects.js'
import { marker, version } from './helpers/builders.js'

const T0 = '2021-12-13T15:00:00Z'
/** An entry of the key 'k'. */
const entry = (versionId: string, time: string, extra: Partial<VersionEntry> = {}) =>
  version('k', versionId, time, extra)
const at = (iso: string): Target => ({ kind: 'time', at: new Date(iso), text: iso })
const ids = (versionId: string | null): Target => ({
  kind: 'versions',
  versions: new Map([['k', versionId]]),
})

const good = entry('good', '2021-12-01T00:00:00Z', { eTag: '"e1"' })
const bad = entry('bad', '2021-12-14T00:00:00Z', { isLatest: true, eTag: '"e2"' })
const deleted = marker('k', 'dm', '2021-12-14T00:00:00Z', { isLatest: true })
const glacier = entry('old', '2021-12-01T00:00:00Z', { storageClass: 'GLACIER' })

describe('decide', () => {
  it.each<[string, VersionEntry[], Target, IfMissing, string]>([
    ['corrupted since: restore', [bad, good], at(T0), 'fail', 'restore good'],
    ['already current: unchanged', [{ ...good, isLatest: true }], at(T0), 'fail', 'unchanged good'],
    ['deleted since: restore', [deleted, good], at(T0), 'fail', 'restore good'],
    ['created later, delete', [bad], at(T0), 'delete', 'delete -'],
    ['created later, skip', [bad], at(T0), 'skip', 'skip -'],
    ['absent then and now: unchanged', [deleted], at(T0), 'fail', 'unchanged -'],
    ['no history at all, skip: skip', [], at(T0), 'skip', 'skip -'],
    ['no history at all, explicit versions, skip: skip', [], ids(null), 'skip', 'skip -'],
    ['explicit version', [bad, good], ids('good'), 'fail', 'restore good'],
    [
      'explicit null version',
      [bad, entry('null', '2021-01-01T00:00:00Z')],
      ids('null'),
      'fail',
      'restore null',
    ],
    ['explicit absent, delete', [bad, good], ids(null), 'delete', 'delete -'],
    ['explicit delete marker means absent', [bad, deleted, good], ids('dm'), 'delete', 'delete -'],
    [
      'an earlier copy (same size and ETag) is current: unchanged',
      [
        entry('copy', '2021-12-15T00:00:00Z', { isLatest: true, size: 3, eTag: '"e1"' }),
        bad,
        { ...good, size: 3 },
      ],
      at(T0),
      'fail',
      'unchanged good',
    ],
    [
      'a multipart copy with its source part layout: unchanged',
      [
        entry('copy', '2021-12-15T00:00:00Z', { isLatest: true, size: 9, eTag: '"abc-3"' }),
        bad,
        entry('mp', '2021-12-01T00:00:00Z', { size: 9, eTag: '"abc-3"' }),
      ],
      at(T0),
      'fail',
      'unchanged mp',
    ],
    [
      'an archived source is decided by HeadObject later',
      [bad, glacier],
      at(T0),
      'fail',
      'restore old',
    ],
  ])('%s', (_label, entries, target, ifMissing, expected) => {
    const result = decide('k', entries, target, { ifMissing })
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
      [bad, { ...deleted, isLatest: false, lastModified: new Date('2021-12-01T00:00:00Z') }],
      at(T0),
      'fail',
      /it was deleted then/,
    ],
    ['unknown version ID', [bad, good], ids('nope'), 'fail', /version nope does not exist/],
    ['no history at all (a typo)', [], at(T0), 'fail', /^no such key: .*check the spelling/],
    [
      'no history at all, with delete',
      [],
      at(T0),
      'delete',
      /^no such key: .*'if-missing' to skip/,
    ],
    ['no history at all, explicit absent', [], ids(null), 'delete', /^no such key/],
  ])('problem: %s', (_label, entries, target, ifMissing, message) => {
    const result = decide('k', entries, target, { ifMissing })
    expect('problem' in result && result.problem).toMatch(message)
  })
})

describe('decide into a destination', () => {
  /** An entry of the destination key 'd/k'. */
  const there = (versionId: string, time: string, extra: Partial<VersionEntry> = {}) =>
    version('d/k', versionId, time, extra)
  const written = (...entries: VersionEntry[]) => ({ key: 'd/k', entries })
  const copyOfGood = there('c1', '2026-01-01T00:00:00Z', { isLatest: true, eTag: '"e1"' })
  const other = there('o1', '2026-01-01T00:00:00Z', { isLatest: true, eTag: '"e9"' })
  const gone = marker('d/k', 'dm2', '2026-01-02T00:00:00Z', { isLatest: true })

  it.each<[string, VersionEntry[], VersionEntry[], IfMissing, string]>([
    [
      'an empty destination: restore the source version there',
      [bad, good],
      [],
      'fail',
      'restore good',
    ],
    ['the destination holds other bytes: restore', [bad, good], [other], 'fail', 'restore good'],
    [
      'the destination holds the same bytes: unchanged',
      [bad, good],
      [copyOfGood],
      'fail',
      'unchanged good',
    ],
    ['absent at T, present there: delete', [bad], [other], 'delete', 'delete -'],
    ['absent at T, absent there: unchanged', [bad], [gone, other], 'fail', 'unchanged -'],
    ['only the destination has it: delete', [], [other], 'delete', 'delete -'],
    ['only the destination has it, skip: skip', [], [other], 'skip', 'skip -'],
    ['no history on either side, skip: skip', [], [], 'skip', 'skip -'],
  ])('%s', (_label, entries, there, ifMissing, expected) => {
    const result = decide('k', entries, at(T0), { ifMissing }, written(...there))
    if ('problem' in result) throw new Error(result.problem)
    expect(`${result.action} ${result.wanted?.versionId ?? '-'}`).toBe(expected)
    expect(result.key).toBe('d/k')
    expect(result.current).toEqual(there[0])
  })

  it.each<[string, VersionEntry[], VersionEntry[], RegExp]>([
    [
      'only the destination has it, with fail',
      [],
      [other],
      /never existed, while the destination has d\/k/,
    ],
    [
      'created later in the source, present there, with fail',
      [bad],
      [other],
      /it did not exist yet/,
    ],
    ['a typo: neither side has it', [], [], /^no such key/],
  ])('problem: %s', (_label, entries, there, message) => {
    const result = decide('k', entries, at(T0), { ifMissing: 'fail' }, written(...there))
    expect('problem' in result && result.problem).toMatch(message)
    expect('problem' in result && result.key).toBe('k')
  })
})

describe('what the listing can and cannot tell', () => {
  const v = (extra: Partial<VersionEntry>): VersionEntry =>
    entry('v', '2021-12-01T00:00:00Z', { size: 3, eTag: '"e1"', ...extra })
  it.each<[string, VersionEntry | undefined, VersionEntry, boolean, boolean]>([
    ['same version', v({}), v({}), true, true],
    ['same size and ETag', v({ versionId: 'w' }), v({}), true, true],
    [
      'same size, other ETag (KMS, or another layout)',
      v({ versionId: 'w', eTag: '"e2"' }),
      v({}),
      false,
      true,
    ],
    ['other size', v({ versionId: 'w', size: 4 }), v({}), false, false],
    [
      'current is a delete marker',
      v({ versionId: 'w', isDeleteMarker: true }),
      v({}),
      false,
      false,
    ],
    ['no current entry', undefined, v({}), false, false],
  ])('%s', (_label, current, wanted, same, maybe) => {
    expect(sameByListing(current, wanted)).toBe(same)
    expect(mayBeSame(current, wanted)).toBe(maybe)
  })

  it.each<[string | undefined, boolean]>([
    [undefined, false],
    ['STANDARD', false],
    ['STANDARD_IA', false],
    ['GLACIER', true],
    ['DEEP_ARCHIVE', true],
    ['INTELLIGENT_TIERING', true],
  ])('storage class %s needs a HeadObject: %s', (storageClass, needed) => {
    expect(needsSourceCheck(v({ storageClass }))).toBe(needed)
  })

  const facts = (extra: Partial<ObjectFacts>): ObjectFacts => ({ size: 3, metadata: {}, ...extra })
  it.each<[string, ObjectFacts, RegExp | undefined]>([
    ['standard', facts({}), undefined],
    [
      'GLACIER, not restored',
      facts({ storageClass: 'GLACIER' }),
      /in GLACIER and cannot be copied/,
    ],
    [
      'GLACIER with a restored copy',
      facts({ storageClass: 'GLACIER', restore: 'ongoing-request="false", expiry-date="x"' }),
      undefined,
    ],
    [
      'GLACIER, restore in progress',
      facts({ storageClass: 'GLACIER', restore: 'ongoing-request="true"' }),
      /cannot be copied until/,
    ],
    [
      'Intelligent-Tiering archive tier',
      facts({ storageClass: 'INTELLIGENT_TIERING', archiveStatus: 'ARCHIVE_ACCESS' }),
      /INTELLIGENT_TIERING ARCHIVE_ACCESS/,
    ],
    ['SSE-C', facts({ sseCustomerAlgorithm: 'AES256' }), /customer key \(SSE-C\)/],
  ])('source: %s', (_label, f, problem) => {
    const found = sourceProblem('v1', f)
    if (problem) expect(found).toMatch(problem)
    else expect(found).toBeUndefined()
  })
})
