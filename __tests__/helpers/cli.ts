/** Runs the built CLI (dist/cli/index.js, built by `npm run bundle`) as a process. */
import { spawn } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { actionNode } from './action.js'

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

const root = new URL('../..', import.meta.url).pathname
const cli = new URL('../../dist/cli/index.js', import.meta.url).pathname

/**
 * `env` replaces the AWS credentials of this process when given (e.g. to test --profile).
 * `node` is the Node binary that runs the CLI: ACTION_NODE (Node 24) unless told otherwise.
 * The child gets only PATH, HOME, RUNNER_TEMP and these variables: no NODE_OPTIONS from jest.
 */
export async function runCli(
  args: string[],
  env?: Record<string, string>,
  node: string = actionNode,
): Promise<CliRun> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run bundle\` first`)
  const child = spawn(node, [cli, ...args], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      // the test file's own RUNNER_TEMP (helpers/runner-temp): what a run keeps is removed after
      ...(process.env.RUNNER_TEMP ? { RUNNER_TEMP: process.env.RUNNER_TEMP } : {}),
      ...(env ?? {
        AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
        AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
      }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, stdout, stderr }
}

/**
 * How the CLI names itself in hints and printed commands when run as runCli runs it, by the path
 * of its script (src/cli/invoked.ts): `node /abs/path/dist/cli/index.js`.
 */
export function cliLine(): string {
  return `node ${realpathSync(cli)}`
}
