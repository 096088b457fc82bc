/**
 * End to end, as the runner does it: `node dist/index.js` with INPUT_* variables for every input
 * (the runner keeps hyphens: INPUT_WORKFLOW-INPUTS), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files,
 * GITHUB_API_URL pointing at the fake GitHub (every request and response checked against GitHub's
 * OpenAPI description), against the real local S3. Build the bundle first: npm run bundle.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { FakeGitHub, lifecycle, type FakeGitHubOptions } from './helpers/github.js'
import {
  allVersions,
  client,
  endpoint,
  modifiedAt,
  newBucket,
  put,
  read,
  sleep,
} from './helpers/s3.js'

const root = new URL('../', import.meta.url)
const bundle = new URL('dist/index.js', root).pathname
const TOKEN = 'ghs_e2eTokenThatMustNeverBeLogged'

let s3: S3Client
let fake: FakeGitHub | undefined

beforeAll(() => {
  s3 = client()
  if (!readFileSync(bundle, 'utf8').includes('return_run_details')) {
    throw new Error('dist/index.js does not chain workflows yet: run `npm run bundle` first')
  }
})
afterAll(() => s3?.destroy())
afterEach(async () => {
  const violations = fake?.violations ?? []
  await fake?.close()
  fake = undefined
  expect(violations).toEqual([])
})

/** Every input of action.yml with its default, as the runner passes them (token filled in). */
function defaultInputs(): Record<string, string> {
  const action = parseYaml(readFileSync(new URL('action.yml', root), 'utf8')) as {
    inputs: Record<string, { default?: string }>
  }
  return Object.fromEntries(
    Object.entries(action.inputs).map(([name, { default: value = '' }]) => [
      name,
      value === '${{ github.token }}' ? TOKEN : value,
    ]),
  )
}

interface ActionRun {
  code: number | null
  stdout: string
  outputs: Record<string, string>
  summary: string
}

