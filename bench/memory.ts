/**
 * Memory against the number of keys: peak RSS of the bundled CLI (`node dist/cli/index.js`, on
 * Node 24, the action's runtime) for each path that reads a prefix's worth of state, at growing
 * sizes (BENCH_MEMORY_SCALE, default 5000,100000 keys under p/).
 *
 * Per size, in a new bucket: one 256-byte version of every key; `snapshot create bench`; every
 * tenth key overwritten; T1; then, each its own process under /usr/bin/time -v:
 *   1. dry run  `restore --to-snapshot bench --if-missing delete --dry-run` (saves the plan);
 *   2. apply    `restore --plan-file <that plan>`                 (writes keys / 10);
 *   3. by time  `restore --prefix p/ --to-time T1`                (writes keys / 10 back);
 *   4. snapshot `restore --to-snapshot bench --if-missing delete` (writes keys / 10 again);
 *   5. diff     `diff --from bench --to now`                      (0 changes expected).
 * Steps 2–4 also read the run records the earlier steps left (what a re-run reads).
 * Afterwards every key must be as the snapshot recorded it (bench/lib.ts mismatches at T0).
 *
 * BENCH_MEMORY_SYNTHETIC (default 1000000; 0 for none): after the smallest size, in the same
 * bucket (which holds only that size's objects), files of that many keys are written directly
 * in the store's formats: a snapshot `big` (its first keys are the bucket's, as the real
 * snapshot recorded them; the rest were never written), a second one `big2` equal to it, and a
 * saved plan of as many keys. Then `restore --to-snapshot big` (the merge reads every line;
 * the bucket's keys are unchanged), `restore --plan-file` (refused as stale: nearly every key is
 * "in the plan, but not listed now", which the merge finds one line at a time) and
 * `diff --from big --to big2` (every key unchanged). Seeding a million real objects into the
 * local RGW would take over an hour, so a prefix restore by time is not measured at that size.
 *
 * BENCH_CLI: the CLI bundle to measure (default dist/cli/index.js), to compare two builds.
 * npm run bench:memory; the output also goes to bench/results/memory-<time>.txt.
 */
import { type S3Client } from '@aws-sdk/client-s3'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SealedWriter } from '../src/lib/sealed.js'
import {
  SNAPSHOT_FORMAT,
  openSnapshot,
  resolveRef,
  saveSnapshot,
  type SnapshotHeader,
  type SnapshotLine,
} from '../src/history/snapshots.js'
import type { PlanHeader, PlanLine } from '../src/engine/plan/saved-plan.js'
import {
  check,
  client,
  endpoint,
  envInt,
  envList,
  fixed,
  instant,
  isMain,
  mismatches,
  newBucket,
  parallel,
  put,
  removeBucket,
  seedPrefix,
  timed,
  type Timed,
} from './lib.js'
import { runAndWrite, transcript } from './results-writer.js'

const root = new URL('../../', import.meta.url)
const cliScript = process.env.BENCH_CLI || new URL('dist/cli/index.js', root).pathname
const PREFIX = 'p/'
const STORE = { prefix: '.s3-rollback/' }

const printout = transcript()
const { printed, say, show } = printout

function node24(): string {
  if (process.env.ACTION_NODE) return process.env.ACTION_NODE
  return execFileSync(new URL('scripts/node24.sh', root).pathname, { encoding: 'utf8' }).trim()
}

const keyName = (i: number): string => `p/${String(i).padStart(6, '0')}.json`
const body = (key: string, n: number): string => `${key} version ${n} `.padEnd(256, '.')

/** One CLI run under /usr/bin/time -v; `expect` is its exit code. */
async function cli(
  node: string,
  dir: string,
  what: string,
  args: string[],
  expect = 0,
): Promise<Timed> {
  const env = { ...process.env, RUNNER_TEMP: dir }
  const all = [cliScript, ...args, '--endpoint-url', endpoint(), '--force-path-style']
  const run = await timed(node, all, env)
  if (run.code !== expect) {
    throw new Error(
      `${what} exited ${run.code}, not ${expect}:\n${run.stdout.slice(0, 2000)}\n${run.stderr.slice(-4000)}`,
    )
  }
  return run
}

const steps = ['dry run', 'apply', 'by time', 'snapshot', 'diff'] as const
type StepName = (typeof steps)[number]

interface Result {
  keys: number
  label: string
  rss: Partial<Record<StepName, number>>
  seconds: Partial<Record<StepName, number>>
  note: string
}

