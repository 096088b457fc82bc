import { describe, expect, it } from '@jest/globals'
import { readFile } from 'node:fs/promises'
import { parse } from 'yaml'
import { DEFAULT_CONCURRENCY, DEFAULT_PART_CONCURRENCY } from '../src/settings/index.js'
import type { PrefixSummary } from '../src/engine/plan/manifest.js'
import { Inputs, Outputs } from '../src/settings/names.js'
import { prefixTotals } from '../src/report/rollback.js'

interface ActionYml {
  inputs: Record<string, { default?: string }>
  outputs: Record<string, unknown>
}

describe('prefix inputs and outputs are documented', () => {
  it('action.yml declares them with the defaults the code uses', async () => {
    const yml = parse(
      await readFile(new URL('../action.yml', import.meta.url), 'utf8'),
    ) as ActionYml
    expect(yml.inputs[Inputs.Prefix]?.default).toBe('')
    expect(yml.inputs[Inputs.Concurrency]?.default).toBe(String(DEFAULT_CONCURRENCY))
    expect(yml.inputs[Inputs.PartConcurrency]?.default).toBe(String(DEFAULT_PART_CONCURRENCY))
    expect(Object.keys(yml.outputs)).toContain(Outputs.ManifestFile)
  })
})

describe('job summary of a prefix run', () => {
  const totals: PrefixSummary = {
    prefix: 'data/',
    keys: 5000,
    versions: 15000,
    restored: 2500,
    deleted: 3,
    unchanged: 2497,
    skipped: 0,
    written: 2503,
    manifestFile: '/runner/temp/s3-rollback-x/manifest.jsonl',
    keysOmitted: true,
  }

  it('gives the totals and where every key is listed', () => {
    expect(prefixTotals(totals)).toBe(
      'prefix data/: 5000 keys, 15000 versions: 2500 restored, 3 deleted, 2497 unchanged, ' +
        '0 skipped; 2503 written; every key is listed in /runner/temp/s3-rollback-x/manifest.jsonl',
    )
    expect(prefixTotals({ ...totals, prefix: '', keysOmitted: false })).toMatch(
      /^the whole bucket: .* 2503 written$/,
    )
  })
})
