/**
 * Snapshots at scale: memory and time of recording a snapshot of a prefix, planning a restore to
 * it, applying that plan and diffing against it, at growing sizes (BENCH_SNAPSHOT_SCALE, default
 * 1000,10000,100000 keys under p/).
 *
 * Per size, in a new bucket: one 256-byte version of every key; T; then
 *   1. the bundled action (`node dist/index.js`, as the runner runs it) in `mode: snapshot`,
 *      `snapshot: bench`, `prefix: p/`;
 * then after it every other key overwritten, a tenth more deleted (i % 10 === 5) and keys / 10
 * new keys created; then, again through the bundled action,
 *   2. a dry run `to-snapshot: bench`, `if-missing: delete` (it saves the plan: output plan-file);
 *   3. `plan-file:` that plan (the restore);
 * and through the bundled CLI
 *   4. `diff --bucket B --from bench --json` (snapshot → now): 0 changes expected.
 * Each step is its own process under /usr/bin/time -v: wall time (process start included) and
 * peak RSS (Maximum resident set size), and, from node --trace-gc, the V8 heap: the largest heap
 * left after a full GC (what was live then) and the largest heap used. Then every key is checked
 * against the snapshot file itself (read from the store and compared with a fresh listing, not
 * through src/), and against T with bench/lib.ts mismatches.
 *
 * Knobs: BENCH_SNAPSHOT_SCALE (1000,10000,100000), BENCH_CONCURRENCY (16: the action's
 * `concurrency`), BENCH_SEED_CONCURRENCY (48), ACTION_NODE (the Node that runs dist/; default:
 * scripts/node24.sh, the action's runtime).
 * npm run bench:snapshots; the output also goes to bench/results/snapshots-<time>.txt
 * (BENCH_ONLY=snapshots npm run bench runs it too).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { parseOutputs } from '../__tests__/helpers/action.js'
import {
  check,
  client,
  endpoint,
  envInt,
  envList,
  fixed,
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

/** The repository root (this file runs from build/bench/). */
const root = new URL('../../', import.meta.url)
const actionScript = new URL('dist/index.js', root).pathname
const cliScript = new URL('dist/cli/index.js', root).pathname
const PREFIX = 'p/'
const NAME = 'bench'
const STORE = '.s3-rollback/'

/** Everything printed, for the results file. */
const printout = transcript()
const { printed, say, show } = printout

/** The Node binary that runs the bundle: ACTION_NODE, else Node 24 (the action's runtime). */
function node24(): string {
  if (process.env.ACTION_NODE) return process.env.ACTION_NODE
  return execFileSync(new URL('scripts/node24.sh', root).pathname, { encoding: 'utf8' }).trim()
}

/** One step: wall time and peak RSS of its process, its V8 heap, and the action's outputs. */
interface Step extends Timed {
  gc: Gc
  outputs: Record<string, string>
}

/** What V8 reported with --trace-gc (V8's "MB" are MiB). */
interface Gc {
  /** Full GCs (Mark-Compact) that ran. */
  full: number
  /** The largest heap left after a full GC: live data then (NaN when none ran). */
  liveMiB: number
  /** The largest heap used seen by any GC, before collecting. */
  usedMiB: number
  /** The largest heap V8 had reserved (committed) then. */
  committedMiB: number
}

/** The node flag for Gc, and the lines it prints on stdout. */
const TRACE_GC = '--trace-gc'
const GC_LINE = /^\[\d+:0x[0-9a-f]+\]\s+[\d.]+ ms: /

