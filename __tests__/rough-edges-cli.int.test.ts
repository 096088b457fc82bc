// The rough edges a new user met in the built CLI (issue 20), each as they ran into it: against
// the real local S3, through dist/cli/index.js (build it first: npm run bundle).
import type { S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { actionNode } from './helpers/action.js'
import { cliLine } from './helpers/cli.js'
import { added, allVersions, client, endpoint, newBucket, put, read, sleep } from './helpers/s3.js'

const cli = new URL('../dist/cli/index.js', import.meta.url).pathname
const root = new URL('..', import.meta.url).pathname

let s3: S3Client
/** A scratch folder per test file: the CLI's TMPDIR and HOME, removed after. */
let scratch: string
beforeAll(async () => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run bundle\` first`)
  s3 = client()
  scratch = await mkdtemp(join(tmpdir(), 's3-rollback-edges-'))
})
afterAll(async () => {
  s3?.destroy()
  await rm(scratch, { recursive: true, force: true })
})

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

interface RunWith {
  /** Environment on top of PATH, HOME and the local S3's credentials ('' removes one). */
  env?: Record<string, string>
  /** Close our end of the CLI's stdout (and stderr) before it writes: a reader that went away. */
  close?: ('stdout' | 'stderr')[]
}

/**
 * Runs the built CLI with no RUNNER_TEMP (as in a terminal): its temporary folders go to TMPDIR,
 * a folder of this test's. Closed streams are destroyed at once, as `| head -1` does once it
 * has its line.
 */
async function runCli(args: string[], options: RunWith = {}): Promise<Run> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: join(scratch, 'home'),
    TMPDIR: join(scratch, 'tmp'),
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...options.env,
  }
  for (const [name, value] of Object.entries(env)) if (value === '') delete env[name]
  await mkdir(env.TMPDIR, { recursive: true })
  const child = spawn(actionNode, [cli, ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const closed = options.close ?? []
  if (closed.includes('stdout')) child.stdout.destroy()
  else child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  if (closed.includes('stderr')) child.stderr.destroy()
  else child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, stdout, stderr }
}

const local = (): string[] => ['--endpoint-url', endpoint(), '--force-path-style']

/** `n` keys under data/, each with a good version then a bad one; `at` is the good instant. */
async function corrupted(n = 2): Promise<{ bucket: string; at: string; keys: string[] }> {
  const bucket = await newBucket(s3)
  const keys = Array.from({ length: n }, (_, i) => `data/k${String(i).padStart(3, '0')}.csv`)
  for (const key of keys) await put(s3, bucket, key, `good ${key}`)
  const newest = (await allVersions(s3, bucket)).reduce(
    (t, e) => (e.lastModified > t ? e.lastModified : t),
    new Date(0),
  )
  await sleep(1100)
  for (const key of keys) await put(s3, bucket, key, `bad ${key}`)
  return { bucket, at: newest.toISOString(), keys }
}

async function everyKeyIs(bucket: string, keys: string[], prefix: string): Promise<boolean> {
  for (const key of keys) if ((await read(s3, bucket, key)) !== `${prefix} ${key}`) return false
  return true
}

/** The s3-rollback-* folders a run left in the CLI's TMPDIR, each with its files. */
async function leftInTmp(): Promise<string[]> {
  const tmp = join(scratch, 'tmp')
  const left: string[] = []
  for (const dir of await readdir(tmp)) {
    const files = await readdir(join(tmp, dir)).catch(() => [])
    left.push(files.length === 0 ? `${dir}/` : files.map((f) => `${dir}/${f}`).join(' '))
  }
  return left
}

async function emptyTmp(): Promise<void> {
  await rm(join(scratch, 'tmp'), { recursive: true, force: true })
  await mkdir(join(scratch, 'tmp'), { recursive: true })
}

describe('1. a reader that goes away (| head -1)', () => {
  it('restore --json with a closed stdout ends quietly, exit 0, the restore done', async () => {
    const { bucket, at, keys } = await corrupted()
    const run = await runCli(
      ['restore', '--bucket', bucket, '--prefix', 'data/', '--to-time', at, '--json', ...local()],
      { close: ['stdout'] },
    )
    expect(run.stderr).not.toMatch(/EPIPE|unexpected error/)
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 })
    expect(run.stderr).toMatch(/Changed 2 key\(s\)/)
    expect(await everyKeyIs(bucket, keys, 'good')).toBe(true)
  })

  it('with stdout and stderr closed while it writes, the restore still finishes', async () => {
    const { bucket, at, keys } = await corrupted(40)
    const run = await runCli(
      ['restore', '--bucket', bucket, '--prefix', 'data/', '--to-time', at, ...local()],
      { close: ['stdout', 'stderr'] },
    )
    expect(run.code).toBe(0)
    expect(await everyKeyIs(bucket, keys, 'good')).toBe(true)
    // and the run left its record, as a run that ended does
    const history = await runCli(['history', '--bucket', bucket, '--json', ...local()])
    expect(JSON.parse(history.stdout)).toMatchObject([{ outcome: 'done', written: 40 }])
  })
})

