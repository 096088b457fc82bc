import { describe, expect, it } from '@jest/globals'
import { decide } from '../src/engine/plan/decide.js'
import { judge } from '../src/verify/key-checks.js'
import type { VersionEntry } from '../src/s3/listing.js'
import type { IfMissing, ResolvedTarget } from '../src/settings/types.js'

// One decision, two stances: the same histories go through restore's use of decide() and
// verify's (judge(), decide() with strict). They must agree everywhere but where the strict
// option says: a key absent at the target and absent now, with if-missing fail, which a
// rollback leaves unchanged and verify reports (most often a typo in `keys`).
const T = new Date('2021-12-13T15:00:00Z')
const AT_T: ResolvedTarget = { kind: 'time', at: T, text: T.toISOString() }
const at = (minutes: number): Date => new Date(T.getTime() + minutes * 60_000)
const version = (id: string, minutes: number, eTag = `"${id}"`): VersionEntry => ({
  key: 'k',
  versionId: id,
  isDeleteMarker: false,
  isLatest: false,
  lastModified: at(minutes),
  size: 3,
  eTag,
})
const marker = (id: string, minutes: number): VersionEntry => ({
  key: 'k',
  versionId: id,
  isDeleteMarker: true,
  isLatest: false,
  lastModified: at(minutes),
})
const latest = (entries: VersionEntry[]): VersionEntry[] =>
  entries.map((e, i) => ({ ...e, isLatest: i === 0 }))

const histories: Record<string, VersionEntry[]> = {
  'overwritten after T': [version('v2', 5), version('v1', -5)],
  'unchanged since T': [version('v1', -5)],
  'a copy of the version at T is current': [version('v3', 5, '"v1"'), version('v1', -5)],
  'created after T': [version('v1', 5)],
  'deleted after T': [marker('m1', 5), version('v1', -5)],
  'deleted before T, still deleted': [marker('m1', -1), version('v1', -5)],
  'deleted before T, written again after': [version('v2', 5), marker('m1', -1), version('v1', -5)],
  'no history at all': [],
}

type Answer = 'restore' | 'delete' | 'unchanged' | 'skip' | 'problem'
/** Expected [restore, verify] answers per if-missing: fail, delete, skip. */
const expected: Record<string, Record<IfMissing, [Answer, Answer]>> = {
  'overwritten after T': {
    fail: ['restore', 'restore'],
    delete: ['restore', 'restore'],
    skip: ['restore', 'restore'],
  },
  'unchanged since T': {
    fail: ['unchanged', 'unchanged'],
    delete: ['unchanged', 'unchanged'],
    skip: ['unchanged', 'unchanged'],
  },
  'a copy of the version at T is current': {
    fail: ['unchanged', 'unchanged'],
    delete: ['unchanged', 'unchanged'],
    skip: ['unchanged', 'unchanged'],
  },
  'created after T': {
    fail: ['problem', 'problem'],
    delete: ['delete', 'delete'],
    skip: ['skip', 'skip'],
  },
  'deleted after T': {
    fail: ['restore', 'restore'],
    delete: ['restore', 'restore'],
    skip: ['restore', 'restore'],
  },
  // The one place the stances differ, and only with if-missing fail.
  'deleted before T, still deleted': {
    fail: ['unchanged', 'problem'],
    delete: ['unchanged', 'unchanged'],
    skip: ['unchanged', 'unchanged'],
  },
  'deleted before T, written again after': {
    fail: ['problem', 'problem'],
    delete: ['delete', 'delete'],
    skip: ['skip', 'skip'],
  },
  'no history at all': {
    fail: ['problem', 'problem'],
    delete: ['problem', 'problem'],
    skip: ['skip', 'skip'],
  },
}

const targets: Array<[string, (entries: VersionEntry[]) => ResolvedTarget]> = [
  ['to-time', () => AT_T],
  [
    'version-ids (the version current at T)',
    (entries) => {
      const wanted = entries.find((e) => e.lastModified <= T)
      return {
        kind: 'versions',
        versions: new Map([['k', wanted && !wanted.isDeleteMarker ? wanted.versionId : null]]),
      }
    },
  ],
]

function restoreAnswer(entries: VersionEntry[], target: ResolvedTarget, ifMissing: IfMissing) {
  const decided = decide('k', entries, target, { ifMissing })
  return 'problem' in decided ? 'problem' : decided.action
}

function verifyAnswer(entries: VersionEntry[], target: ResolvedTarget, ifMissing: IfMissing) {
  return judge('k', entries, { target, ifMissing }).action ?? 'problem'
}

describe('restore and verify ask the same decide()', () => {
  const rows = Object.entries(histories).flatMap(([name, entries]) =>
    targets.flatMap(([targetName, target]) =>
      (['fail', 'delete', 'skip'] as const).map(
        (ifMissing) => [name, targetName, ifMissing, latest(entries), target] as const,
      ),
    ),
  )
  it.each(rows)('%s, %s, if-missing %s', (name, _targetName, ifMissing, entries, target) => {
    const t = target(entries)
    const [restore, verify] = expected[name][ifMissing]
    expect(restoreAnswer(entries, t, ifMissing)).toBe(restore)
    expect(verifyAnswer(entries, t, ifMissing)).toBe(verify)
  })

  it('differ only where the strict option says', () => {
    const differ = rows.filter(([, , ifMissing, entries, target]) => {
      const t = target(entries)
      return restoreAnswer(entries, t, ifMissing) !== verifyAnswer(entries, t, ifMissing)
    })
    expect(differ.map(([name, , ifMissing]) => `${name} / ${ifMissing}`)).toEqual([
      'deleted before T, still deleted / fail',
      'deleted before T, still deleted / fail',
    ])
    for (const [, , , entries, target] of differ) {
      const decided = decide('k', entries, target(entries), { ifMissing: 'fail', strict: false })
      expect('problem' in decided).toBe(false)
    }
  })

  it('verify reports the state a refusal names', () => {
    const deleted = latest([version('v2', 5), marker('m1', -1), version('v1', -5)])
    const report = judge('k', deleted, { target: AT_T, ifMissing: 'fail' })
    expect(report).toMatchObject({ state: 'deleted', versionId: 'm1', action: null })
    expect(report.problems[0]).toMatch(/it was deleted then: delete marker m1/)
    const typo = judge('k', [], { target: AT_T, ifMissing: 'delete' })
    expect(typo).toMatchObject({ state: 'missing', action: null })
    const absent = judge('k', latest([version('v1', 5)]), {
      target: AT_T,
      ifMissing: 'delete',
    })
    expect(absent).toMatchObject({ state: 'absent', action: 'delete', versionId: null })
  })
})
