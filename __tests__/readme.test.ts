import { describe, expect, it } from '@jest/globals'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { EXIT_CODES } from '../src/cli/exit.js'
import { commandHelp } from '../src/cli/help.js'

const root = new URL('../', import.meta.url)
const action = parse(readFileSync(new URL('action.yml', root), 'utf8')) as {
  inputs: Record<string, { default?: string; required?: boolean }>
  outputs: Record<string, unknown>
  runs: { using: string; main: string }
}
const readme = readFileSync(new URL('README.md', root), 'utf8')

/** The rows of the README table between two markers: first cell (unquoted) → last cell. */
function table(section: string): Map<string, string> {
  const start = readme.indexOf(`<!-- ${section}-start -->`)
  const end = readme.indexOf(`<!-- ${section}-end -->`)
  expect(start).toBeGreaterThan(-1)
  const rows = readme
    .slice(start, end)
    .split('\n')
    .filter((l) => /^\| `/.test(l))
    .map((l) => l.split('|').map((c) => c.trim()))
  return new Map(rows.map((cells) => [cells[1].replace(/`/g, ''), cells[cells.length - 2]]))
}

describe('README matches action.yml', () => {
  it('runs on node24 from dist/index.js', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' })
  })

  it('lists every input with its default', () => {
    const rows = table('inputs')
    expect([...rows.keys()].sort()).toEqual(Object.keys(action.inputs).sort())
    for (const [name, input] of Object.entries(action.inputs)) {
      const expected =
        input.default && !input.default.startsWith('${{') ? `\`${input.default}\`` : ''
      if (!input.default?.startsWith('${{'))
        expect(`${name}: ${rows.get(name)}`).toBe(`${name}: ${expected}`)
    }
  })

  it('lists every output', () => {
    expect([...table('outputs').keys()].sort()).toEqual(Object.keys(action.outputs).sort())
  })
})

describe('README matches the CLI', () => {
  it('has the exit-code table of the code (and of --help)', () => {
    const start = readme.indexOf('<!-- exit-codes-start -->')
    expect(start).toBeGreaterThan(-1)
    const rows = readme
      .slice(start, readme.indexOf('<!-- exit-codes-end -->'))
      .split('\n')
      .filter((l) => /^\| \d/.test(l))
      .map((l) => l.split('|').map((c) => c.trim()))
      .map(([, code, meaning]) => ({ code: Number(code), meaning }))
    expect(rows).toEqual(EXIT_CODES)
    const help = commandHelp('restore').replace(/\s+/g, ' ')
    for (const { code, meaning } of EXIT_CODES) expect(help).toContain(`${code} ${meaning}`)
  })
})

/** GitHub's anchor for a heading: lowercase, punctuation other than hyphens and spaces dropped,
 * spaces → hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}

/** The lines of a markdown text outside fenced code blocks. */
function prose(text: string): string[] {
  let fenced = false
  return text.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced
    else return !fenced
    return false
  })
}

/** The anchors GitHub gives the headings of a markdown text (a repeated one gets -1, -2, …). */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>()
  const result = new Set<string>()
  for (const line of prose(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!m) continue
    const base = slug(m[1])
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    result.add(n === 0 ? base : `${base}-${n}`)
  }
  return result
}

/** Relative links of a markdown text (outside code) that lead nowhere: `target (why)`. */
function brokenLinks(file: string, text: string, read: (path: string) => string): string[] {
  const broken: string[] = []
  for (const line of prose(text)) {
    const code = line.replace(/`[^`]*`/g, '')
    for (const [, target] of code.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // https:, mailto:
      const [path, fragment = ''] = target.split('#', 2)
      const resolved = path === '' ? file : join(dirname(file), decodeURIComponent(path))
      if (!existsSync(resolved)) {
        broken.push(`${target} (no such file)`)
      } else if (fragment !== '' && resolved.endsWith('.md')) {
        if (!anchors(read(resolved)).has(decodeURIComponent(fragment).toLowerCase()))
          broken.push(`${target} (no such heading)`)
      }
    }
  }
  return broken
}

describe('links in README.md and docs/', () => {
  const rootDir = fileURLToPath(root)
  const docs = readdirSync(join(rootDir, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(rootDir, 'docs', f))
  const files = [join(rootDir, 'README.md'), ...docs]
  const read = (path: string): string => readFileSync(path, 'utf8')

  it('slugs headings the way GitHub does', () => {
    expect(slug('How it works, and what memory it needs')).toBe(
      'how-it-works-and-what-memory-it-needs',
    )
    expect(slug('For `mode: verify`')).toBe('for-mode-verify')
    expect(slug('2. A prefix of 5,000 small objects: the engine vs `rclone sync`')).toBe(
      '2-a-prefix-of-5000-small-objects-the-engine-vs-rclone-sync',
    )
    expect([...anchors('# A\n## Outputs\n```\n# not a heading\n```\n### Outputs\n')]).toEqual([
      'a',
      'outputs',
      'outputs-1',
    ])
  })

  it('finds broken links (so the check below can fail)', () => {
    const file = join(rootDir, 'README.md')
    const text = [
      '[ok](docs/semantics.md#how-a-rollback-works) [top](#) [web](https://example.com/x.md)',
      '[gone](docs/missing.md) [bad anchor](#no-such-heading) [bad](docs/prefix.md#nowhere)',
      '`[in code](nowhere.md)`',
      '```',
      '[in a fence](nowhere.md)',
      '```',
    ].join('\n')
    expect(brokenLinks(file, text, read)).toEqual([
      'docs/missing.md (no such file)',
      '#no-such-heading (no such heading)',
      'docs/prefix.md#nowhere (no such heading)',
    ])
  })

  it.each(files.map((f) => relative(rootDir, f)))(
    '%s: every relative link points to a file and heading that exist',
    (name) => {
      const file = join(rootDir, name)
      expect(brokenLinks(file, read(file), read)).toEqual([])
    },
  )

  it('README links to every file in docs/', () => {
    const linked = prose(readme).join('\n')
    for (const doc of docs) expect(linked).toContain(`](${relative(rootDir, doc)}`)
  })
})
