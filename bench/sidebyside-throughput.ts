/**
 * Part `throughput` of the side-by-side bench: the engine alone at high latency, at each
 * --concurrency ceiling of BENCH_THROUGHPUT_CONCURRENCY, for writes/s and CPU per write; then a
 * projection to BENCH_PROJECT_KEYS (10 million) changed keys from those numbers.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { fixed, newBucket, removeBucket } from './lib.js'
import { exactness, seed, type Exactness, type Layout, type Seeded } from './sidebyside-data.js'
import {
  count,
  cpuPerRequest,
  duration,
  marginalCpuPerRequest,
  markdown,
  say,
} from './sidebyside-report.js'
import type { Measured, Runner } from './sidebyside-tools.js'

export interface ThroughputOptions {
  latencyMs: number
  concurrencies: number[]
  seedConcurrency: number
}

export interface ThroughputRun {
  concurrency: number
  latencyMs: number
  seeded: Seeded
  first: Measured
  check: Exactness
  rerun: Measured
  rerunCheck: Exactness
}

/** Writes per second over the write phase (first to last write that reached the store). */
export const writeRate = (m: Measured): number =>
  m.writeSpanSeconds > 0 ? m.writes / m.writeSpanSeconds : NaN

/** The engine at each concurrency ceiling, one freshly seeded bucket each. */
export async function throughput(
  s3: S3Client,
  runner: Runner,
  layout: Layout,
  options: ThroughputOptions,
): Promise<ThroughputRun[]> {
  const l = options.latencyMs
  say(`\n## Engine throughput at +${l} ms per request (${layout.name}, s3-rollback alone)\n`)
  runner.use({ label: `+${l} ms`, latencyMs: l })
  const runs: ThroughputRun[] = []
  for (const c of options.concurrencies) {
    const bucket = await newBucket(s3, `sbs-tp${c}`)
    try {
      const seeded = await seed(s3, [bucket], layout, options.seedConcurrency)
      const first = await runner.cli(bucket, seeded.at, ['--prefix', layout.prefix], c)
      const check = await exactness(s3, bucket, layout.prefix, seeded.at)
      const rerun = await runner.cli(bucket, seeded.at, ['--prefix', layout.prefix], c)
      const rerunCheck = await exactness(s3, bucket, layout.prefix, seeded.at)
      for (const f of [first.failure, rerun.failure]) if (f) say(`--concurrency ${c}: ${f}`)
      runs.push({ concurrency: c, latencyMs: l, seeded, first, check, rerun, rerunCheck })
    } finally {
      await removeBucket(s3, bucket)
    }
  }
  markdown(
    [
      '--concurrency',
      'exit',
      'wall s',
      'write phase s',
      'writes',
      'peak in flight',
      'writes/s',
      'latency bound req/s',
      'requests',
      'CPU s',
      'CPU ms / request',
      'CPU ms / write',
      'CPU ms / request, re-run subtracted',
      'CPU-bound ceiling req/s (1 core)',
      'peak RSS MiB',
      'wrong after',
      're-run writes',
    ],
    runs.map(({ concurrency, first, check, rerun, rerunCheck }) => {
      const perRequest = cpuPerRequest(first)
      const marginal = marginalCpuPerRequest(first, rerun)
      return [
        concurrency,
        `${first.code}/${rerun.code}`,
        fixed(first.seconds),
        fixed(first.writeSpanSeconds),
        first.writes,
        first.peakInFlight,
        fixed(writeRate(first), 0),
        count((Math.min(concurrency, first.peakInFlight) * 1000) / l),
        first.total,
        fixed(first.cpuSeconds),
        fixed(perRequest, 3),
        fixed((first.cpuSeconds * 1000) / first.writes, 3),
        fixed(marginal, 3),
        `${count(1000 / perRequest)} (${count(1000 / marginal)} re-run subtracted)`,
        fixed(first.rssMiB, 0),
        Math.max(check.wrong, rerunCheck.wrong),
        rerun.writes,
      ]
    }),
  )
  say(
    `\nwrites/s = writes / write phase (first to last object write that reached the store, ` +
      `seen by the layer). Peak in flight = the most requests the latency layer held at once (the ` +
      `SDK's default socket pool is 50 per client, so a higher --concurrency puts no more in ` +
      `flight unless the engine brings its own agent). Latency bound = min(concurrency, peak in ` +
      `flight) × 1000 / ${l} ms: what the added latency alone would allow. On this machine the local RGW (and the two proxies, in the ` +
      `bench's own process) share the 2 cores with the tool, so writes/s here is also bounded ` +
      `by the store, not only by the engine. CPU-bound ceiling = 1000 / CPU ms per request.`,
  )
  return runs
}

