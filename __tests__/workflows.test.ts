/**
 * action.yml and every workflow in .github/workflows, checked with GitHub's own parser
 * (@actions/workflow-parser, the one behind the Actions language service), plus the rule that
 * no `run:` line interpolates workflow inputs (script injection).
 */
import { describe, expect, it } from '@jest/globals'
import {
  convertWorkflowTemplate,
  NoOperationTraceWriter,
  parseWorkflow,
} from '@actions/workflow-parser'
import { parseAction } from '@actions/workflow-parser/actions/index'
import { readdirSync, readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { Inputs, Outputs } from '../src/settings/names.js'

const root = new URL('../', import.meta.url)
const workflowDir = new URL('.github/workflows/', root)
const workflowFiles = readdirSync(workflowDir).filter((f) => /\.ya?ml$/.test(f))

/** Every error GitHub's parser reports for a workflow: syntax, schema, then conversion. */
async function workflowErrors(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter())
  const errors = parsed.context.errors.getErrors().map((e) => e.message)
  if (parsed.value === undefined) return errors.length > 0 ? errors : ['no workflow parsed']
  const template = await convertWorkflowTemplate(parsed.context, parsed.value)
  return [
    ...errors,
    ...(template.errors ?? []).map((e) => e.Message).filter((m) => !errors.includes(m)),
  ]
}

function actionErrors(name: string, content: string): string[] {
  const parsed = parseAction({ name, content }, new NoOperationTraceWriter())
  const errors = parsed.context.errors.getErrors().map((e) => e.message)
  return parsed.value === undefined && errors.length === 0 ? ['no action parsed'] : errors
}

describe("GitHub's parser", () => {
  it('finds the workflows to check', () => {
    expect(workflowFiles).toEqual(expect.arrayContaining(['rollback.yml', 'rollback-reusable.yml']))
  })

  it.each(workflowFiles)('accepts .github/workflows/%s', async (file) => {
    const content = readFileSync(new URL(file, workflowDir), 'utf8')
    expect(await workflowErrors(`.github/workflows/${file}`, content)).toEqual([])
  })

  it('accepts action.yml', () => {
    const content = readFileSync(new URL('action.yml', root), 'utf8')
    expect(actionErrors('action.yml', content)).toEqual([])
  })

  it('rejects broken files (so the checks above can fail)', async () => {
    const badWorkflow = [
      'on: workflow_dispatch',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    permissions: { actions: writ }',
      '    steps:',
      '      - uses: usds/s3-rollback@v1',
      '        with: { keys: "${{ inputs.keys" }',
    ].join('\n')
    expect((await workflowErrors('bad.yml', badWorkflow)).length).toBeGreaterThanOrEqual(2)
    const badAction = 'name: x\ndescription: y\nruns:\n  using: node8\n  main: dist/index.js\n'
    expect(actionErrors('action.yml', badAction).join('\n')).toContain('node8')
    const noMain = 'name: x\ndescription: y\nruns:\n  using: node24\n'
    expect(actionErrors('action.yml', noMain).join('\n')).toContain('main')
    expect(actionErrors('action.yml', 'name: x\ninputs: [1]\n').length).toBeGreaterThan(0)
  })
})

describe('action.yml', () => {
  const action = parseYaml(readFileSync(new URL('action.yml', root), 'utf8')) as {
    inputs: Record<string, { description: string; default?: string }>
    outputs: Record<string, { description: string }>
  }

  it('declares exactly the inputs and outputs of src/names.ts, each described', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(Object.values(Inputs).sort())
    expect(Object.keys(action.outputs).sort()).toEqual(Object.values(Outputs).sort())
    for (const { description } of [
      ...Object.values(action.inputs),
      ...Object.values(action.outputs),
    ]) {
      expect(description.length).toBeGreaterThan(10)
    }
  })

  it('defaults github-token to the job token', () => {
    expect(action.inputs['github-token'].default).toBe('${{ github.token }}')
  })
})

/** Every `run:` script in a workflow (jobs' steps), with where it is. */
function runScripts(workflow: unknown): { where: string; script: string }[] {
  const jobs = (workflow as { jobs?: Record<string, { steps?: { run?: string }[] }> }).jobs ?? {}
  return Object.entries(jobs).flatMap(([job, { steps = [] }]) =>
    steps
      .map((step, i) => ({ where: `${job} step ${i + 1}`, script: step.run }))
      .filter((s): s is { where: string; script: string } => typeof s.script === 'string'),
  )
}

/** Expressions that put user-controlled workflow inputs into a shell script. */
const INJECTION = /\$\{\{[^}]*\b(inputs\.|github\.event\.inputs\b|inputs\[)/

describe('no run: line interpolates workflow inputs', () => {
  it.each(workflowFiles)('.github/workflows/%s', (file) => {
    const workflow = parseYaml(readFileSync(new URL(file, workflowDir), 'utf8')) as unknown
    const offending = runScripts(workflow).filter((s) => INJECTION.test(s.script))
    expect(offending.map((s) => `${s.where}: ${s.script}`)).toEqual([])
  })

  it('the check catches both spellings', () => {
    const workflow = parseYaml(
      [
        'jobs:',
        '  a:',
        '    steps:',
        '      - run: echo "${{ inputs.keys }}"',
        '      - run: echo "${{ github.event.inputs.keys }}"',
        '      - run: echo "${{ inputs[\'to-time\'] }}"',
        '      - run: echo "$KEYS"',
        '        env: { KEYS: "${{ inputs.keys }}" }',
      ].join('\n'),
    ) as unknown
    expect(runScripts(workflow).filter((s) => INJECTION.test(s.script))).toHaveLength(3)
  })
})
