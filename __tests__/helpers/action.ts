/** Runs the bundled action (dist/index.js) exactly as the runner does. */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parse } from 'yaml'

export interface ActionRun {
  code: number | null
  stdout: string
  outputs: Record<string, string>
  summary: string
}

/** The Node binary that runs the bundle: ACTION_NODE (Node 24, the runtime) or this one. */
export const actionNode = process.env.ACTION_NODE || process.execPath

/**
 * The checkout: two folders up from this file, or (compiled into build/ for the benchmarks)
 * the folder the command runs in.
 */
const root = existsSync(new URL('../../action.yml', import.meta.url))
  ? new URL('../../', import.meta.url)
  : pathToFileURL(`${process.cwd()}/`)

/** action.yml's defaults, as the runner passes them (no token outside a workflow run). */
function defaults(): Record<string, string> {
  const action = parse(readFileSync(new URL('action.yml', root), 'utf8')) as {
    inputs: Record<string, { default?: string }>
  }
  return Object.fromEntries(
    Object.entries(action.inputs).map(([name, { default: value = '' }]) => [
      name,
      value.startsWith('${{') ? '' : value,
    ]),
  )
}

export async function runAction(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<ActionRun> {
  return (await startAction(inputs, env)).done
}

/** A run of the bundle under way: its process (to signal it, as a runner cancels) and its end. */
export interface StartedAction {
  child: ChildProcess
  done: Promise<ActionRun>
}

/** Starts the bundled action as the runner does; `done` resolves once it exits and is read. */
export async function startAction(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<StartedAction> {
  // GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP of this run, removed once read
  const dir = await mkdtemp(join(tmpdir(), 's3-rollback-e2e-'))
  const outputFile = join(dir, 'output')
  const summaryFile = join(dir, 'summary')
  await writeFile(outputFile, '')
  await writeFile(summaryFile, '')
  const inputEnv: Record<string, string> = {}
  // The runner passes every input, with action.yml's default where the step gives none, and
  // keeps hyphens: `to-time` becomes INPUT_TO-TIME.
  for (const [name, value] of Object.entries({ ...defaults(), ...inputs })) {
    inputEnv[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
  const child = spawn(actionNode, ['dist/index.js'], {
    cwd: fileURLToPath(root),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      RUNNER_TEMP: dir,
      ...inputEnv,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (stdout += d.toString()))
  const done = (async (): Promise<ActionRun> => {
    try {
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
      return {
        code,
        stdout,
        outputs: parseOutputs(await readFile(outputFile, 'utf8')),
        summary: await readFile(summaryFile, 'utf8'),
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })()
  return { child, done }
}

/** Parses the `name<<DELIMITER` blocks that @actions/core writes to GITHUB_OUTPUT. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i])
    if (!m) continue
    const value: string[] = []
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i])
    outputs[m[1]] = value.join('\n')
  }
  return outputs
}
