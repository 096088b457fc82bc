// The pure parts of the fixes to issue 20's rough edges (the built CLI and the bundled action
// are tested end to end in rough-edges-cli.int.test.ts and rough-edges-action.int.test.ts).
import { describe, expect, it } from '@jest/globals'
import { EventEmitter } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { outputOf } from '../src/cli/output.js'
import { checkProfile, profilesIn } from '../src/cli/profile.js'
import { ChainError, InputError } from '../src/lib/errors.js'
import { afterRestore, ghCommand, webUrl, workflowPage } from '../src/report/by-hand.js'
import type { Manifest } from '../src/engine/index.js'
import type { ChainReport } from '../src/chain/index.js'
import type { ChainSettings } from '../src/settings/index.js'
import { youngerThanWindow } from '../src/verify/window-start.js'
import type { VersionEntry } from '../src/s3/listing.js'
import { parsePlanFile } from '../src/settings/plan-file.js'

describe('1. outputOf: a stream whose reader went away', () => {
  /** A stream that fails every write from the second on, as a closed pipe does. */
  function pipe(code = 'EPIPE'): EventEmitter & { written: string[]; write(t: string): boolean } {
    const stream = Object.assign(new EventEmitter(), {
      written: [] as string[],
      write(text: string): boolean {
        if (stream.written.length >= 1) {
          process.nextTick(() => stream.emit('error', Object.assign(new Error('write'), { code })))
          return false
        }
        stream.written.push(text)
        return true
      },
    })
    return stream
  }

  it('drops the stream quietly after EPIPE; the caller goes on', async () => {
    const stream = pipe()
    const lost: string[] = []
    const out = outputOf(stream, (e) => lost.push(e.message))
    out.line('first')
    out.line('second')
    out.line('third')
    await new Promise((r) => process.nextTick(r))
    expect(out.closed).toBe(true)
    out.line('fourth')
    expect(stream.written).toEqual(['first\n'])
    expect(lost).toEqual([])
  })

  it('tells of a failure that is not EPIPE, once', async () => {
    const stream = pipe('ENOSPC')
    const lost: string[] = []
    const out = outputOf(stream, (e) => lost.push((e as Error & { code: string }).code))
    out.write('a')
    out.write('b')
    out.write('c')
    await new Promise((r) => process.nextTick(r))
    expect(lost).toEqual(['ENOSPC'])
  })
})