describe('2. a file a flag names that cannot be read: exit 2, the flag, the value, the form', () => {
  it.each([
    ['--plan-file', 'missing.plan', /the path of a readable plan file/],
    ['--plan-file', '.', /the path of a readable plan file/],
    ['--keys-file', 'missing-keys.txt', /the path of a readable file of object keys/],
    ['--version-ids-file', 'missing-undo.txt', /the path of a readable file of key=versionId/],
  ])('%s %s', async (flag, value, form) => {
    const { bucket, at } = await corrupted()
    const before = await allVersions(s3, bucket)
    const target = flag === '--plan-file' ? [] : flag === '--keys-file' ? ['--to-time', at] : []
    const run = await runCli(['restore', '--bucket', bucket, flag, value, ...target, ...local()])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(
      `s3-rollback: ${flag} has an invalid value ${JSON.stringify(value)}`,
    )
    expect(run.stderr).toMatch(form)
    expect(run.stderr).toMatch(value === '.' ? /is a folder, not a file/ : /ENOENT/)
    expect(run.stderr).not.toMatch(/cannot be read:/)
    expect(run.stdout).toBe('')
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })

  it('--undo-file in a folder that does not exist: exit 2 before anything is written', async () => {
    const { bucket, at } = await corrupted()
    const before = await allVersions(s3, bucket)
    const undo = join(scratch, 'no-such-folder', 'undo.txt')
    const run = await runCli([
      'restore',
      '--bucket',
      bucket,
      '--prefix',
      'data/',
      '--to-time',
      at,
      '--undo-file',
      undo,
      ...local(),
    ])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(`--undo-file has an invalid value ${JSON.stringify(undo)}`)
    expect(run.stderr).toMatch(/a file in a folder that exists and can be written/)
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })
})

describe('3. --profile of a profile that does not exist', () => {
  it('says so, naming the flag, the profile and the files; no SDK warning; exit 2', async () => {
    const { bucket, at } = await corrupted()
    const credentials = join(scratch, 'credentials')
    const config = join(scratch, 'config')
    await writeFile(
      credentials,
      `[ops]\naws_access_key_id = ${process.env.AWS_ACCESS_KEY_ID}\n` +
        `aws_secret_access_key = ${process.env.AWS_SECRET_ACCESS_KEY}\n`,
    )
    await writeFile(
      config,
      '[default]\nregion = us-east-1\n[profile staging]\nregion = us-east-1\n',
    )
    const env = { AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: config }
    const args = ['verify', '--bucket', bucket, '--key', 'data/k000.csv', '--to-time', at]
    const prod = await runCli([...args, '--profile', 'prod', ...local()], { env })
    expect(prod.code).toBe(2)
    expect(prod.stderr).toContain('s3-rollback: --profile has an invalid value "prod"')
    expect(prod.stderr).toContain(`no profile prod in ${credentials} or ${config}`)
    expect(prod.stderr).toContain('they have: default, ops, staging')
    expect(prod.stderr).not.toMatch(/Multiple credential sources|Could not load credentials/)
    // a profile that exists, with AWS_ACCESS_KEY_ID set too: no 8-line SDK warning
    const ops = await runCli([...args, '--profile', 'ops', ...local()], { env })
    expect({ code: ops.code, stderr: ops.stderr }).toMatchObject({ code: 0 })
    expect(ops.stderr).not.toMatch(/Multiple credential sources/)
  })
})