async function real(s3: S3Client, node: string, keys: number, limit: number): Promise<Result> {
  const bucket = await newBucket(s3, `mem${keys}`)
  const dir = await mkdtemp(join(tmpdir(), 's3-rollback-bench-memory-'))
  const result: Result = { keys, label: `${keys}`, rss: {}, seconds: {}, note: '' }
  const measure = async (step: StepName, args: string[], expect = 0): Promise<Timed> => {
    const run = await cli(node, dir, step, args, expect)
    result.rss[step] = run.maxRssMiB
    result.seconds[step] = run.seconds
    say(`  ${step}: ${fixed(run.seconds, 1)} s, peak RSS ${fixed(run.maxRssMiB, 0)} MiB`)
    return run
  }
  try {
    const seeded = Date.now()
    const t0 = await seedPrefix(s3, [bucket], { keys, before: 1, after: 0, bytes: 256, limit })
    await cli(node, dir, 'snapshot', [
      'snapshot',
      'create',
      'bench',
      '--bucket',
      bucket,
      '--prefix',
      PREFIX,
    ])
    const jobs: Array<() => Promise<unknown>> = []
    for (let i = 0; i < keys; i += 10)
      jobs.push(() => put(s3, bucket, keyName(i), body(keyName(i), 1)))
    await parallel(jobs, limit)
    const t1 = await instant()
    say(
      `${keys} keys: seeded, snapshot taken and ${jobs.length} keys overwritten in ${fixed((Date.now() - seeded) / 1000, 0)} s`,
    )
    const base = ['--bucket', bucket, '--json']
    const planned = await measure('dry run', [
      'restore',
      ...base,
      '--to-snapshot',
      'bench',
      '--if-missing',
      'delete',
      '--dry-run',
    ])
    const planFile = (JSON.parse(planned.stdout) as { plan?: { file: string } }).plan?.file
    if (!planFile) throw new Error(`the dry run saved no plan:\n${planned.stdout.slice(0, 2000)}`)
    const changed = (run: Timed): number =>
      (JSON.parse(run.stdout) as { summary?: { written: number } }).summary?.written ?? NaN
    const applied = await measure('apply', ['restore', ...base, '--plan-file', planFile])
    const byTime = await measure('by time', [
      'restore',
      ...base,
      '--prefix',
      PREFIX,
      '--to-time',
      t1,
    ])
    const toSnapshot = await measure('snapshot', [
      'restore',
      ...base,
      '--to-snapshot',
      'bench',
      '--if-missing',
      'delete',
    ])
    const diffed = await measure('diff', [
      'diff',
      '--bucket',
      bucket,
      '--from',
      'bench',
      '--to',
      'now',
      '--json',
    ])
    const totals = (JSON.parse(diffed.stdout) as { totals: Record<string, number> }).totals
    const wrong = await mismatches(s3, bucket, PREFIX, t0)
    result.note =
      `written ${changed(applied)} / ${changed(byTime)} / ${changed(toSnapshot)}; diff ` +
      `${totals.added + totals.removed + totals.changed} changes, ${totals.unchanged} unchanged; ` +
      `${wrong} keys not as the snapshot after`
    say(`  ${result.note}`)
    if (wrong !== 0) throw new Error(`${wrong} keys are not as the snapshot recorded them`)
    const synthetic = envInt('BENCH_MEMORY_SYNTHETIC', 1_000_000)
    return synthetic > 0 ? Object.assign(result, { next: { bucket, dir, synthetic } }) : result
  } catch (e) {
    await cleanUp(s3, bucket, dir)
    throw e
  }
}

async function cleanUp(s3: S3Client, bucket: string, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
  await removeBucket(s3, bucket, 8)
}

/** A sealed snapshot of `total` keys: the real snapshot's lines first, then keys never written. */
async function writeSnapshot(
  s3: S3Client,
  bucket: string,
  dir: string,
  name: string,
  real: SnapshotLine[],
  total: number,
): Promise<void> {
  const id = `20260101T000000Z-${name}`
  const header: SnapshotHeader = {
    ...SNAPSHOT_FORMAT,
    id,
    name,
    bucket,
    createdAt: new Date().toISOString(),
    scope: { prefix: PREFIX },
    context: {},
  }
  const file = join(dir, `${name}.jsonl.gz`)
  const writer = await SealedWriter.create<SnapshotLine>(file, header, { gzip: true })
  for (let i = 0; i < total; i++) {
    await writer.write(
      real[i] ?? { key: keyName(i), versionId: `never-written-${i}`, size: 256, eTag: '"0"' },
    )
  }
  await writer.close()
  const pointer = { name, id, bucket, createdAt: header.createdAt, keys: total }
  await saveSnapshot(s3, { bucket, ...STORE }, file, pointer)
}