function gcOf(stdout: string): Gc {
  const gc: Gc = { full: 0, liveMiB: NaN, usedMiB: 0, committedMiB: 0 }
  const event =
    /: (Scavenge|Minor Mark-Sweep|Mark-Compact)\D* ([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\)/
  for (const line of stdout.split('\n')) {
    const m = GC_LINE.test(line) ? event.exec(line) : null
    if (!m) continue
    gc.usedMiB = Math.max(gc.usedMiB, Number(m[2]))
    gc.committedMiB = Math.max(gc.committedMiB, Number(m[3]), Number(m[5]))
    if (m[1] === 'Mark-Compact') {
      gc.full++
      gc.liveMiB = Math.max(Number.isNaN(gc.liveMiB) ? 0 : gc.liveMiB, Number(m[4]))
    }
  }
  return gc
}

/** stdout without the --trace-gc lines. */
const withoutGc = (stdout: string): string =>
  stdout
    .split('\n')
    .filter((line) => !GC_LINE.test(line))
    .join('\n')

/** The key of seed index i (as bench/lib.ts seedPrefix names them). */
const keyName = (i: number): string => `p/${String(i).padStart(6, '0')}.json`
const body = (key: string, n: number): string => `${key} version ${n} `.padEnd(256, '.')

/**
 * Runs the bundled action as the runner does (INPUT_* variables, GITHUB_OUTPUT,
 * GITHUB_STEP_SUMMARY, RUNNER_TEMP) under /usr/bin/time -v.
 */
async function action(
  node: string,
  dir: string,
  what: string,
  inputs: Record<string, string>,
): Promise<Step> {
  const outputFile = join(dir, `${what}.output`)
  await writeFile(outputFile, '')
  await writeFile(join(dir, 'summary'), '')
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    RUNNER_TEMP: dir,
  }
  const all = { 'endpoint-url': endpoint(), 'force-path-style': 'true', ...inputs }
  for (const [name, value] of Object.entries(all)) env[`INPUT_${name.toUpperCase()}`] = value
  const run = check(await timed(node, [TRACE_GC, actionScript], env), `the action (${what})`)
  return { ...run, gc: gcOf(run.stdout), outputs: parseOutputs(await readFile(outputFile, 'utf8')) }
}

/** After the snapshot: every other key overwritten, a tenth deleted, keys / 10 created. */
async function change(
  s3: S3Client,
  bucket: string,
  keys: number,
  limit: number,
): Promise<{ overwritten: number; deleted: number; created: number }> {
  const jobs: Array<() => Promise<unknown>> = []
  let overwritten = 0
  let deleted = 0
  for (let i = 0; i < keys; i++) {
    const key = keyName(i)
    if (i % 2 === 0) {
      overwritten++
      jobs.push(() => put(s3, bucket, key, body(key, 1)))
    } else if (i % 10 === 5) {
      deleted++
      jobs.push(() => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })))
    }
  }
  const created = Math.round(keys / 10)
  for (let i = keys; i < keys + created; i++) {
    jobs.push(() => put(s3, bucket, keyName(i), body(keyName(i), 0)))
  }
  await parallel(jobs, limit)
  return { overwritten, deleted, created }
}

interface Recorded {
  key: string
  versionId: string | null
  size?: number
  eTag?: string
}

/**
 * Every key under the prefix against the snapshot file, independently of src/: the sealed file
 * is read from the store and gunzipped here, and the bucket listed here. A recorded key must be
 * current with the recorded ETag and size; a key the snapshot does not hold must be absent.
 */
async function againstSnapshot(
  s3: S3Client,
  bucket: string,
  id: string,
): Promise<{ lines: number; rawBytes: number; wrong: number; extra: number }> {
  const got = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: `${STORE}snapshots/${id}.jsonl.gz` }),
  )
  const raw = gunzipSync(await (got.Body?.transformToByteArray() ?? new Uint8Array()))
  const lines = raw.toString('utf8').trim().split('\n')
  const header = JSON.parse(lines[0]) as { format?: string }
  const trailer = JSON.parse(lines[lines.length - 1]) as { end?: boolean }
  if (header.format !== 's3-rollback-snapshot' || trailer.end !== true) {
    throw new Error(`snapshot ${id}: not a sealed snapshot file`)
  }
  const recorded = new Map<string, Recorded>()
  for (const line of lines.slice(1, -1)) {
    const r = JSON.parse(line) as Recorded
    recorded.set(r.key, r)
  }
  const current = new Map<string, { eTag?: string; size?: number }>()
  let keyMarker: string | undefined
  let versionMarker: string | undefined
  for (;;) {
    const out = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: PREFIX,
        KeyMarker: keyMarker,
        VersionIdMarker: versionMarker,
      }),
    )
    for (const v of out.Versions ?? []) {
      if (v.IsLatest && v.Key) current.set(v.Key, { eTag: v.ETag, size: v.Size })
    }
    if (!out.IsTruncated) break
    keyMarker = out.NextKeyMarker
    versionMarker = out.NextVersionIdMarker
  }
  let wrong = 0
  for (const [key, r] of recorded) {
    const now = current.get(key)
    const ok = r.versionId === null ? !now : now?.eTag === r.eTag && now?.size === r.size
    if (!ok) wrong++
  }
  const extra = [...current.keys()].filter((key) => !recorded.has(key)).length
  return { lines: recorded.size, rawBytes: raw.length, wrong, extra }
}

