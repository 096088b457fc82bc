import { describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  withCopies,
  withDestination,
  withVersions,
  type KeyToPlan,
} from '../src/engine/plan/beside.js'
import { keyMap } from '../src/settings/destination.js'
import {
  PlanRecorder,
  loadPlan,
  type PlanHeader,
  type PlanLine,
} from '../src/engine/plan/saved-plan.js'
import type { RecentCopies, RunLine } from '../src/history/runs.js'
import { SealedWriter } from '../src/lib/sealed.js'
import type { ResolvedTarget } from '../src/settings/types.js'
import { history, readAll, version } from './helpers/builders.js'

async function* stream<T>(values: T[]): AsyncGenerator<T> {
  yield* values
}
const listing = (...keys: string[]): AsyncGenerator<KeyToPlan> =>
  stream(keys.map((key) => ({ key, entries: history(key, [`${key}-now`, '2026-01-02']) })))
const snapshotTarget: ResolvedTarget = {
  kind: 'versions',
  versions: new Map(),
  origin: { ref: 'good', id: 'id1' },
}
const refuse = (message: string): Error => new Error(`the file is ${message}`)
/** A key's own version, as decide() will look it up. */
const own = (k: KeyToPlan): string | null | undefined =>
  k.target?.kind === 'versions' ? k.target.versions.get(k.key) : undefined

