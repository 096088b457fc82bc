/**
 * Side by side: the CLI against rclone 1.60's point-in-time recipe (issue 18), at several
 * distances from the store.
 *
 * Data sets (BENCH_DATASETS, sidebyside-data.ts):
 *   tiles  a tile pyramid tiles/{z}/{x}/{y}.pbf, z 0–6 (5,461 keys, 1–4 KiB); after T 40 %
 *          overwritten, 5 % deleted and as many new tiles: 2,731 writes to undo;
 *   flat   BENCH_KEYS keys p/NNNNNNN.json (1–4 KiB); after T half overwritten, a tenth deleted,
 *          a tenth as many created (5,000 → 2,500 / 500 / 500: 3,500 writes).
 * Every tool runs through client → counting proxy (faultproxy.ts) → AWS layer (awsproxy.ts:
 * `latencyMs` per request, `slowDown` per prefix) → the local RGW; /usr/bin/time -v gives wall
 * time, user + system CPU and peak RSS.
 *
 * Parts (BENCH_PARTS, in this order):
 *   compare     per data set and latency of BENCH_LATENCIES, BENCH_RUNS runs: two identically
 *               seeded buckets, one restored by
 *                 node dist/cli/index.js restore --prefix P --to-time T --if-missing delete
 *                   --concurrency C                                   (Node 24)
 *                 rclone sync "rgw,version_at=T:B/P" rgw:B/P --server-side-across-configs
 *                   --checksum --transfers C --checkers C
 *               the other (which goes first alternates by run), each then re-run on its
 *               converged prefix; each bucket checked against T after every run. A markdown
 *               table of medians per data set and latency: s3-rollback | rclone | ratio.
 *   staged      the same, restoring a third identically seeded bucket's prefix at T into
 *               each tool's bucket (issue 19): the CLI with --destination s3://B/P/, rclone
 *               sync "rgw,version_at=T:SRC/P" rgw:B/P; the source is listed, the buckets written.
 *   slowdown    the same at BENCH_SLOWDOWN_LATENCY ms with 503 SlowDown above BENCH_SLOWDOWN
 *               writes/s per prefix of BENCH_SLOWDOWN_DEPTH segments: SlowDowns each tool got,
 *               and whether it ended exact.
 *   throughput  the engine alone at +BENCH_THROUGHPUT_LATENCY ms on the first data set, at each
 *               --concurrency of BENCH_THROUGHPUT_CONCURRENCY: writes/s, CPU per write, the
 *               CPU-bound ceiling; then the projection to BENCH_PROJECT_KEYS changed keys.
 *   scale       peak RSS of a prefix restore at BENCH_SCALE_KEYS keys (flat memory).
 *   keys        keys mode (--keys, BENCH_KEYS_MODE_KEYS listed) against prefix mode.
 *
 * Knobs (defaults): BENCH_PARTS (compare,staged,slowdown,throughput,scale,keys),
 * BENCH_DATASETS (tiles,flat), BENCH_LATENCIES (0,20,50: ms added per request), BENCH_RUNS (3),
 * BENCH_CONCURRENCY (16: the CLI's --concurrency and rclone's --transfers and --checkers),
 * BENCH_KEYS (5000: the flat set), BENCH_SLOWDOWN (300), BENCH_SLOWDOWN_DEPTH (1),
 * BENCH_SLOWDOWN_LATENCY (0), BENCH_THROUGHPUT_LATENCY (50), BENCH_THROUGHPUT_CONCURRENCY
 * (64,256), BENCH_PROJECT_KEYS (10000000), BENCH_PROJECT_PARTITIONS (1: prefixes S3 has split
 * the keys over, 3,500 writes/s each), BENCH_PROJECT_LATENCY (50: ms per request assumed),
 * BENCH_SCALE_KEYS (1000,10000,100000), BENCH_KEYS_MODE_KEYS (1000), BENCH_SEED_CONCURRENCY
 * (64), ACTION_NODE (the Node 24 binary; default: scripts/node24.sh).
 *
 * npm run bundle && npm run bench:sidebyside; the output also goes to
 * bench/results/sidebyside-<time>.txt. A short run: BENCH_PARTS=compare BENCH_DATASETS=tiles
 * BENCH_LATENCIES=0,50 BENCH_RUNS=1 npm run bench:sidebyside
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { client, envInt, envList, isMain } from './lib.js'
import { runAndWrite } from './results-writer.js'
import { compare, type CompareOptions } from './sidebyside-compare.js'
import { dataSet } from './sidebyside-data.js'
import { keysMode, scale } from './sidebyside-extra.js'
import { printed, printout, say } from './sidebyside-report.js'
import { projection, throughput } from './sidebyside-throughput.js'
import { cliScript, node24, RCLONE, Runner, type Scenario } from './sidebyside-tools.js'

const PARTS = ['compare', 'staged', 'slowdown', 'throughput', 'scale', 'keys']

/** A comma-separated list of numbers from the environment (0 allowed), or the default. */
function envNumbers(name: string, fallback: number[]): number[] {
  const value = process.env[name]
  if (!value) return fallback
  return value
    .split(',')
    .map((v) => Number(v.trim()))
    .filter((n) => Number.isFinite(n) && n >= 0)
}