interface Result {
  keys: number
  seedSeconds: number
  steps: { snapshot: Step; plan: Step; apply: Step; diff: Step }
  snapshotGzBytes: number
  snapshotRawBytes: number
  snapshotLines: number
  planBytes: number
  planLines: number
  changed: number
  diffChanges: number
  wrongVsSnapshot: number
  extra: number
  wrongVsT: number
}

async function one(
  s3: S3Client,
  node: string,
  keys: number,
  concurrency: number,
  limit: number,
): Promise<Result> {
  const bucket = await newBucket(s3, `snap${keys}`)
  const dir = await mkdtemp(join(tmpdir(), 's3-rollback-bench-snapshots-'))
  try {
    const seeded = Date.now()
    const at = await seedPrefix(s3, [bucket], { keys, before: 1, after: 0, bytes: 256, limit })
    const seedBefore = (Date.now() - seeded) / 1000
    const snapshot = await action(node, dir, 'snapshot', {
      mode: 'snapshot',
      snapshot: NAME,
      bucket,
      prefix: PREFIX,
    })
    const id = snapshot.outputs['snapshot-id']
    if (!id) throw new Error(`no snapshot-id output:\n${snapshot.stdout}`)
    const changing = Date.now()
    const changed = await change(s3, bucket, keys, limit)
    const seedSeconds = seedBefore + (Date.now() - changing) / 1000
    say(
      `${keys} keys: seeded in ${fixed(seedSeconds, 0)} s; snapshot ${id} in ` +
        `${fixed(snapshot.seconds, 1)} s, peak RSS ${fixed(snapshot.maxRssMiB, 0)} MiB; then ` +
        `${changed.overwritten} overwritten, ${changed.deleted} deleted, ${changed.created} created`,
    )
    const inputs = {
      bucket,
      'to-snapshot': NAME,
      'if-missing': 'delete',
      concurrency: String(concurrency),
    }
    const plan = await action(node, dir, 'dry-run', { ...inputs, 'dry-run': 'true' })
    const planFile = plan.outputs['plan-file']
    if (!planFile) throw new Error(`no plan-file output:\n${plan.stdout}`)
    const planBytes = (await stat(planFile)).size
    // a header, one line per key listed under the prefix at the dry run, a trailer
    const planLines = (await readFile(planFile, 'utf8')).trim().split('\n').length - 2
    const apply = await action(node, dir, 'apply', {
      bucket,
      'plan-file': planFile,
      concurrency: String(concurrency),
    })
    if (apply.outputs['plan-digest'] !== plan.outputs['plan-digest']) {
      throw new Error('the applied plan is not the dry run plan')
    }
    const diffRun = check(
      await timed(
        node,
        [
          TRACE_GC,
          cliScript,
          'diff',
          '--bucket',
          bucket,
          '--from',
          NAME,
          '--json',
          '--endpoint-url',
          endpoint(),
          '--force-path-style',
        ],
        { ...process.env, RUNNER_TEMP: dir },
      ),
      'the CLI diff',
    )
    const diff: Step = { ...diffRun, gc: gcOf(diffRun.stdout), outputs: {} }
    const totals = (JSON.parse(withoutGc(diff.stdout)) as { totals: Record<string, number> }).totals
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: `${STORE}snapshots/${id}.jsonl.gz` }),
    )
    const exact = await againstSnapshot(s3, bucket, id)
    const wrongVsT = await mismatches(s3, bucket, PREFIX, at)
    say(
      `  dry run ${fixed(plan.seconds, 1)} s / ${fixed(plan.maxRssMiB, 0)} MiB, ` +
        `apply ${fixed(apply.seconds, 1)} s / ${fixed(apply.maxRssMiB, 0)} MiB ` +
        `(changed ${apply.outputs.changed}), diff ${fixed(diff.seconds, 1)} s / ` +
        `${fixed(diff.maxRssMiB, 0)} MiB (${totals.added} added, ${totals.removed} removed, ` +
        `${totals.changed} changed, ${totals.unchanged} unchanged); wrong after: ` +
        `${exact.wrong} vs the snapshot (${exact.extra} extra), ${wrongVsT} vs T`,
    )
    return {
      keys,
      seedSeconds,
      steps: { snapshot, plan, apply, diff },
      snapshotGzBytes: head.ContentLength ?? NaN,
      snapshotRawBytes: exact.rawBytes,
      snapshotLines: exact.lines,
      planBytes,
      planLines,
      changed: Number(apply.outputs.changed),
      diffChanges: totals.added + totals.removed + totals.changed,
      wrongVsSnapshot: exact.wrong,
      extra: exact.extra,
      wrongVsT,
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
    const removing = Date.now()
    await removeBucket(s3, bucket, 8)
    console.log(`  removed ${bucket} in ${fixed((Date.now() - removing) / 1000, 0)} s`)
  }
}

