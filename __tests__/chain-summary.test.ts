import { describe, expect, it } from '@jest/globals'
import { chainOutputs, type ChainReport } from '../src/chain/index.js'
import { chainLine } from '../src/report/rollback.js'

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
      '<p><strong>Downstream:</strong> <a href="https://github.com/u/r/actions/runs/7">combine-tilefy.yml run 7</a> in usds/justice40-tool on main: success</p>',
    ],
    [
      'a run not waited for',
      { runId: 7, runUrl: 'https://x/7' },
      '<p><strong>Downstream:</strong> <a href="https://x/7">combine-tilefy.yml run 7</a> in usds/justice40-tool on main: started</p>',
    ],
    [
      'a run that timed out while in progress',
      { runId: 7, runUrl: 'https://x/7', status: 'in_progress' },
      '<p><strong>Downstream:</strong> <a href="https://x/7">combine-tilefy.yml run 7</a> in usds/justice40-tool on main: in_progress (not waited for)</p>',
    ],
    [
      'no run found',
      {},
      '<p><strong>Downstream:</strong> combine-tilefy.yml in usds/justice40-tool on main: no run identified</p>',
    ],
    [
      'markup in a ref',
      { ref: 'a<b>"c"' },
      '<p><strong>Downstream:</strong> combine-tilefy.yml in usds/justice40-tool on a&lt;b&gt;&quot;c&quot;: no run identified</p>',
    ],
  ])('%s', (_name, report, html) => {
    expect(chainLine({ ...base, ...report })).toBe(html)
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