describe('withVersions: a snapshot read beside the listing', () => {
  it('gives each listed key its recorded version, absent when not recorded; skips keys only recorded', async () => {
    const recorded = {
      lines: () =>
        stream([
          { key: 'p/a', versionId: 'va' },
          { key: 'p/b', versionId: 'vb' }, // only in the snapshot: not planned (as before)
          { key: 'p/d', versionId: null },
        ]),
    }
    const keys = await readAll(
      withVersions(listing('p/a', 'p/c', 'p/d'), recorded, snapshotTarget, refuse),
    )
    expect(keys.map((k) => [k.key, own(k)])).toEqual([
      ['p/a', 'va'],
      ['p/c', null],
      ['p/d', null],
    ])
    expect(keys[0].target).toMatchObject({ origin: { ref: 'good', id: 'id1' } })
    expect(keys[0].entries[0].versionId).toBe('p/a-now')
  })

  it('refuses a snapshot out of key order through its own message', async () => {
    const recorded = {
      lines: () =>
        stream([
          { key: 'p/b', versionId: 'vb' },
          { key: 'p/a', versionId: 'va' },
        ]),
    }
    await expect(
      readAll(withVersions(listing('p/a', 'p/b'), recorded, snapshotTarget, refuse)),
    ).rejects.toThrow(/^the file is not in S3's key order/)
  })

  it('names the listing when it is the stream out of order', async () => {
    const recorded = { lines: () => stream([{ key: 'p/a', versionId: 'va' }]) }
    await expect(
      readAll(withVersions(listing('p/b', 'p/a'), recorded, snapshotTarget, refuse)),
    ).rejects.toThrow(/^The listing is not in S3's key order/)
  })
})

describe('withCopies: recent run records read beside the listing', () => {
  it('hands each key its own recorded copies, and only its own', async () => {
    const line = (key: string, newVersionId: string, source: string | null): RunLine => ({
      key,
      newVersionId,
      sourceVersionId: source,
      previousVersionId: null,
    })
    const copies: RecentCopies = {
      size: 3,
      runs: 2,
      lines: () =>
        stream([line('p/a', 'n1', 'v1'), line('p/a', 'n2', 'n1'), line('p/z', 'n3', 'v3')]),
      dispose: async () => {},
    }
    const keys = await readAll(withCopies(listing('p/a', 'p/b'), copies))
    expect(keys.map((k) => k.key)).toEqual(['p/a', 'p/b'])
    expect(keys[0].copies?.sourceOf('p/a', 'n2')).toBe('n1')
    expect(keys[0].copies?.sourceOf('p/a', 'n1')).toBe('v1')
    expect(keys[0].copies?.sourceOf('p/z', 'n3')).toBeUndefined()
    expect(keys[1].copies).toBeUndefined()
  })
})

describe('withDestination: the destination listed beside the source', () => {
  it('gives each key the history of the key it is written to; keys only there come too', async () => {
    const map = keyMap('src', 'p/', { bucket: 'dst', prefix: 'stage/' })
    const there = stream([
      { key: 'stage/a', entries: history('stage/a', ['sa', '2026-01-03']) },
      { key: 'stage/c', entries: history('stage/c', ['sc', '2026-01-03']) },
    ])
    const keys = await readAll(withDestination(listing('p/a', 'p/b'), there, map))
    expect(
      keys.map((k) => [k.key, k.entries.length, k.destination?.key, k.destination?.entries.length]),
    ).toEqual([
      ['p/a', 1, 'stage/a', 1],
      ['p/b', 1, 'stage/b', 0],
      ['p/c', 0, 'stage/c', 1],
    ])
  })

  it('names the destination when its listing is out of order', async () => {
    const map = keyMap('src', 'p/', { bucket: 'dst', prefix: 'stage/' })
    const there = stream([
      { key: 'stage/b', entries: [] },
      { key: 'stage/a', entries: [] },
    ])
    await expect(readAll(withDestination(listing('p/a'), there, map))).rejects.toThrow(
      /^The destination's listing is not in S3's key order/,
    )
  })

  it('reads a destination run record under the source keys', async () => {
    const map = keyMap('src', 'p/', { bucket: 'dst', prefix: 'stage/' })
    const copies: RecentCopies = {
      size: 1,
      runs: 1,
      lines: () =>
        stream([
          {
            key: 'stage/a',
            newVersionId: 'n1',
            sourceVersionId: 'v1',
            previousVersionId: null,
            from: { bucket: 'src', key: 'p/a' },
          },
        ]),
      dispose: async () => {},
    }
    const [a] = await readAll(withCopies(listing('p/a'), copies, map))
    expect(a.copies?.originOf?.('stage/a', 'n1')).toEqual({
      bucket: 'src',
      key: 'p/a',
      versionId: 'v1',
    })
    expect(a.copies?.sourceOf('stage/a', 'n1')).toBeUndefined()
  })
})

describe('saved plans in key order', () => {
  const header = (bucket: string): PlanHeader => ({
    format: 's3-rollback-plan',
    version: 1,
    bucket,
    createdAt: '2026-01-03T00:00:00.000Z',
    target: { versionIds: true, snapshot: { ref: 'good', id: 'id1' } },
    prefix: 'p/',
    ifMissing: 'delete',
  })
  const planLine = (key: string): PlanLine => ({
    key,
    action: 'restore',
    current: { versionId: `${key}-now` },
    wanted: { versionId: `${key}-old` },
  })

  it('a dry run records its lines sorted by key, whatever order they resolved in', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plan-test-'))
    try {
      const { bucket, createdAt, target, prefix, ifMissing } = header('b')
      const recorder = await PlanRecorder.create(dir, {
        bucket,
        createdAt,
        target,
        prefix,
        ifMissing,
      })
      for (const key of ['p/c', 'p/\u{1f600}', 'p/a', 'p/\uff61', 'p/b']) {
        await recorder.record({
          key,
          action: 'restore',
          current: version(key, `${key}-now`, '2026-01-02', { isLatest: true }),
          wanted: version(key, `${key}-old`, '2026-01-01'),
        })
      }
      const { file, digest } = await recorder.close()
      const lines = (await readFile(file, 'utf8')).trim().split('\n').slice(1, -1)
      const keys = lines.map((l) => (JSON.parse(l) as PlanLine).key)
      expect(keys).toEqual(['p/a', 'p/b', 'p/c', 'p/\uff61', 'p/\u{1f600}'])
      expect((await loadPlan(file, 'b')).digest).toBe(digest)
      expect(await readdir(dir)).toEqual(['plan.s3rollback.jsonl'])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('an old plan file, written out of key order, is still applied (sorted into a local copy)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plan-test-'))
    try {
      const file = join(dir, 'old.jsonl')
      const writer = await SealedWriter.create<PlanLine>(file, header('b'))
      for (const key of ['p/c', 'p/a', 'p/b']) await writer.write(planLine(key))
      await writer.close()
      const plan = await loadPlan(file, 'b')
      const keys = await readAll(plan.beside(listing('p/a', 'p/b', 'p/d')))
      expect(keys.map((k) => [k.key, own(k), k.planned])).toEqual([
        ['p/a', 'p/a-old', 'restore: current p/a-now, target p/a-old'],
        ['p/b', 'p/b-old', 'restore: current p/b-now, target p/b-old'],
        ['p/d', null, undefined],
      ])
      expect(() => plan.finish()).toThrow(
        /1 key\(s\) changed[\s\S]*p\/c: in the plan, but not listed now/,
      )
      await plan.dispose()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a key new since the plan, and one that moved, make it stale; a plan as seen passes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plan-test-'))
    try {
      const file = join(dir, 'plan.jsonl')
      const writer = await SealedWriter.create<PlanLine>(file, header('b'))
      for (const key of ['p/a', 'p/b']) await writer.write(planLine(key))
      await writer.close()
      const item = (key: string, current: string) => ({
        key,
        action: 'restore' as const,
        current: version(key, current, '2026-01-02', { isLatest: true }),
        wanted: version(key, `${key}-old`, '2026-01-01'),
      })
      const ok = await loadPlan(file, 'b')
      for (const k of await readAll(ok.beside(listing('p/a', 'p/b')))) {
        ok.check(item(k.key, `${k.key}-now`), k.planned)
      }
      expect(() => ok.finish()).not.toThrow()
      const stale = await loadPlan(file, 'b')
      for (const k of await readAll(stale.beside(listing('p/a', 'p/b', 'p/c')))) {
        stale.check(item(k.key, k.key === 'p/b' ? 'moved' : `${k.key}-now`), k.planned)
      }
      expect(() => stale.finish()).toThrow(
        /2 key\(s\) changed[\s\S]*p\/b: planned restore: current p\/b-now, target p\/b-old; now restore: current moved[\s\S]*p\/c: new since the plan/,
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