const KiB = (bytes: number): string => fixed(bytes / 1024, 0)

export async function snapshots(): Promise<string> {
  const s3 = client()
  const sizes = envList('BENCH_SNAPSHOT_SCALE', [1000, 10000, 100000])
  const concurrency = envInt('BENCH_CONCURRENCY', 16)
  const limit = envInt('BENCH_SEED_CONCURRENCY', 48)
  const node = node24()
  const start = printed.length
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
  const idle = check(await timed(node, ['-e', '0']), 'node -e 0')
  const help = check(await timed(node, [cliScript, '--help']), 'the CLI --help')
  say(
    `dist/index.js and dist/cli/index.js on node ${version}; concurrency ${concurrency}. ` +
      `Baseline peak RSS: node -e 0 ${fixed(idle.maxRssMiB, 0)} MiB, ` +
      `the CLI bundle's --help ${fixed(help.maxRssMiB, 0)} MiB\n`,
  )
  const results: Result[] = []
  try {
    for (const keys of sizes) results.push(await one(s3, node, keys, concurrency, limit))
  } finally {
    s3.destroy()
  }
  const steps = ['snapshot', 'plan', 'apply', 'diff'] as const
  say(`\nSnapshots: time (s, process start included) and peak RSS (MiB) of each step's process`)
  show(
    [
      'keys',
      'seed s',
      'snapshot s',
      'snapshot MiB',
      'dry run s',
      'dry run MiB',
      'apply s',
      'apply MiB',
      'diff s',
      'diff MiB',
      'snapshot gz KiB',
      'plan file KiB',
      'changed',
      'diff changes',
      'wrong vs snapshot',
      'wrong vs T',
    ],
    results.map((r) => [
      r.keys,
      fixed(r.seedSeconds, 0),
      ...steps.flatMap((s) => [fixed(r.steps[s].seconds, 1), fixed(r.steps[s].maxRssMiB, 0)]),
      KiB(r.snapshotGzBytes),
      KiB(r.planBytes),
      r.changed,
      r.diffChanges,
      r.wrongVsSnapshot + r.extra,
      r.wrongVsT,
    ]),
  )
  say(`\nPeak RSS per 1,000 keys: MiB added per 1,000 more keys than the previous size`)
  show(
    ['keys', 'snapshot', 'dry run', 'apply', 'diff'],
    results.map((r, i) => {
      const prev = results[i - 1]
      return [
        r.keys,
        ...steps.map((s) =>
          prev
            ? fixed(
                (r.steps[s].maxRssMiB - prev.steps[s].maxRssMiB) / ((r.keys - prev.keys) / 1000),
                2,
              )
            : '-',
        ),
      ]
    }),
  )
  say(
    `\nV8 heap of each step (--trace-gc), MiB: the largest heap left after a full GC (live data ` +
      `then; '-' when none ran) / the largest heap used at a GC / the largest heap committed; ` +
      `full GCs`,
  )
  show(
    ['keys', 'snapshot', 'dry run', 'apply', 'diff'],
    results.map((r) => [
      r.keys,
      ...steps.map((s) => {
        const gc = r.steps[s].gc
        const live = Number.isNaN(gc.liveMiB) ? '-' : fixed(gc.liveMiB, 0)
        return `${live} / ${fixed(gc.usedMiB, 0)} / ${fixed(gc.committedMiB, 0)}; ${gc.full}`
      }),
    ]),
  )
  say(`\nFiles: lines (one per key) and bytes per line`)
  show(
    [
      'keys',
      'snapshot lines',
      'snapshot gz B/line',
      'snapshot raw B/line',
      'plan lines',
      'plan B/line',
    ],
    results.map((r) => [
      r.keys,
      r.snapshotLines,
      fixed(r.snapshotGzBytes / r.snapshotLines, 1),
      fixed(r.snapshotRawBytes / r.snapshotLines, 1),
      r.planLines,
      fixed(r.planBytes / r.planLines, 1),
    ]),
  )
  return printed.slice(start).join('\n')
}

if (isMain(import.meta.url)) {
  await runAndWrite('snapshots', snapshots, printout)
}
