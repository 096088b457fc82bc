/**
 * The CLI as a user installs it: `npm pack` of this checkout (dist/cli/ built by `npm run
 * bundle`), `npm i -g --prefix DIR` of the tarball, offline (the package depends on nothing),
 * then the installed `s3-rollback` found on PATH: --version, --help, a usage error's hint, a dry
 * run and a restore against the local S3 whose printed undo command is run as printed; `npx
 * --package` of the tarball; and the same install under the machine's Node 20, which gets one
 * line about its Node instead of the AWS SDK's eight-line warning.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { actionNode } from './helpers/action.js'
import { nodeBinary } from './helpers/node.js'
import {
  added,
  allVersions,
  client,
  endpoint,
  modifiedAt,
  newBucket,
  put,
  read,
  sleep,
} from './helpers/s3.js'

const root = new URL('..', import.meta.url).pathname
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string
}

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

let scratch: string
let prefix: string
let tarball: string
let packed: { filename: string; files: { path: string }[]; entryCount: number }
let s3: S3Client

/** Only what a user's shell has: the install's bin, a Node, the system; no NODE_OPTIONS. */
function env(node: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: [join(prefix, 'bin'), dirname(node), '/usr/bin', '/bin'].join(delimiter),
    HOME: scratch,
    npm_config_cache: join(scratch, 'npm-cache'),
    npm_config_update_notifier: 'false',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    ...(process.env.RUNNER_TEMP ? { RUNNER_TEMP: process.env.RUNNER_TEMP } : {}),
    ...extra,
  }
}

