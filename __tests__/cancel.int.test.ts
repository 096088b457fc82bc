/**
 * Cancelling as a runner does: SIGINT to the action's node process, SIGTERM 7.5 s later, SIGKILL
 * 2.5 s after that (GitHub's workflow cancellation), in the middle of a 600-key prefix restore.
 * The run must start no new write, put back every key it changed, write the job summary and
 * exit non-zero before the kill; the CLI the same for Ctrl-C, with exit 130.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { startAction, actionNode } from './helpers/action.js'
import { startAwsProxy, type AwsProxy } from './helpers/awsproxy.js'
import { eachLimit } from '../src/lib/pool.js'
import {
  added,
  allVersions,
  client,
  endpoint,
  modifiedAt,
  newBucket,
  put,
  sleep,
  type ListedEntry,
} from './helpers/s3.js'

const KEYS = 600
let s3: S3Client
let proxy: AwsProxy
beforeAll(async () => {
  s3 = client()
  // Each request takes 15 ms longer, as on a real network: 600 writes at concurrency 2 take
  // long enough for the signal to land in the middle.
  proxy = await startAwsProxy(endpoint(), { latencyMs: 15 })
})
afterAll(async () => {
  s3?.destroy()
  await proxy?.close()
})

const keyOf = (i: number): string => `tiles/${String(i).padStart(4, '0')}.pbf`

/** 600 keys good at T, all overwritten after it. Returns the bucket, T and the state before. */
async function overwritten(): Promise<{ bucket: string; at: string; before: ListedEntry[] }> {
  const bucket = await newBucket(s3)
  await eachLimit(
    Array.from({ length: KEYS }, (_, i) => i),
    16,
    async (i) => {
      await put(s3, bucket, keyOf(i), `good ${i}`)
    },
  )
  const last = await put(s3, bucket, 'tiles/zz-last', 'good')
  const at = await modifiedAt(s3, bucket, 'tiles/zz-last', last)
  await sleep(20)
  await eachLimit(
    Array.from({ length: KEYS }, (_, i) => i),
    16,
    async (i) => {
      await put(s3, bucket, keyOf(i), `bad ${i}`)
    },
  )
  return { bucket, at, before: await allVersions(s3, bucket) }
}

/** Current entry per key of the data (not the run records in the snapshot store). */
function currentBodies(entries: ListedEntry[]): Map<string, string | undefined> {
  return new Map(entries.filter((e) => e.isLatest).map((e) => [e.key, e.eTag]))
}

/** Every version and delete marker of the bucket but the snapshot store's (run records). */
async function dataVersions(bucket: string): Promise<ListedEntry[]> {
  return (await allVersions(s3, bucket)).filter((e) => !e.key.startsWith('.s3-rollback/'))
}

/** Waits until `n` copies went through the proxy (the run is writing). */
async function writesSeen(n: number, timeoutMs = 60_000): Promise<void> {
  const start = Date.now()
  while ((proxy.stats.byOperation['PUT copy'] ?? 0) < n) {
    if (Date.now() - start > timeoutMs) throw new Error(`fewer than ${n} copies in ${timeoutMs} ms`)
    await sleep(5)
  }
}

