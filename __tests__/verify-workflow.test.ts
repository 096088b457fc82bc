// The example scheduled workflow: valid for GitHub's own parser, least privilege, and the action
// gets its inputs only through `with:` (each one an input action.yml declares).
import { describe, expect, it } from '@jest/globals'
import {
  NoOperationTraceWriter,
  convertWorkflowTemplate,
  parseWorkflow,
} from '@actions/workflow-parser'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'

const root = new URL('../', import.meta.url)
const name = '.github/workflows/verify-snapshots.yml'
const content = readFileSync(new URL(name, root), 'utf8')
const action = parse(readFileSync(new URL('action.yml', root), 'utf8')) as {
  inputs: Record<string, unknown>
}

interface Step {
  uses?: string
  with?: Record<string, string>
  env?: unknown
}
const workflow = parse(content) as {
  on: Record<string, unknown>
  permissions: Record<string, string>
  jobs: Record<string, { if?: string; permissions?: unknown; steps: Step[] }>
}

describe(name, () => {
  it("parses without errors with GitHub's workflow parser", async () => {
    const result = parseWorkflow({ name, content }, new NoOperationTraceWriter())
    expect(result.context.errors.getErrors().map((e) => e.message)).toEqual([])
    if (!result.value) throw new Error('the parser returned no template')
    const template = await convertWorkflowTemplate(result.context, result.value)
    expect(template.errors ?? []).toEqual([])
  })

  it('runs on a schedule and by hand, with least privilege', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['schedule', 'workflow_dispatch'])
    expect(workflow.permissions).toEqual({ contents: 'read', 'id-token': 'write' })
    expect(workflow.jobs.verify.permissions).toBeUndefined()
  })

  it('assumes a role by OIDC, then verifies with inputs given only through with:', () => {
    const [credentials, verify] = workflow.jobs.verify.steps
    expect(credentials.uses).toMatch(/^aws-actions\/configure-aws-credentials@/)
    expect(credentials.with?.['role-to-assume']).toBeDefined()
    expect(credentials.with?.['aws-access-key-id']).toBeUndefined()
    expect(verify.uses).toMatch(/s3-rollback@/)
    expect(verify.env).toBeUndefined()
    expect(verify.with?.mode).toBe('verify')
    for (const input of Object.keys(verify.with ?? {})) {
      expect(`${input}: ${input in action.inputs}`).toBe(`${input}: true`)
    }
  })
})
