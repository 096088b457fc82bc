// A restore killed midway (SIGKILL: no put-back, no cleanup) and run again converges to the
// target, writing only the keys the first run had not reached.
import { type S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { silentLogger } from '../src/lib/log.js'
import { rollback } from '../src/engine/rollback.js'
import {
  added,
  allVersions,
  client,
  endpoint,
  newBucket,
  put,
  read,
  settings,
  sleep,
} from './helpers/s3.js'

let s3: S3Client
let bundle: string
let dir: string
beforeAll(async () => {
  s3 = client()
  // The action as the runner runs it: the bundle of src/action/index.ts, inputs in INPUT_* variables.
  dir = await mkdtemp(join(tmpdir(), 's3-rollback-bundle-'))
  await promisify(execFile)('npx', [
    'ncc',
    'build',
    'src/action/index.ts',
    '-o',
    dir,
    '--target',
    'es2022',
  ])
  bundle = join(dir, 'index.js')
}, 120_000)
afterAll(async () => {
  s3?.destroy()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const KEYS = 400

async function parallel(jobs: Array<() => Promise<unknown>>, limit: number): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < jobs.length) await jobs[next++]()
    }),
  )
}

/** Runs the action in a child process and SIGKILLs it once it reports `percent`% restored. */
function runAndKill(env: Record<string, string>, percent: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const reported = [...out.matchAll(/Restored: \d+\/\d+ \((\d+)%\)/g)].map((m) => +m[1])
      if (Math.max(0, ...reported) >= percent && child.exitCode === null) child.kill('SIGKILL')
    })
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(out)
      else reject(new Error(`the action ended (code ${code}) before it was killed:\n${out}`))
    })
  })
}

describe('re-running after a killed run', () => {
  it('converges to the target and writes only what was still missing', async () => {
    const bucket = await newBucket(s3)
    const keys = Array.from({ length: KEYS }, (_, i) => `k/${String(i).padStart(4, '0')}.csv`)
    await parallel(
      keys.map((k) => () => put(s3, bucket, k, `good ${k}`)),
      16,
    )
    await sleep(1100)
    const at = new Date().toISOString()
    await sleep(1100)
    await parallel(
      keys.map((k) => () => put(s3, bucket, k, `bad ${k}`)),
      16,
    )
    const before = await allVersions(s3, bucket)

    const log = await runAndKill(
      {
        INPUT_BUCKET: bucket,
        INPUT_PREFIX: 'k/',
        'INPUT_TO-TIME': at,
        'INPUT_ENDPOINT-URL': endpoint(),
        'INPUT_FORCE-PATH-STYLE': 'true',
        INPUT_CONCURRENCY: '2',
        RUNNER_TEMP: dir,
        GITHUB_OUTPUT: '',
      },
      20,
    )
    expect(log).toMatch(/Restored: \d+\/400/)
    await sleep(1000) // let the server finish requests it had already received
    const reached = (await Promise.all(keys.map((k) => read(s3, bucket, k)))).filter((c) =>
      c?.startsWith('good'),
    ).length
    expect(reached).toBeGreaterThan(0)
    expect(reached).toBeLessThan(KEYS)

    const manifest = await rollback(
      s3,
      settings({ bucket, prefix: 'k/', 'to-time': at }),
      silentLogger,
    )
    expect(manifest.summary).toMatchObject({
      restored: KEYS - reached,
      unchanged: reached,
      written: KEYS - reached,
    })
    for (const k of keys) expect(await read(s3, bucket, k)).toBe(`good ${k}`)
    // Across both runs, exactly one new version per key: nothing was written twice.
    const fresh = added(before, await allVersions(s3, bucket))
    expect(fresh).toHaveLength(KEYS)
    expect(new Set(fresh.map((e) => e.key)).size).toBe(KEYS)
  }, 180_000)
})
