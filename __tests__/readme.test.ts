import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'

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