describe('2. plan-file: a path that names no readable file', () => {
  it('is an InputError naming the input, the value and the form', async () => {
    const dir = await mkdtemp(join(tmpdir(), 's3-rollback-plan-file-'))
    try {
      const file = join(dir, 'plan.jsonl')
      await writeFile(file, '{}\n')
      expect(parsePlanFile(file)).toBe(file)
      for (const [path, why] of [
        [join(dir, 'missing'), /ENOENT/],
        [dir, /is a folder, not a file/],
      ] as const) {
        const e = (() => {
          try {
            parsePlanFile(path)
          } catch (error) {
            return error
          }
        })()
        expect(e).toBeInstanceOf(InputError)
        expect(e).toMatchObject({ input: 'plan-file', value: path })
        expect((e as InputError).expected).toMatch(/^the path of a readable plan file/)
        expect((e as InputError).expected).toMatch(why)
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('3. --profile: the profiles of the shared AWS files', () => {
  it('reads [NAME] in credentials; [profile NAME] and [default] in config', () => {
    expect(profilesIn('[ops]\nkey = 1\n  [ prod ]\n# [commented]\n', 'credentials')).toEqual([
      'ops',
      'prod',
    ])
    expect(
      profilesIn('[default]\n[profile staging]\n[sso-session corp]\n[ops]\n', 'config'),
    ).toEqual(['default', 'staging'])
  })

  it('a profile in neither file is an InputError naming both files and the profiles', async () => {
    const dir = await mkdtemp(join(tmpdir(), 's3-rollback-profiles-'))
    try {
      const credentials = join(dir, 'credentials')
      await writeFile(credentials, '[ops]\n')
      const env = { AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: join(dir, 'none') }
      expect(() => checkProfile('ops', env)).not.toThrow()
      expect(() => checkProfile('prod', env)).toThrow(
        new InputError(
          'profile',
          'prod',
          `a profile of the shared AWS files, and there is no profile prod in ${credentials} or ` +
            `${join(dir, 'none')} (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE); they have: ops`,
        ),
      )
      expect(() => checkProfile('x', { HOME: dir })).toThrow(/they define no profile/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('4. verify: a key younger than min-window', () => {
  const entry = (versionId: string, at: string, isDeleteMarker = false): VersionEntry => ({
    key: 'k',
    versionId,
    isLatest: false,
    isDeleteMarker,
    lastModified: new Date(at),
  })
  const window = { minWindow: '7d', minWindowMs: 7 * 86_400_000 }
  const start = new Date('2026-12-01T00:00:00Z')

  it('names its first version and age, and to-time and min-window as the fixes', () => {
    const entries = [entry('v2', '2026-12-07T20:00:00Z'), entry('v1', '2026-12-05T21:55:00Z')]
    expect(youngerThanWindow(entries, start, window)).toBe(
      "has no version at 2026-12-01T00:00:00.000Z, the start of 'min-window' 7d (it did not " +
        "exist yet: its first version is from 2026-12-05T21:55:00.000Z); give 'to-time' (that " +
        "time or a later one) or a shorter 'min-window' (at most 2d2h5m, its age)",
    )
  })

  it('a key under a minute old: min-window once it is a minute old', () => {
    const entries = [entry('v1', '2026-12-07T23:59:30Z')]
    expect(youngerThanWindow(entries, start, window)).toMatch(
      /give 'to-time' \(that time or a later one\) or a shorter 'min-window' once it is a minute old \(the shortest is 1m\)$/,
    )
  })
})

describe('11. the workflow could not be run after a restore', () => {
  const chain: ChainSettings = {
    workflow: 'combine-tilefy.yml',
    owner: 'usds',
    repo: 'justice40-tool',
    ref: 'refs/heads/main',
    inputs: { year: 2021, note: "it's back", dry: false },
    distinctIdInput: 'distinct_id',
    token: 'ghs_secret',
    apiUrl: 'https://api.github.com',
    wait: true,
    timeoutMs: 60_000,
    pollIntervalMs: 15_000,
  }
  const manifest = {
    bucket: 'justice40-data',
    target: { toTime: '2021-12-13T15:00:00Z' },
    dryRun: false,
    keys: [
      { action: 'restored' },
      { action: 'deleted' },
      { action: 'unchanged' },
    ] as Manifest['keys'],
  } satisfies Manifest
  const report = (extra: Partial<ChainReport> = {}): ChainReport => ({
    workflow: 'combine-tilefy.yml',
    repository: 'usds/justice40-tool',
    ref: 'refs/heads/main',
    ...extra,
  })
  const message = (e: unknown, r: ChainReport): string =>
    (afterRestore(e, chain, r, manifest) as Error).message

  it('the web address of each kind of API URL', () => {
    expect(webUrl('https://api.github.com')).toBe('https://github.com')
    expect(webUrl('https://ghes.example.com/api/v3')).toBe('https://ghes.example.com')
    expect(webUrl('https://api.octo.ghe.com')).toBe('https://octo.ghe.com')
    expect(webUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080')
  })

  it('gh workflow run, with the ref and inputs the action would send (not the distinct ID)', () => {
    expect(ghCommand(chain)).toBe(
      "gh workflow run combine-tilefy.yml --repo usds/justice40-tool --ref main -f year=2021 -f 'note=it'\\''s back' -f dry=false",
    )
    expect(ghCommand({ ...chain, apiUrl: 'https://ghes.example.com/api/v3', inputs: {} })).toBe(
      'gh workflow run combine-tilefy.yml --repo ghes.example.com/usds/justice40-tool --ref main',
    )
    expect(workflowPage({ ...chain, workflow: 16133500 })).toBe(
      'https://github.com/usds/justice40-tool/actions',
    )
  })

  it('before the dispatch: rolled back, and how to dispatch by hand', () => {
    const e = new ChainError('Listing runs of combine-tilefy.yml failed: no response (x)')
    const out = afterRestore(e, chain, report(), manifest)
    expect(out).toBeInstanceOf(ChainError)
    expect((out as Error).message.split('\n')).toEqual([
      'Listing runs of combine-tilefy.yml failed: no response (x)',
      'The rollback itself is done: 2 key(s) of s3://justice40-data rolled back (1 restored, 1 deleted).',
      'combine-tilefy.yml was not dispatched. Dispatch it by hand:',
      `  ${ghCommand(chain)}`,
      'or in GitHub: Actions → combine-tilefy.yml → Run workflow (https://github.com/usds/justice40-tool/actions/workflows/combine-tilefy.yml)',
    ])
  })

  it('a dispatch refused (4xx) was not dispatched; one unanswered (5xx, none) may have been', () => {
    const sending = report({ dispatch: 'sending' })
    expect(message(new ChainError('x', 422), sending)).toContain('was not dispatched')
    expect(message(new ChainError('x', 502), sending)).toContain('may have been dispatched')
    expect(message(new ChainError('x'), sending)).toContain('may have been dispatched')
  })

  it('dispatched and not found: look for it; a known run: nothing more to run', () => {
    expect(message(new ChainError('x'), report({ dispatch: 'sent' }))).toMatch(
      /was dispatched, but its run was not identified: look for it at https:\/\/github\.com\/.*before dispatching it again\.$/,
    )
    const known = message(new ChainError('x'), report({ dispatch: 'sent', runUrl: 'u', runId: 1 }))
    expect(known.split('\n')).toHaveLength(2)
    expect(known).not.toContain('gh workflow run')
  })

  it('only a ChainError is reworded', () => {
    const bug = new TypeError('bug')
    expect(afterRestore(bug, chain, report(), manifest)).toBe(bug)
  })
})
