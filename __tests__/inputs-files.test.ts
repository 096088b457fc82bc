// keys-file and version-ids-file: the same lines and checks as keys and version-ids, from a file.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { parseCli } from '../src/cli/args.js'
import { inputErrorText } from '../src/cli/wording.js'
import { InputError } from '../src/lib/errors.js'
import { parseSettings, type Settings } from '../src/settings/index.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 's3-rollback-lists-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Writes `text` to a file in the test's directory; returns its absolute path. */
function file(name: string, text: string | Buffer): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

const parse = (inputs: Record<string, string>, env: Record<string, string> = {}): Settings =>
  parseSettings((name) => inputs[name] ?? '', { env })

function errorOf(inputs: Record<string, string>, env: Record<string, string> = {}): InputError {
  try {
    parse(inputs, env)
  } catch (e) {
    if (e instanceof InputError) return e
    throw e
  }
  throw new Error('no error')
}

const TIME = '2021-12-13T15:00:00Z'

describe('version-ids-file', () => {
  it('reads key=versionId lines: blank lines, CRLF, spaces, a byte order mark, null and key=', () => {
    const path = file('undo.txt', '\uFEFFa.csv=v1\r\n\r\n  b.csv = null \r\nc.csv=\nx=y.csv=v2')
    const s = parse({ bucket: 'b-1', 'version-ids-file': path, 'if-missing': 'delete' })
    expect(s.keys).toEqual(['a.csv', 'b.csv', 'c.csv', 'x=y.csv'])
    expect(s.target).toEqual({
      kind: 'versions',
      versions: new Map([
        ['a.csv', 'v1'],
        ['b.csv', 'null'],
        ['c.csv', null],
        ['x=y.csv', 'v2'],
      ]),
    })
  })

  it('gives the same settings as the same lines inline', () => {
    const lines = 'a.csv=v1\nb.csv=\nc.csv=null'
    const inline = parse({ bucket: 'b-1', 'version-ids': lines })
    const fromFile = parse({ bucket: 'b-1', 'version-ids-file': file('same.txt', `${lines}\n`) })
    expect(fromFile).toEqual(inline)
  })

  it('resolves a relative path against GITHUB_WORKSPACE, else the current directory', () => {
    mkdirSync(join(dir, 'ws', 'undo'), { recursive: true })
    file('ws/undo/undo.txt', 'a.csv=v1\n')
    const s = parse(
      { bucket: 'b-1', 'version-ids-file': 'undo/undo.txt' },
      { GITHUB_WORKSPACE: join(dir, 'ws') },
    )
    expect(s.keys).toEqual(['a.csv'])
    const fromCwd = relative(process.cwd(), join(dir, 'ws', 'undo', 'undo.txt'))
    expect(parse({ bucket: 'b-1', 'version-ids-file': fromCwd }).keys).toEqual(['a.csv'])
  })

  it('names the file and the line number of a bad line', () => {
    const path = file('bad.txt', 'a.csv=v1\n\nno-equals-sign\n')
    const e = errorOf({ bucket: 'b-1', 'version-ids-file': path })
    expect(e.input).toBe('version-ids-file')
    expect(e.value).toBe(`${path} line 3: no-equals-sign`)
    expect(e.message).toContain('one key=versionId line per key')
  })

  it('names both lines of a key listed twice', () => {
    const path = file('twice.txt', 'a.csv=v1\nb.csv=v2\n\na.csv=v3\n')
    const e = errorOf({ bucket: 'b-1', 'version-ids-file': path })
    expect(e.input).toBe('version-ids-file')
    expect(e.value).toBe(`${path} line 4: a.csv=v3`)
    expect(e.expected).toBe('each key once (this key is listed twice: lines 1 and 4)')
  })

  it.each([
    ['a missing file', 'missing.txt', 'ENOENT'],
    ['a directory', '.', 'EISDIR'],
  ])('refuses %s, naming the input, the path and what was expected', (_what, name, code) => {
    const path = join(dir, name)
    const e = errorOf({ bucket: 'b-1', 'version-ids-file': path })
    expect(e.input).toBe('version-ids-file')
    expect(e.value).toBe(path)
    expect(e.expected).toContain('the path of a readable file of key=versionId lines')
    expect(e.expected).toContain('relative to the current directory')
    expect(e.expected).toContain(code)
  })

  it('says where a relative path was looked for', () => {
    const e = errorOf(
      { bucket: 'b-1', 'version-ids-file': 'undo.txt' },
      { GITHUB_WORKSPACE: '/nowhere/ws' },
    )
    expect(e.message).toContain('relative to GITHUB_WORKSPACE (/nowhere/ws)')
    expect(e.message).toContain('/nowhere/ws/undo.txt')
  })

  it('refuses a file without a line', () => {
    const path = file('empty.txt', '\n  \n')
    const e = errorOf({ bucket: 'b-1', 'version-ids-file': path })
    expect(e.input).toBe('version-ids-file')
    expect(e.expected).toContain('with at least one line')
  })

  it.each([
    [{ 'version-ids': 'a=v1' }, 'version-ids-file', 'inline or in a file, not both'],
    [{ prefix: 'data/', 'to-time': TIME }, 'version-ids-file', "when 'prefix' is set"],
    [{ 'to-time': TIME }, 'version-ids-file', 'exactly one target'],
    [{ 'to-snapshot': 'last-good' }, 'version-ids-file', "when 'to-snapshot' is set"],
    [{ 'plan-file': '/p/plan.jsonl' }, 'version-ids-file', "when 'plan-file' is set"],
    [{ mode: 'snapshot', snapshot: 'x', keys: 'a' }, 'version-ids-file', "mode 'snapshot'"],
  ])('refuses it with %j, before reading it', (others, input, message) => {
    const e = errorOf({ bucket: 'b-1', 'version-ids-file': join(dir, 'not-read.txt'), ...others })
    expect(e.input).toBe(input)
    expect(e.message).toContain(message)
  })

  it('with keys, checks that both list the same keys (naming both inputs)', () => {
    const path = file('two.txt', 'a=v1\nb=v2\n')
    expect(parse({ bucket: 'b-1', keys: 'b\na', 'version-ids-file': path }).keys).toEqual([
      'a',
      'b',
    ])
    const e = errorOf({ bucket: 'b-1', keys: 'a\nc', 'version-ids-file': path })
    expect(e.input).toBe('keys')
    expect(e.value).toBe('c, b')
    expect(e.expected).toBe("the same keys as 'version-ids-file' (or leave 'keys' empty)")
  })

  it('is a target of verify (not the start of the window)', () => {
    const path = file('verify.txt', 'a=v1\n')
    const s = parse({ bucket: 'b-1', mode: 'verify', 'version-ids-file': path })
    expect(s.verify?.atWindowStart).toBe(false)
    expect(s.target.kind).toBe('versions')
  })

  it('reads 100,000 lines, and lines cut by the read blocks (multi-byte characters too)', () => {
    const lines = Array.from(
      { length: 100_000 },
      (_, i) => `data/é/${String(i).padStart(6, '0')}.csv=${'v'.repeat(i % 50)}${i}`,
    )
    const path = file('large.txt', `${lines.join('\n')}\n`)
    const started = performance.now()
    const s = parse({ bucket: 'b-1', 'version-ids-file': path, 'if-missing': 'delete' })
    // linear: a quadratic step would take minutes (the bound leaves room for a loaded machine)
    expect(performance.now() - started).toBeLessThan(10_000)
    expect(s.keys.length).toBe(100_000)
    const versions = s.target.kind === 'versions' ? s.target.versions : new Map()
    expect(versions.get('data/é/099999.csv')).toBe(`${'v'.repeat(99_999 % 50)}99999`)
    expect(lines.every((l) => versions.get(l.slice(0, l.lastIndexOf('='))) !== undefined)).toBe(
      true,
    )
  })

  it('refuses a line longer than any key and version', () => {
    const path = file('long.txt', `a=v1\n${'k'.repeat(20_000)}=v2\n`)
    const e = errorOf({ bucket: 'b-1', 'version-ids-file': path })
    expect(e.value.startsWith(`${path} line 2: kkk`)).toBe(true)
    expect(e.value.length).toBeLessThan(path.length + 220)
    expect(e.expected).toContain('lines of at most')
  })
})