/** Runs a command line in a shell, as a user types it (`s3-rollback …` is found on PATH). */
async function sh(line: string, node = actionNode): Promise<Run> {
  const child = spawn('/bin/sh', ['-c', line], {
    cwd: scratch,
    env: env(node),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, stdout, stderr }
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, {
    cwd,
    env: env(actionNode),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

const local = (): string => `--endpoint-url ${endpoint()} --force-path-style`

beforeAll(() => {
  if (!existsSync(join(root, 'dist/cli/index.js'))) {
    throw new Error('dist/cli/index.js is missing: run `npm run bundle` first')
  }
  scratch = mkdtempSync(join(tmpdir(), 's3-rollback-pack-test-'))
  prefix = join(scratch, 'prefix')
  const out = npm(['pack', '--json', '--pack-destination', scratch], root)
  ;[packed] = JSON.parse(out) as (typeof packed)[]
  tarball = join(scratch, packed.filename)
  npm(['i', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', tarball], scratch)
  s3 = client()
}, 120_000)

afterAll(() => {
  s3?.destroy()
  if (scratch) rmSync(scratch, { recursive: true, force: true })
})

/** usa.csv with a good version, then a bad one; `at` is the good instant. */
async function corrupted(): Promise<{ bucket: string; at: string; good: string }> {
  const bucket = await newBucket(s3)
  const good = await put(s3, bucket, 'usa.csv', 'usa good')
  const at = await modifiedAt(s3, bucket, 'usa.csv', good)
  await sleep(20)
  await put(s3, bucket, 'usa.csv', 'usa bad')
  return { bucket, at, good }
}

describe('the packed CLI', () => {
  it('holds the CLI bundle, the README and the changelog, and depends on nothing', () => {
    expect(packed.filename).toBe(`s3-rollback-${version}.tgz`)
    expect(packed.files.map((f) => f.path).sort()).toEqual([
      'CHANGELOG.md',
      'README.md',
      'dist/cli/index.js',
      'dist/cli/licenses.txt',
      'dist/cli/package.json',
      'package.json',
    ])
    const installed = join(prefix, 'lib/node_modules')
    expect(readdirSync(installed)).toEqual(['s3-rollback'])
    expect(existsSync(join(installed, 's3-rollback/node_modules'))).toBe(false)
    const manifest = JSON.parse(
      readFileSync(join(installed, 's3-rollback/package.json'), 'utf8'),
    ) as { dependencies?: object; bin: object }
    expect(manifest.dependencies).toBeUndefined()
    expect(lstatSync(join(prefix, 'bin/s3-rollback')).isSymbolicLink()).toBe(true)
  })

  it('s3-rollback --version, on PATH', async () => {
    expect(await sh('s3-rollback --version')).toEqual({
      code: 0,
      stdout: `s3-rollback ${version}\n`,
      stderr: '',
    })
  })

  it('--help and COMMAND --help give usage lines that run as they are', async () => {
    const help = await sh('s3-rollback --help')
    expect({ code: help.code, stderr: help.stderr }).toEqual({ code: 0, stderr: '' })
    expect(help.stdout).toContain('\n  s3-rollback restore [flags]   roll keys')
    expect(help.stdout).toContain('\n  s3-rollback COMMAND --help ')
    const restore = await sh('s3-rollback restore --help')
    expect(restore.code).toBe(0)
    expect(restore.stdout).toContain('\n  s3-rollback restore --bucket B --prefix P --to-time T\n')
  })

  it('a usage error points at s3-rollback COMMAND --help', async () => {
    const run = await sh('s3-rollback restore --bucket')
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "s3-rollback: flag --bucket needs a value\nRun 's3-rollback restore --help' for usage.\n",
    })
  })

  it('restore --dry-run against the local S3: the plan, nothing written', async () => {
    const { bucket, at, good } = await corrupted()
    const before = await allVersions(s3, bucket)
    const run = await sh(
      `s3-rollback restore --bucket ${bucket} --key usa.csv --to-time ${at} --dry-run ${local()}`,
    )
    expect({ code: run.code, warnings: run.stderr.match(/.*[Ww]arning.*/g) }).toEqual({
      code: 0,
      warnings: null,
    })
    expect(run.stdout).toContain(`Dry run: plan for rolling back s3://${bucket} to ${at}`)
    expect(run.stdout).toMatch(new RegExp(`^usa\\.csv\\s+\\S+\\s+${good}\\s+.*would restore$`, 'm'))
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })

  it('restore prints an undo command that runs as printed', async () => {
    const { bucket, at } = await corrupted()
    const run = await sh(
      `s3-rollback restore --bucket ${bucket} --key usa.csv --to-time ${at} ${local()}`,
    )
    expect(run.code).toBe(0)
    expect(await read(s3, bucket, 'usa.csv')).toBe('usa good')
    const undo = /^To undo: (.*)$/m.exec(run.stdout)?.[1]
    expect(undo).toMatch(/^s3-rollback restore --bucket /)
    const undone = await sh(undo ?? 'false')
    expect(undone.code).toBe(0)
    expect(await read(s3, bucket, 'usa.csv')).toBe('usa bad')
  })

  it('npx --package of the tarball runs it, and its hints name the script in npx cache', async () => {
    const run = await sh(`npx --yes --offline --package ${tarball} s3-rollback restore --bucket`)
    expect(run.code).toBe(2)
    const hint = /^Run 'node (\S+) restore --help' for usage\.$/m.exec(run.stderr)
    expect(hint?.[1]).toMatch(/\/_npx\/[0-9a-f]+\/node_modules\/s3-rollback\/dist\/cli\/index\.js$/)
    expect(existsSync(hint?.[1] ?? '')).toBe(true)
  })
})

/** The machine's Node 20 (on PATH besides Node 24, or in /usr/local/bin, /usr/bin), else npx's. */
async function node20(): Promise<string> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/bin', '/usr/bin']
  for (const dir of dirs) {
    const node = join(dir, 'node')
    if (!existsSync(node)) continue
    const v = execFileSync(node, ['-p', 'process.version'], { encoding: 'utf8' }).trim()
    if (v.startsWith('v20.')) return node
  }
  return (await nodeBinary(20)).path
}

describe('the installed CLI under Node 20 (end of life; engines.node is >=22)', () => {
  let node: string
  beforeAll(async () => {
    node = await node20()
  }, 300_000)

  const NOTICE =
    /^s3-rollback: warning: Node v20\.\d+\.\d+ is past its end of life and not supported; use Node 22 or later \(this run goes on\)\.$/

  it('--version: the version, and one line about the Node', async () => {
    const run = await sh('s3-rollback --version', node)
    expect(run.code).toBe(0)
    expect(run.stdout).toBe(`s3-rollback ${version}\n`)
    expect(run.stderr.split('\n')).toEqual([expect.stringMatching(NOTICE), ''])
  })

  it('a dry run: the plan, and that one line instead of the SDK NodeVersionSupportWarning', async () => {
    const { bucket, at } = await corrupted()
    const before = await allVersions(s3, bucket)
    const run = await sh(
      `s3-rollback restore --bucket ${bucket} --key usa.csv --to-time ${at} --dry-run ${local()}`,
      node,
    )
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`Dry run: plan for rolling back s3://${bucket} to ${at}`)
    expect(run.stderr).not.toContain('NodeVersionSupportWarning')
    expect(run.stderr.split('\n').filter((l) => /warning/i.test(l))).toEqual([
      expect.stringMatching(NOTICE),
    ])
    expect(run.stderr.split('\n')[0]).toMatch(NOTICE)
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })
})