export interface ProjectionOptions {
  keys: number
  /** S3's write rate per partitioned prefix (AWS: at least 3,500 PUT/COPY/POST/DELETE per s). */
  writesPerPartition: number
  partitions: number
  /** Round trip per request assumed at AWS, ms. */
  latencyMs: number
}

/** 10 million changed keys from the fastest throughput run: time, requests and CPU. */
export function projection(runs: ThroughputRun[], o: ProjectionOptions): void {
  const best = [...runs].sort((a, b) => writeRate(b.first) - writeRate(a.first))[0]
  if (!best) return
  const { first, rerun, seeded, concurrency, latencyMs } = best
  const inFlight = Math.min(concurrency, first.peakInFlight)
  const requestsPerKey = first.total / seeded.changes
  const writesPerKey = first.writes / seeded.changes
  const marginal = marginalCpuPerRequest(first, rerun)
  const cpuMs = Number.isFinite(marginal) && marginal > 0 ? marginal : cpuPerRequest(first)
  const bounds: Array<[string, number]> = [
    ['CPU (one Node thread on one core)', 1000 / (cpuMs * requestsPerKey)],
    [
      `S3 (${count(o.writesPerPartition)} writes/s × ${o.partitions} partition(s))`,
      (o.writesPerPartition * o.partitions) / writesPerKey,
    ],
    [
      `latency (${inFlight} in flight × ${o.latencyMs} ms)`,
      (inFlight * 1000) / (o.latencyMs * requestsPerKey),
    ],
  ]
  const [binding, rate] = bounds.reduce((a, b) => (b[1] < a[1] ? b : a))
  const measured = writeRate(first) / writesPerKey
  say(`\n## Projection: ${count(o.keys)} changed keys (s3-rollback)\n`)
  markdown(
    ['bound', 'keys/s', `time for ${count(o.keys)} keys`],
    [
      ...bounds.map(([name, r]) => [name, count(r), duration(o.keys / r)]),
      [`**projected: the lowest (${binding})**`, count(rate), duration(o.keys / rate)],
      [
        `measured here: --concurrency ${concurrency}, +${latencyMs} ms, local RGW`,
        count(measured),
        duration(o.keys / measured),
      ],
    ],
  )
  say(
    `\nFrom the --concurrency ${concurrency} run: ${fixed(requestsPerKey, 3)} requests and ` +
      `${fixed(writesPerKey, 3)} writes per changed key, ${fixed(cpuMs, 3)} ms CPU per request ` +
      `(re-run subtracted). ${count(o.keys)} keys: ${count(o.keys * requestsPerKey)} requests, ` +
      `${duration((o.keys * requestsPerKey * cpuMs) / 1000)} of CPU.`,
  )
  say(
    `Assumptions: S3 takes ${count(o.writesPerPartition)} writes/s per partitioned prefix ` +
      `(AWS's documented minimum) and the keys spread over ${o.partitions} partition(s) ` +
      `(BENCH_PROJECT_PARTITIONS); one runner, one Node thread (the engine's CPU is one core's); ` +
      `${o.latencyMs} ms per request (BENCH_PROJECT_LATENCY) at the ${inFlight} in flight ` +
      `measured at --concurrency ${concurrency}; the ` +
      `per-key request and CPU costs of this data set hold at 10 million keys (memory is flat: ` +
      `part scale); no SlowDown below the partition rate; listing pages (1,000 entries each) are ` +
      `counted in the requests per key.`,
  )
}
