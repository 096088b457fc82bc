// The staged rollback example (stage, check, then swap): the order of its jobs, who may write
// what, and that each step of the action gets only inputs action.yml declares, with values the
// action accepts once GitHub has put the workflow's expressions in.
import { afterAll, describe, expect, it } from '@jest/globals'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { parseSettings } from '../src/settings/index.js'
import { inputReader } from './helpers/builders.js'

const root = new URL('../', import.meta.url)
const content = readFileSync(new URL('.github/workflows/rollback-staged.yml', root), 'utf8')
const action = parse(readFileSync(new URL('action.yml', root), 'utf8')) as {
  inputs: Record<string, unknown>
}

interface Step {
  id?: string
  uses?: string
  with?: Record<string, string | number | boolean>
}
interface Job {
  needs?: string
  environment?: string
  permissions: Record<string, string>
  steps: Step[]
}
const workflow = parse(content) as {
  env: Record<string, string>
  jobs: Record<string, Job>
}

const rollbackStep = (job: string): Step => {
  const step = workflow.jobs[job].steps.find((s) => s.uses?.startsWith('usds/s3-rollback@'))
  if (!step) throw new Error(`${job} has no s3-rollback step`)
  return step
}

/** The runner's temp folder, with the plan the plan job uploaded, downloaded by the swap. */
const runnerTemp = mkdtempSync(join(tmpdir(), 's3-rollback-staged-'))
mkdirSync(join(runnerTemp, 'plan'))
writeFileSync(join(runnerTemp, 'plan', 'plan.s3rollback.jsonl'), '')
afterAll(() => rmSync(runnerTemp, { recursive: true, force: true }))

/**
 * The step's inputs as the runner would pass them for a form that asked for a time: the
 * workflow's expressions put in by hand for that case.
 */
function inputsFor(job: string, toTime: string): Record<string, string> {
  const values: Record<string, string> = {
    '${{ env.BUCKET }}': workflow.env.BUCKET,
    '${{ env.STAGING }}': workflow.env.STAGING,
    "${{ inputs.to-time == '' && inputs.to-snapshot || '' }}": '',
    '${{ inputs.to-time }}': toTime,
    "${{ inputs.to-time != '' && env.PIPELINE_KEYS || '' }}": workflow.env.PIPELINE_KEYS,
    '${{ github.event.repository.default_branch }}': 'main',
    '${{ runner.temp }}': runnerTemp,
  }
  const out: Record<string, string> = {}
  for (const [name, raw] of Object.entries(rollbackStep(job).with ?? {})) {
    let value = String(raw)
    for (const [expression, replacement] of Object.entries(values)) {
      value = value.split(expression).join(replacement)
    }
    expect(`${name}: ${value}`).not.toContain('${{')
    out[name] = value
  }
  return out
}

describe('.github/workflows/rollback-staged.yml', () => {
  it('stages, then plans, then swaps after approval', () => {
    expect(workflow.jobs.plan.needs).toBe('stage')
    expect(workflow.jobs.swap.needs).toBe('plan')
    expect(workflow.jobs.swap.environment).toBe('s3-rollback')
    expect(workflow.jobs.stage.environment).toBeUndefined()
  })

  it('gives the action only inputs action.yml declares', () => {
    for (const job of ['stage', 'plan', 'swap']) {
      for (const name of Object.keys(rollbackStep(job).with ?? {})) {
        expect(`${job}: ${name} ${name in action.inputs}`).toBe(`${job}: ${name} true`)
      }
    }
  })

  it('restores into the staging prefix, and tells the pipeline to read it', () => {
    const stage = parseSettings(
      inputReader({ ...inputsFor('stage', '2021-12-13T15:00:00Z'), 'github-token': 't' }),
      { env: { GITHUB_REPOSITORY: 'usds/justice40-tool', GITHUB_REF: 'refs/heads/main' } },
    )
    expect(stage.destination).toEqual({ bucket: 'justice40-data-staging', prefix: 'staging/' })
    expect(stage.ifMissing).toBe('delete')
    expect(stage.keys).toEqual([
      'data-sources/census.zip',
      'data-pipeline/data/score/csv/tiles/usa.csv',
    ])
    expect(stage.chain).toMatchObject({
      workflow: 'combine-tilefy.yml',
      inputs: { 'data-root': 's3://justice40-data-staging/staging/' },
      wait: true,
    })
  })

  it('plans the same target in place, and the swap applies exactly that plan', () => {
    const plan = parseSettings(inputReader(inputsFor('plan', '2021-12-13T15:00:00Z')))
    expect(plan.destination).toBeUndefined()
    expect(plan.dryRun).toBe(true)
    expect(plan.target).toMatchObject({ kind: 'time', text: '2021-12-13T15:00:00Z' })
    const swap = parseSettings(inputReader({ ...inputsFor('swap', ''), 'github-token': 't' }), {
      env: { GITHUB_REPOSITORY: 'usds/justice40-tool', GITHUB_REF: 'refs/heads/main' },
    })
    expect(swap.target).toEqual({
      kind: 'plan',
      file: join(runnerTemp, 'plan', 'plan.s3rollback.jsonl'),
    })
    expect(swap.destination).toBeUndefined()
  })

  it('lets only the swap write the live bucket, and only after approval', () => {
    expect(workflow.jobs.stage.steps[0].with?.['role-to-assume']).toContain('STAGE_ROLE')
    expect(workflow.jobs.plan.steps[0].with?.['role-to-assume']).toContain('READ_ROLE')
    const swapRole = workflow.jobs.swap.steps.find((s) => s.uses?.startsWith('aws-actions/'))
    expect(swapRole?.with?.['role-to-assume']).toContain('WRITE_ROLE')
  })
})