/** The built CLI against the proxy, as an operator runs it. */
function cli(args: string[]) {
  const child = spawn(
    actionNode,
    ['dist/cli/index.js', ...args, '--endpoint-url', proxy.url, '--force-path-style'],
    { cwd: new URL('..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const code = new Promise<number | null>((resolve) => child.on('close', resolve))
  return { process: child, code, output: () => output }
}

/** The runner's cancel sequence; returns how the process ended. */
async function cancelAsRunner(child: ReturnType<typeof spawn>): Promise<void> {
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  child.kill('SIGINT')
  const term = setTimeout(() => child.kill('SIGTERM'), 7500)
  const kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(term)
  clearTimeout(kill)
}

describe('a cancelled run puts everything back', () => {
  it('the bundled action, cancelled by the runner mid-restore, leaves every key as before', async () => {
    const { bucket, at, before } = await overwritten()
    proxy.resetStats()
    const { child, done } = await startAction({
      bucket,
      prefix: 'tiles/',
      'to-time': at,
      concurrency: '2',
      'endpoint-url': proxy.url,
      'force-path-style': 'true',
    })
    await writesSeen(120)
    const signalledAt = Date.now()
    await cancelAsRunner(child)
    const run = await done
    const after = await dataVersions(bucket)
    // Not killed: it exited by itself, non-zero, before SIGKILL.
    expect(child.signalCode).toBeNull()
    expect(run.code).toBe(1)
    expect(Date.now() - signalledAt).toBeLessThan(10_000)
    // No version lost, and every key holds what it held before the run.
    const kept = new Set(after.map((e) => `${e.key}@${e.versionId}`))
    expect(before.filter((e) => !kept.has(`${e.key}@${e.versionId}`))).toEqual([])
    expect(currentBodies(after)).toEqual(currentBodies(before))
    const written = added(before, after).length
    expect(written).toBeGreaterThan(0) // it had written, and put back
    expect(run.summary).toMatch(/cancelled/i)
    const putBack = /(\d+) keys? put back/.exec(run.summary)
    expect(putBack).not.toBeNull()
    expect(Number(putBack?.[1])).toBe(written / 2)
    expect(run.stdout).toMatch(/Cancelled by SIGINT/)
  }, 120_000)

  it('the CLI, interrupted with Ctrl-C, puts back and exits 130', async () => {
    const { bucket, at, before } = await overwritten()
    proxy.resetStats()
    const child = spawn(
      actionNode,
      [
        'dist/cli/index.js',
        'restore',
        '--bucket',
        bucket,
        '--prefix',
        'tiles/',
        '--to-time',
        at,
        '--concurrency',
        '2',
        '--endpoint-url',
        proxy.url,
        '--force-path-style',
      ],
      {
        cwd: new URL('..', import.meta.url).pathname,
        env: { ...process.env, RUNNER_TEMP: process.env.RUNNER_TEMP },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve))
    await writesSeen(60)
    child.kill('SIGINT')
    const code = await closed
    const after = await dataVersions(bucket)
    expect(code).toBe(130)
    expect(currentBodies(after)).toEqual(currentBodies(before))
    expect(output).toMatch(/Cancelled by SIGINT/)
    expect(output).toMatch(/put back/)
  }, 120_000)

  it("verify's drill, interrupted, removes the scratch versions it made and exits 130", async () => {
    const { bucket, at } = await overwritten()
    proxy.resetStats()
    const child = cli([
      'verify',
      '--bucket',
      bucket,
      '--keys',
      Array.from({ length: 200 }, (_, i) => keyOf(i)).join('\n'),
      '--to-time',
      at,
      '--drill',
      '--drill-prefix',
      'scratch/',
    ])
    await writesSeen(20)
    child.process.kill('SIGINT')
    expect(await child.code).toBe(130)
    const scratch = (await dataVersions(bucket)).filter((e) => e.key.startsWith('scratch/'))
    expect(scratch).toEqual([])
    expect(child.output()).toMatch(/Cancelled by SIGINT/)
  }, 120_000)

  it('a cancel before the first write leaves nothing behind', async () => {
    const { bucket, at, before } = await overwritten()
    proxy.resetStats()
    const { child, done } = await startAction({
      bucket,
      prefix: 'tiles/',
      'to-time': at,
      concurrency: '2',
      'dry-run': 'false',
      'endpoint-url': proxy.url,
      'force-path-style': 'true',
    })
    // Planning lists the prefix first: signal as soon as the listing started.
    const start = Date.now()
    while ((proxy.stats.byOperation['GET list-versions'] ?? 0) < 1) {
      if (Date.now() - start > 30_000) throw new Error('no listing')
      await sleep(2)
    }
    await cancelAsRunner(child)
    const run = await done
    expect(run.code).toBe(1)
    expect(added(before, await dataVersions(bucket))).toEqual([])
    expect(run.summary).toMatch(/cancelled/i)
    expect(run.summary).toMatch(/nothing was written/i)
  }, 120_000)
})