/** Runs the bundle like the runner: a separate process, so the fake server keeps answering. */
async function runAction(inputs: Record<string, string>, apiUrl: string): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'chain-e2e-'))
  const outputFile = join(dir, 'output')
  const summaryFile = join(dir, 'summary')
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')
  const all = { ...defaultInputs(), ...inputs }
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY,
    AWS_REGION: 'us-east-1',
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_API_URL: apiUrl,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REPOSITORY: 'usds/justice40-tool',
    RUNNER_TEMP: dir,
    ...Object.fromEntries(
      Object.entries(all).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]),
    ),
  }
  const node = process.env.ACTION_NODE ?? process.execPath
  const child = spawn(node, [bundle], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  try {
    return {
      code,
      stdout,
      outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
      summary: readFileSync(summaryFile, 'utf8'),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The name<<delimiter blocks @actions/core writes to GITHUB_OUTPUT. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const re = /^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm
  for (const m of text.matchAll(re)) outputs[m[1]] = m[3]
  return outputs
}

/** A bucket whose key has a good version at `at` and a bad one after it. */
async function corrupted(): Promise<{ bucket: string; at: string; key: string }> {
  const bucket = await newBucket(s3)
  const key = 'data-pipeline/data/score/csv/tiles/usa.csv'
  const good = await put(s3, bucket, key, 'good score')
  const at = await modifiedAt(s3, bucket, key, good)
  await sleep(20)
  await put(s3, bucket, key, 'bad score')
  return { bucket, at, key }
}

async function startFake(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  fake = await new FakeGitHub({ token: TOKEN, ...options }).start()
  return fake
}

/** Runs that complete at once, so the real clock of the bundle never has to wait. */
const finished = (conclusion: string) => (t: number) => lifecycle(t, [[0, 'completed', conclusion]])

describe('node dist/index.js with a workflow to chain', () => {
  it('restores, dispatches, waits, and reports the run in outputs and summary', async () => {
    const { bucket, at, key } = await corrupted()
    const f = await startFake({
      lifecycle: finished('success'),
      workflow: { inputs: ['year'] },
    })
    const inputs = {
      bucket,
      keys: key,
      'to-time': at,
      'endpoint-url': endpoint(),
      'force-path-style': 'true',
      workflow: 'combine-tilefy.yml',
      'workflow-inputs': '{"year": "2021"}',
    }
    const result = await runAction(inputs, f.url)
    expect(result.code).toBe(0)
    // The token is registered as a secret (the runner masks it) and printed nowhere else.
    const lines = result.stdout.split('\n')
    expect(lines).toContain(`::add-mask::${TOKEN}`)
    expect(lines.filter((l) => l.includes(TOKEN))).toEqual([`::add-mask::${TOKEN}`])
    expect(await read(s3, bucket, key)).toBe('good score')
    const [run] = f.runs
    expect(f.calls('actions/create-workflow-dispatch')[0].body).toEqual({
      ref: 'refs/heads/main',
      inputs: { year: '2021' },
      return_run_details: true,
    })
    expect(result.outputs).toMatchObject({
      changed: '1',
      'workflow-run-id': String(run.id),
      'workflow-run-url': f.runHtmlUrl(run),
      'workflow-conclusion': 'success',
    })
    expect(result.summary).toContain(
      `<a href="${f.runHtmlUrl(run)}">combine-tilefy.yml run ${run.id}</a>`,
    )
    expect(result.summary).toContain(
      'in usds/justice40-tool on refs/heads/main: <strong>success</strong>',
    )
    expect(result.stdout).toContain('::group::Dispatching combine-tilefy.yml')

    // Again: every key is unchanged now, and the workflow still runs (it may be what failed).
    const again = await runAction(inputs, f.url)
    expect(again.code).toBe(0)
    expect(again.outputs.changed).toBe('0')
    expect(f.runs).toHaveLength(2)
    expect(again.outputs['workflow-run-id']).toBe(String(f.runs[1].id))
  })

  it('fails the step when the run fails, keeping the restore and reporting the run', async () => {
    const { bucket, at, key } = await corrupted()
    const f = await startFake({ lifecycle: finished('failure') })
    const result = await runAction(
      {
        bucket,
        keys: key,
        'to-time': at,
        'endpoint-url': endpoint(),
        'force-path-style': 'true',
        workflow: 'combine-tilefy.yml',
      },
      f.url,
    )
    const [run] = f.runs
    expect(result.code).toBe(1)
    expect(result.stdout).toContain(
      `::error::Run ${run.id} of combine-tilefy.yml concluded failure: ${f.runHtmlUrl(run)}`,
    )
    expect(await read(s3, bucket, key)).toBe('good score')
    expect(result.outputs).toMatchObject({
      changed: '1',
      'workflow-run-id': String(run.id),
      'workflow-conclusion': 'failure',
    })
    expect(result.summary).toContain('combine-tilefy.yml run')
    expect(result.summary).toContain(': <strong>failure</strong></p>')
    expect(result.summary).toContain('The step failed after the rollback')
  })

  it('finds the run by its distinct ID on GitHub Enterprise Server (no run details)', async () => {
    const { bucket, at, key } = await corrupted()
    const f = await startFake({
      spec: 'ghes-3.19',
      lifecycle: finished('success'),
      workflow: {
        inputs: ['distinct_id'],
        runName: (i) => `Combine and Tilefy [${String(i.distinct_id)}]`,
      },
      // Someone else's dispatch of the same workflow lands at the same moment as ours.
      onDispatch: (run, server) => {
        if (server.runs.length === 1) server.addRun({ createdAt: run.createdAt })
      },
    })
    const result = await runAction(
      {
        bucket,
        keys: key,
        'to-time': at,
        'endpoint-url': endpoint(),
        'force-path-style': 'true',
        workflow: '16133500',
        'workflow-ref': 'main',
        'workflow-distinct-id-input': 'distinct_id',
      },
      f.url,
    )
    expect(result.code).toBe(0)
    const mine = f.runs.find((r) => r.ours)
    expect(mine?.displayTitle).toMatch(/^Combine and Tilefy \[[0-9a-f-]{36}\]$/)
    expect(f.calls('actions/create-workflow-dispatch').map((r) => r.status)).toEqual([422, 204])
    expect(result.outputs['workflow-run-id']).toBe(String(mine?.id))
    expect(result.stdout).toContain('does not accept return_run_details')
    expect(result.stdout).toContain('found by its distinct ID')
  })

  it('rejects invalid workflow-inputs before anything is written or dispatched', async () => {
    const { bucket, at, key } = await corrupted()
    const before = await allVersions(s3, bucket)
    const f = await startFake()
    const result = await runAction(
      {
        bucket,
        keys: key,
        'to-time': at,
        'endpoint-url': endpoint(),
        'force-path-style': 'true',
        workflow: 'combine-tilefy.yml',
        'workflow-inputs': '{"year": 2021,}',
      },
      f.url,
    )
    expect(result.code).toBe(1)
    expect(result.stdout).toContain("::error::Input 'workflow-inputs' has an invalid value")
    expect(await allVersions(s3, bucket)).toHaveLength(before.length)
    expect(await read(s3, bucket, key)).toBe('bad score')
    expect(f.requests).toEqual([])
  })

  it('does not dispatch after a dry run', async () => {
    const { bucket, at, key } = await corrupted()
    const f = await startFake()
    const result = await runAction(
      {
        bucket,
        keys: key,
        'to-time': at,
        'endpoint-url': endpoint(),
        'force-path-style': 'true',
        'dry-run': 'true',
        workflow: 'combine-tilefy.yml',
      },
      f.url,
    )
    expect(result.code).toBe(0)
    expect(f.requests).toEqual([])
    expect(result.stdout).toContain('Dry run: combine-tilefy.yml is not dispatched.')
    expect(result.outputs['workflow-run-id']).toBeUndefined()
  })
})