describe('4. verify of a bucket younger than min-window', () => {
  it('points at --to-time and --min-window, not at --if-missing', async () => {
    const bucket = await newBucket(s3)
    await put(s3, bucket, 'census.zip', 'new')
    const run = await runCli(['verify', '--bucket', bucket, '--key', 'census.zip', ...local()])
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(
      /census\.zip: has no version at .*, the start of --min-window 7d \(it did not exist yet: its first version is from /,
    )
    expect(run.stdout).toMatch(/give --to-time .* or a shorter --min-window/)
    expect(run.stdout).not.toContain('to delete or skip')
  })
})

describe('5. snapshot create', () => {
  it('says how to roll back to it in flags', async () => {
    const { bucket } = await corrupted()
    const run = await runCli([
      'snapshot',
      'create',
      'last-good',
      '--bucket',
      bucket,
      '--prefix',
      'data/',
      ...local(),
    ])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(
      /Roll back to it with --to-snapshot last-good \(or \S+, which never moves\)/,
    )
    expect(run.stdout).not.toContain('to-snapshot:')
  })
})

describe('8. no arguments', () => {
  it('is a usage error: help on stderr, exit 2', async () => {
    const run = await runCli([])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain(`${cliLine()} restore [flags]`)
    const help = await runCli(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain(`${cliLine()} restore [flags]`)
  })
})

describe('9. temporary folders', () => {
  it('a session leaves only the files it reported as kept', async () => {
    const { bucket, at } = await corrupted()
    await emptyTmp()
    const runs = [
      ['restore', '--key', 'data/k000.csv', '--to-time', at, '--dry-run'],
      ['restore', '--key', 'data/nope.csv', '--to-time', at, '--dry-run'],
      ['restore', '--prefix', 'data/', '--to-time', at, '--dry-run'],
      ['verify', '--key', 'data/k000.csv', '--to-time', at],
      ['snapshot', 'create', 's1', '--prefix', 'data/'],
      ['diff', '--from', 's1'],
      ['history'],
      ['restore', '--to-snapshot', 's1', '--key', 'data/k000.csv', '--dry-run'],
      ['restore', '--key', 'data/k000.csv', '--to-time', at],
      ['restore', '--prefix', 'data/', '--to-time', at],
    ]
    const reported: string[] = []
    for (const args of runs) {
      const run = await runCli([...args, '--bucket', bucket, ...local()])
      const output = run.stdout + run.stderr
      for (const m of output.matchAll(
        /(?:saved in|Manifest \(one JSON line per key\):|Undo lines:) (\S+?)(?::|$)/gm,
      )) {
        reported.push(m[1].slice(join(scratch, 'tmp').length + 1))
      }
    }
    expect((await leftInTmp()).flatMap((l) => l.split(' ')).sort()).toEqual(reported.sort())
    expect(reported).toHaveLength(6) // 3 plans, 2 manifests, 1 undo file
  })

  it('--work-dir puts them where asked; a folder that is not there is refused', async () => {
    const { bucket, at } = await corrupted()
    await emptyTmp()
    const work = join(scratch, 'work')
    await mkdir(work)
    const args = ['restore', '--bucket', bucket, '--prefix', 'data/', '--to-time', at]
    const dry = await runCli([...args, '--dry-run', '--work-dir', work, ...local()])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain(`saved in ${work}/s3-rollback-`)
    expect(dry.stdout).toContain(`Manifest (one JSON line per key): ${work}/s3-rollback-`)
    expect(await leftInTmp()).toEqual([])
    const missing = await runCli([...args, '--work-dir', join(work, 'nope'), ...local()])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain(`--work-dir has an invalid value "${join(work, 'nope')}"`)
    expect(missing.stderr).toMatch(/expected a folder that exists and can be written/)
    const readOnly = join(scratch, 'read-only')
    await mkdir(readOnly)
    await chmod(readOnly, 0o500)
    if (process.getuid?.() !== 0) {
      const refused = await runCli([...args, '--work-dir', readOnly, ...local()])
      expect(refused.code).toBe(2)
    }
    expect(await everyKeyIs(bucket, ['data/k000.csv', 'data/k001.csv'], 'bad')).toBe(true)
  })
})

describe('10. a plan applied a second time', () => {
  it('says it was already applied, writes nothing and exits 0', async () => {
    const { bucket, at, keys } = await corrupted()
    const dry = await runCli([
      'restore',
      '--bucket',
      bucket,
      '--prefix',
      'data/',
      '--to-time',
      at,
      '--dry-run',
      ...local(),
    ])
    const plan = /saved in (\S+): apply/.exec(dry.stdout)?.[1] ?? ''
    const apply = ['restore', '--bucket', bucket, '--plan-file', plan, ...local()]
    const first = await runCli(apply)
    expect({ code: first.code, stderr: first.stderr }).toMatchObject({ code: 0 })
    expect(first.stdout).toMatch(/Changed 2 key\(s\)/)
    expect(await everyKeyIs(bucket, keys, 'good')).toBe(true)
    const before = await allVersions(s3, bucket)
    const again = await runCli(apply)
    expect({ code: again.code, stderr: again.stderr }).toMatchObject({ code: 0 })
    expect(again.stderr).not.toContain('stale')
    expect(again.stdout).toMatch(
      /The saved plan [0-9a-f]{12} was already applied: its 2 key\(s\) to write are as it wants them; nothing was written\./,
    )
    expect(again.stdout).toMatch(/Changed 0 key\(s\)/)
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
    // one more write to a key after that, and the plan is stale again
    await put(s3, bucket, keys[0], 'bad again')
    const stale = await runCli(apply)
    expect(stale.code).toBe(1)
    expect(stale.stderr).toMatch(/is stale: 1 key\(s\) changed since the dry run/)
  })
})
