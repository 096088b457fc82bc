/** Node binaries of a given major version, from scripts/node.sh (node@MAJOR on the npm registry). */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const root = new URL('../..', import.meta.url).pathname

export interface NodeBinary {
  path: string
  /** process.version of that binary, such as v22.23.3. */
  version: string
}

/** The machine's node if it is that major version, else one fetched once and cached by npx. */
export async function nodeBinary(major: number): Promise<NodeBinary> {
  const run = promisify(execFile)
  const env = { ...process.env }
  delete env.NODE_OPTIONS // jest's --experimental-vm-modules is not for these
  const { stdout } = await run('bash', ['scripts/node.sh', String(major)], {
    cwd: root,
    env,
    timeout: 240_000,
  })
  const path = stdout.trim()
  const version = (await run(path, ['-p', 'process.version'], { env })).stdout.trim()
  return { path, version }
}
