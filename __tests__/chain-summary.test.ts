import { describe, expect, it } from '@jest/globals'
import { chainOutputs, type ChainReport } from '../src/chain/index.js'
import { downstream } from '../src/report/summary.js'

const base: ChainReport = {
  workflow: 'combine-tilefy.yml',
  repository: 'usds/justice40-tool',
  ref: 'main',
}

describe('the summary line of the downstream run', () => {
  it.each<[string, Partial<ChainReport>, string]>([
    [
      'a run that succeeded',
      { runId: 7, runUrl: 'https://github.com/u/r/actions/runs/7', conclusion: 'success' },
      '<strong>Downstream:</strong> <a href="https://github.com/u/r/actions/runs/7">combine-tilefy.yml run 7</a> in usds/justice40-tool on main: <strong>success</strong>',
    ],
    [
      'a run not waited for',
      { runId: 7, runUrl: 'https://x/7' },
      '<strong>Downstream:</strong> <a href="https://x/7">combine-tilefy.yml run 7</a> in usds/justice40-tool on main: <strong>started</strong>',
    ],
    [
      'a run that timed out while in progress',
      { runId: 7, runUrl: 'https://x/7', status: 'in_progress' },
      '<strong>Downstream:</strong> <a href="https://x/7">combine-tilefy.yml run 7</a> in usds/justice40-tool on main: <strong>in_progress (not waited for)</strong>',
    ],
    [
      'no run found',
      {},
      '<strong>Downstream:</strong> combine-tilefy.yml in usds/justice40-tool on main: no run identified',
    ],
    [
      'markup in a ref',
      { ref: 'a<b>"c"' },
      '<strong>Downstream:</strong> combine-tilefy.yml in usds/justice40-tool on a&lt;b&gt;"c": no run identified',
    ],
  ])('%s', (_name, report, html) => {
    expect(downstream({ ...base, ...report })).toBe(html)
  })
})

describe('chainOutputs', () => {
  it('are empty strings until known', () => {
    expect(chainOutputs(base)).toEqual([
      ['workflow-run-id', ''],
      ['workflow-run-url', ''],
      ['workflow-conclusion', ''],
    ])
    expect(chainOutputs({ ...base, runId: 9, runUrl: 'u', conclusion: 'cancelled' })).toEqual([
      ['workflow-run-id', '9'],
      ['workflow-run-url', 'u'],
      ['workflow-conclusion', 'cancelled'],
    ])
  })
})
