// A small randomized fault soak (bench/soak-run.ts; `npm run soak` runs 200): the bundled CLI
// (dist/cli/index.js) under faults, SIGKILL and retry-exhausting schedules, in keys and prefix
// mode, with every invariant checked against the real server after every run.
import { describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { summarize } from '../bench/soak-report.js'
import { soak } from '../bench/soak-run.js'
import type { RunChoice } from '../bench/soak-types.js'
import { actionNode } from './helpers/action.js'

const cli = fileURLToPath(new URL('../dist/cli/index.js', import.meta.url))

/**
 * Keys and prefix; failures that must be put back; a kill; a cancel; multipart restores; two runs
 * into another bucket.
 */
const RUNS: RunChoice[] = [
  { mode: 'keys', kind: 'key-down', multipart: false, keys: 20, staged: false },
  { mode: 'prefix', kind: 'lost-answers', multipart: false, keys: 20, staged: false },
  { mode: 'prefix', kind: 'kill', multipart: false, keys: 20, staged: false },
  { mode: 'keys', kind: 'random', multipart: true, keys: 20, staged: false },
  { mode: 'prefix', kind: 'phase', multipart: false, keys: 20, staged: false },
  { mode: 'keys', kind: 'random', multipart: false, keys: 20, staged: false },
  { mode: 'prefix', kind: 'cancel', multipart: false, keys: 20, staged: false },
  // restored into another bucket (--destination): put back there, the source never written
  { mode: 'prefix', kind: 'key-down', multipart: false, keys: 20, staged: true },
  { mode: 'keys', kind: 'cancel', multipart: false, keys: 20, staged: true },
]

describe('randomized fault soak (small)', () => {
  it('keeps every invariant, and failed runs put back what they changed', async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run bundle\` first`)
    const options = {
      runs: RUNS.length,
      seed: 20261123,
      modes: ['keys', 'prefix'] as const,
      node: actionNode,
      cli,
      parallel: 2,
      choose: (run: number) => RUNS[run - 1],
    }
    const report = await soak(options)
    console.log(summarize(report, options))

    expect(report.violations.map((v) => `#${v.run} ${v.invariant}: ${v.detail}`)).toEqual([])
    expect(report.runs).toHaveLength(RUNS.length)
    // The failure path ran: a run failed after it had written, and (no violation) put back.
    const putBack = report.runs.filter((r) => !r.killed && r.exit !== 0 && r.added > 0)
    expect(putBack.length).toBeGreaterThan(0)
    // Staged runs ran, and one failed after writing into its destination and put it back.
    const staged = report.runs.filter((r) => r.staged)
    expect(staged).toHaveLength(2)
    expect(staged.some((r) => !r.killed && r.exit !== 0 && r.added > 0)).toBe(true)
    // Multipart restores ran.
    expect(report.runs.some((r) => r.multipart && (r.ops['PUT part-copy'] ?? 0) > 0)).toBe(true)
  }, 900_000)
})