describe('keys-file', () => {
  it('reads one key a line, as keys', () => {
    const path = file('keys.txt', 'data-sources/census.zip\r\n\n  usa.csv  \n')
    const s = parse({ bucket: 'b-1', 'keys-file': path, 'to-time': TIME })
    expect(s.keys).toEqual(['data-sources/census.zip', 'usa.csv'])
    expect(s).toEqual(
      parse({ bucket: 'b-1', keys: 'data-sources/census.zip\nusa.csv', 'to-time': TIME }),
    )
  })

  it('names the file and both lines of a key listed twice', () => {
    const path = file('keys-twice.txt', 'a\nb\na\n')
    const e = errorOf({ bucket: 'b-1', 'keys-file': path, 'to-time': TIME })
    expect(e.input).toBe('keys-file')
    expect(e.value).toBe(`${path} line 3: a`)
    expect(e.expected).toBe('each object key once (this key is listed twice: lines 1 and 3)')
  })

  it('refuses a missing file and an empty one', () => {
    const missing = errorOf({ bucket: 'b-1', 'keys-file': join(dir, 'nope'), 'to-time': TIME })
    expect(missing.input).toBe('keys-file')
    expect(missing.expected).toContain('a readable file of object keys, one per line')
    const empty = errorOf({ bucket: 'b-1', 'keys-file': file('none', ''), 'to-time': TIME })
    expect(empty.expected).toContain('with at least one line')
  })

  it.each([
    [{ keys: 'a' }, 'inline or in a file, not both'],
    [{ prefix: 'data/' }, "when 'prefix' is set"],
    [{ 'plan-file': '/p/plan.jsonl', 'to-time': '' }, "when 'plan-file' is set"],
  ])('refuses it with %j', (others, message) => {
    const e = errorOf({ bucket: 'b-1', 'keys-file': join(dir, 'k'), 'to-time': TIME, ...others })
    expect(e.input).toBe('keys-file')
    expect(e.message).toContain(message)
  })

  it('feeds a snapshot of listed keys', () => {
    const path = file('snap-keys.txt', 'a\nb\n')
    const s = parse({ bucket: 'b-1', mode: 'snapshot', snapshot: 'last-good', 'keys-file': path })
    expect(s.keys).toEqual(['a', 'b'])
  })
})

