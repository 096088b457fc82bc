import { describe, expect, it } from '@jest/globals'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

// The folders of src/ are layers: a module imports only from its own layer or lower ones, and
// no module reaches itself through its imports.
const src = fileURLToPath(new URL('../src/', import.meta.url))
const RANK: Record<string, number> = {
  lib: 0,
  settings: 1,
  s3: 2,
  history: 3,
  engine: 4,
  chain: 4,
  snapshot: 5,
  verify: 5,
  report: 6,
  action: 7,
  cli: 7,
}

const files = readdirSync(src, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replaceAll('\\', '/'))
  .sort()

/** The src-relative files a module imports (relative specifiers only). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(src, file), 'utf8')
  return [...text.matchAll(/^(?:import|export)[^'"]*?from '(\.{1,2}\/[^']+)\.js'/gm)].map((m) =>
    relative(src, resolve(dirname(join(src, file)), `${m[1]}.ts`)).replaceAll('\\', '/'),
  )
}
const layer = (file: string): string => file.split('/')[0]

describe('source layout', () => {
  it('every module is in a known layer folder', () => {
    expect(files.length).toBeGreaterThan(40)
    expect(files.filter((f) => !(layer(f) in RANK))).toEqual([])
  })

  it('no module imports from a higher layer', () => {
    const upward = files.flatMap((f) =>
      importsOf(f)
        .filter((to) => RANK[layer(to)] > RANK[layer(f)])
        .map((to) => `${f} -> ${to}`),
    )
    expect(upward).toEqual([])
  })

  it('the engine is entered only by its front door, engine/index.ts', () => {
    const inward = files.flatMap((f) =>
      importsOf(f)
        .filter((to) => layer(f) !== 'engine' && layer(to) === 'engine')
        .filter((to) => to !== 'engine/index.ts')
        .map((to) => `${f} -> ${to}`),
    )
    expect(inward).toEqual([])
    expect(files.filter((f) => importsOf(f).includes('engine/index.ts')).length).toBeGreaterThan(5)
  })

  it('there is no import cycle', () => {
    const graph = new Map(files.map((f) => [f, importsOf(f)]))
    const cycles: string[] = []
    const state = new Map<string, 'open' | 'done'>()
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 'done') return
      if (state.get(f) === 'open') {
        cycles.push([...path.slice(path.indexOf(f)), f].join(' -> '))
        return
      }
      state.set(f, 'open')
      for (const to of graph.get(f) ?? []) visit(to, [...path, f])
      state.set(f, 'done')
    }
    for (const f of files) visit(f, [])
    expect(cycles).toEqual([])
  })

  it('only the action layer imports @actions/core', () => {
    const users = files.filter((f) =>
      /from '@actions\/core'/.test(readFileSync(join(src, f), 'utf8')),
    )
    expect(users.every((f) => layer(f) === 'action')).toBe(true)
    expect(users.length).toBeGreaterThan(0)
  })
})