async function syntheticRun(
  s3: S3Client,
  node: string,
  at: { bucket: string; dir: string; synthetic: number },
  keys: number,
): Promise<Result> {
  const { bucket, dir, synthetic: total } = at
  const label = `${total} (synthetic)`
  const result: Result = { keys: total, label, rss: {}, seconds: {}, note: '' }
  const store = { bucket, ...STORE }
  const id = await resolveRef(s3, store, 'bench')
  const real: SnapshotLine[] = []
  for await (const line of (await openSnapshot(s3, store, id, bucket)).values) real.push(line)
  await writeSnapshot(s3, bucket, dir, 'big', real, total)
  await writeSnapshot(s3, bucket, dir, 'big2', real, total)
  const planFile = join(dir, 'big.plan.jsonl')
  const header: PlanHeader = {
    format: 's3-rollback-plan',
    version: 1,
    bucket,
    createdAt: new Date().toISOString(),
    target: { versionIds: true, snapshot: { ref: 'big', id: '20260101T000000Z-big' } },
    prefix: PREFIX,
    ifMissing: 'delete',
  }
  const plan = await SealedWriter.create<PlanLine>(planFile, header)
  for (let i = 0; i < total; i++) {
    const v = real[i]?.versionId ?? `never-written-${i}`
    await plan.write({
      key: keyName(i),
      action: 'unchanged',
      current: { versionId: v },
      wanted: { versionId: v },
    })
  }
  await plan.close()
  say(
    `${label}: the bucket holds ${keys} objects; snapshots big, big2 and a plan of ${total} keys written`,
  )
  const measure = async (step: StepName, args: string[], expect: number): Promise<Timed> => {
    const run = await cli(node, dir, step, args, expect)
    result.rss[step] = run.maxRssMiB
    result.seconds[step] = run.seconds
    say(
      `  ${step}: ${fixed(run.seconds, 1)} s, peak RSS ${fixed(run.maxRssMiB, 0)} MiB (exit ${run.code})`,
    )
    return run
  }
  const base = ['--bucket', bucket, '--json']
  const stale = await measure('apply', ['restore', ...base, '--plan-file', planFile], 1)
  const staleCount = /is stale: (\d+) key/.exec(stale.stderr)?.[1] ?? '?'
  const restored = await measure(
    'snapshot',
    ['restore', ...base, '--to-snapshot', 'big', '--if-missing', 'delete'],
    0,
  )
  const written = (JSON.parse(restored.stdout) as { summary?: { written: number } }).summary
    ?.written
  const diffed = await measure(
    'diff',
    ['diff', '--bucket', bucket, '--from', 'big', '--to', 'big2', '--json'],
    0,
  )
  const totals = (JSON.parse(diffed.stdout) as { totals: Record<string, number> }).totals
  result.note =
    `plan refused as stale (${staleCount} keys); snapshot restore wrote ${written}; diff ` +
    `${totals.unchanged} unchanged, ${totals.added + totals.removed + totals.changed} changes`
  say(`  ${result.note}`)
  if (totals.unchanged !== total)
    throw new Error(`diff compared ${totals.unchanged} keys, not ${total}`)
  return result
}

export async function memory(): Promise<string> {
  const s3 = client()
  const sizes = envList('BENCH_MEMORY_SCALE', [5000, 100000])
  const limit = envInt('BENCH_SEED_CONCURRENCY', 48)
  const node = node24()
  const start = printed.length
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
  const idle = check(await timed(node, ['-e', '0']), 'node -e 0')
  const help = check(await timed(node, [cliScript, '--help']), 'the CLI --help')
  say(
    `${cliScript} on node ${version}. Baseline peak RSS: node -e 0 ${fixed(idle.maxRssMiB, 0)} ` +
      `MiB, the CLI's --help ${fixed(help.maxRssMiB, 0)} MiB\n`,
  )
  const results: Result[] = []
  try {
    for (const [n, keys] of sizes.entries()) {
      const r = (await real(s3, node, keys, limit)) as Result & {
        next?: { bucket: string; dir: string; synthetic: number }
      }
      results.push(r)
      if (!r.next) continue
      try {
        if (n === 0) results.push(await syntheticRun(s3, node, r.next, keys))
      } finally {
        await cleanUp(s3, r.next.bucket, r.next.dir)
      }
    }
  } finally {
    s3.destroy()
  }
  say(`\nPeak RSS (MiB) of each CLI run, and its time (s, process start included)`)
  const cell = (r: Result, s: StepName): string =>
    r.rss[s] === undefined
      ? '-'
      : `${fixed(r.rss[s] ?? NaN, 0)} (${fixed(r.seconds[s] ?? NaN, 0)} s)`
  show(
    ['keys', ...steps, 'what was checked'],
    results.map((r) => [r.label, ...steps.map((s) => cell(r, s)), r.note]),
  )
  return printed.slice(start).join('\n')
}

if (isMain(import.meta.url)) {
  await runAndWrite('memory', memory, printout)
}