describe('the CLI flags', () => {
  it('--version-ids-file and --keys-file reach the same settings', () => {
    const versions = file('cli-undo.txt', 'a=v1\nb=\n')
    const cli = parseCli(['restore', '--bucket', 'b-1', '--version-ids-file', versions])
    if (cli.command !== 'restore') throw new Error(cli.command)
    expect(parseSettings(cli.read).keys).toEqual(['a', 'b'])
    const keys = file('cli-keys.txt', 'a\n')
    const verify = parseCli(['verify', '--bucket', 'b-1', '--keys-file', keys, '--to-time', TIME])
    if (verify.command !== 'verify') throw new Error(verify.command)
    expect(parseSettings(verify.read).keys).toEqual(['a'])
  })

  it('name the flag in errors', () => {
    const both = parseCli([
      'restore',
      '--bucket',
      'b-1',
      '--version-id',
      'a=1',
      '--version-ids-file',
      'u.txt',
    ])
    if (both.command !== 'restore') throw new Error(both.command)
    let error: unknown
    try {
      parseSettings(both.read)
    } catch (e) {
      error = e
    }
    expect(inputErrorText(error as InputError)).toBe(
      '--version-ids-file has an invalid value "u.txt": expected to be empty when ' +
        '--version-id/--version-ids is set: give the list inline or in a file, not both.',
    )
  })
})