function envWords(name: string, fallback: string[], allowed: string[]): string[] {
  const words = (process.env[name] ?? fallback.join(','))
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
  const unknown = words.filter((w) => !allowed.includes(w))
  if (unknown.length)
    throw new Error(`${name}: unknown ${unknown.join(', ')} (${allowed.join(', ')})`)
  return words
}

const latencyLabel = (ms: number): string =>
  ms === 0 ? '+0 ms (loopback)' : `+${ms} ms per request`

export async function sidebyside(): Promise<string> {
  const s3 = client()
  const parts = envWords('BENCH_PARTS', PARTS, PARTS)
  const sets = envWords('BENCH_DATASETS', ['tiles', 'flat'], ['tiles', 'flat']).map((n) =>
    dataSet(n, envInt('BENCH_KEYS', 5000)),
  )
  const concurrency = envInt('BENCH_CONCURRENCY', 16)
  const options: CompareOptions = {
    runs: envInt('BENCH_RUNS', 3),
    concurrency,
    seedConcurrency: envInt('BENCH_SEED_CONCURRENCY', 64),
  }
  const node = node24()
  const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
  const rcloneVersion = execFileSync(RCLONE, ['version'], { encoding: 'utf8' }).split('\n')[0]
  const scratch = await mkdtemp(join(tmpdir(), 's3-rollback-sidebyside-'))
  const runner = await Runner.start(node, scratch)
  const start = printed.length
  say(`s3-rollback: ${cliScript} on node ${nodeVersion}; ${rcloneVersion}; proxy ${runner.url}`)
  say(`parts: ${parts.join(', ')}; data sets: ${sets.map((s) => s.name).join(', ')}`)
  try {
    if (parts.includes('compare')) {
      for (const set of sets) {
        for (const ms of envNumbers('BENCH_LATENCIES', [0, 20, 50])) {
          await compare(s3, runner, set, { label: latencyLabel(ms), latencyMs: ms }, options)
        }
      }
    }
    if (parts.includes('staged')) {
      for (const set of sets) {
        for (const ms of envNumbers('BENCH_LATENCIES', [0, 20, 50])) {
          const scenario = { label: latencyLabel(ms), latencyMs: ms }
          await compare(s3, runner, set, scenario, { ...options, staged: true })
        }
      }
    }
    if (parts.includes('slowdown')) {
      const writesPerSecond = envInt('BENCH_SLOWDOWN', 300)
      const prefixDepth = envInt('BENCH_SLOWDOWN_DEPTH', 1)
      const ms = envNumbers('BENCH_SLOWDOWN_LATENCY', [0])[0] ?? 0
      const scenario: Scenario = {
        label: `${latencyLabel(ms)}, SlowDown above ${writesPerSecond} writes/s per prefix (depth ${prefixDepth})`,
        latencyMs: ms,
        slowDown: { writesPerSecond, prefixDepth },
      }
      for (const set of sets) await compare(s3, runner, set, scenario, options)
    }
    if (parts.includes('throughput') && sets[0]) {
      const runs = await throughput(s3, runner, sets[0], {
        latencyMs: envInt('BENCH_THROUGHPUT_LATENCY', 50),
        concurrencies: envList('BENCH_THROUGHPUT_CONCURRENCY', [64, 256]),
        seedConcurrency: options.seedConcurrency,
      })
      projection(runs, {
        keys: envInt('BENCH_PROJECT_KEYS', 10_000_000),
        writesPerPartition: 3500,
        partitions: envInt('BENCH_PROJECT_PARTITIONS', 1),
        latencyMs: envInt('BENCH_PROJECT_LATENCY', 50),
      })
    }
    if (parts.includes('scale')) await scale(s3, runner, concurrency)
    if (parts.includes('keys')) await keysMode(s3, runner, concurrency)
  } finally {
    await runner.close()
    await rm(scratch, { recursive: true, force: true })
    s3.destroy()
  }
  return printed.slice(start).join('\n')
}

if (isMain(import.meta.url)) {
  await runAndWrite('sidebyside', sidebyside, printout)
}
