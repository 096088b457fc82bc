/**
 * Side by side: the CLI against rclone 1.60's point-in-time recipe, on the data set of the issue.
 *
 * Part `compare`: BENCH_KEYS keys under p/ (1–4 KiB) before T; after T half of them overwritten,
 * a tenth deleted and a tenth as many new keys created (5,000 → 2,500 / 500 / 500). Each run
 * seeds two identical buckets in the same pass, then
 *   s3-rollback restore --prefix p/ --to-time T --if-missing delete   (dist/cli, Node 24)
 *   rclone sync "rgw,version_at=T:B/p" rgw:B/p --server-side-across-configs --checksum ...
 * restore one bucket each (which tool goes first alternates by run), then each tool runs again
 * on its converged prefix. Wall time and peak RSS come from /usr/bin/time; requests by kind
 * from a counting loopback proxy (__tests__/helpers/faultproxy.ts, no faults) that both tools
 * use as their endpoint. Each bucket is checked against T after every run.
 *
 * Part `scale`: peak RSS of a CLI prefix restore at BENCH_SCALE_KEYS keys (1 version each
 * before T, a tenth overwritten after it), to show memory is flat.
 *
 * Part `keys`: keys mode (--keys with BENCH_KEYS_MODE_KEYS listed keys) against prefix mode
 * over the same keys: requests and time per key.
 *
 * Knobs: BENCH_RUNS (3), BENCH_KEYS (5000), BENCH_CONCURRENCY (16: the CLI's --concurrency,
 * rclone's --transfers and --checkers), BENCH_SCALE_KEYS (1000,10000,100000),
 * BENCH_KEYS_MODE_KEYS (1000), BENCH_SEED_CONCURRENCY (64), BENCH_PARTS (compare,scale,keys),
 * ACTION_NODE (the Node 24 binary; default: scripts/node24.sh).
 * npm run bench:sidebyside; the output also goes to bench/results/sidebyside-<time>.txt.
 */
import { DeleteObjectCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FaultProxy, startFaultProxy } from '../__tests__/helpers/faultproxy.js'
import {
  check,
  client,
  endpoint,
  envInt,
  envList,
  fixed,
  instant,
  isMain,
  newBucket,
  parallel,
  put,
  removeBucket,
  timed,
  toolEnv,
  total,
} from './lib.js'
import { runAndWrite, transcript } from './results-writer.js'

/** The repository root (this file runs from build/bench/). */
const root = new URL('../../', import.meta.url)
const cliScript = new URL('dist/cli/index.js', root).pathname
const RCLONE = '/usr/bin/rclone'
const PREFIX = 'p/'

/** Everything printed, for the results file. */
const printout = transcript()
const { printed, say, show } = printout

type Tool = 's3-rollback' | 'rclone'

/** One process run: wall time, peak RSS, and the requests the proxy saw while it ran. */
interface Measured {
  seconds: number
  rssMiB: number
  requests: Record<string, number>
  total: number
  /** Requests that write: PUT, POST and DELETE of any kind. */
  writes: number
}

/** How a bucket compares with its state at T. */
interface Exactness {
  /** Keys present at T whose current version has T's ETag and size. */
  right: number
  /** Keys absent at T that are present now. */
  extra: number
  /** Keys not as they were at T (extras included). */
  wrong: number
}

/** What a seeded bucket holds, for the floor. */
interface Seeded {
  at: string
  /** Wall time of the seeding, the waits around T included. */
  seconds: number
  /** Writes per second while writing (the waits around T left out). */
  rate: number
  /** Object versions and delete markers under the prefix (what a full version listing returns). */
  entries: number
  /** Keys present at T. */
  present: number
  overwritten: number
  deleted: number
  created: number
  /** Writes a restore needs: overwritten + deleted keys put back, created keys deleted. */
  changes: number
  puts: number
}

interface Layout {
  keys: number
  /** Size of version `v` of key `i`. */
  size: (i: number, v: number) => number
  overwritten: (i: number) => boolean
  deleted: (i: number) => boolean
  /** New keys after T (indices keys .. keys + created - 1). */
  created: number
}

const keyName = (i: number): string => `${PREFIX}${String(i).padStart(7, '0')}.json`
const body = (i: number, v: number, size: number): string =>
  `${keyName(i)} version ${v} `.padEnd(size, '.')

/** Seeds every bucket with the same layout, in the same pass; T is between the two phases. */
async function seed(
  s3: S3Client,
  buckets: string[],
  layout: Layout,
  limit: number,
): Promise<Seeded> {
  const started = Date.now()
  let puts = 0
  const putJob = (bucket: string, i: number, v: number) => async (): Promise<void> => {
    await put(s3, bucket, keyName(i), body(i, v, layout.size(i, v)))
    puts++
  }
  const before = buckets.flatMap((b) =>
    Array.from({ length: layout.keys }, (_, i) => putJob(b, i, 0)),
  )
  await parallel(before, limit)
  const waitStarted = Date.now()
  const at = await instant()
  const waited = Date.now() - waitStarted
  const indices = Array.from({ length: layout.keys }, (_, i) => i)
  const over = indices.filter(layout.overwritten)
  const gone = indices.filter((i) => !layout.overwritten(i) && layout.deleted(i))
  const after = buckets.flatMap((b) => [
    ...over.map((i) => putJob(b, i, 1)),
    ...gone.map((i) => async (): Promise<void> => {
      await s3.send(new DeleteObjectCommand({ Bucket: b, Key: keyName(i) }))
      puts++
    }),
    ...Array.from({ length: layout.created }, (_, n) => putJob(b, layout.keys + n, 0)),
  ])
  await parallel(after, limit)
  const elapsed = Date.now() - started
  return {
    at,
    seconds: elapsed / 1000,
    rate: (puts * 1000) / (elapsed - waited),
    entries: layout.keys + over.length + gone.length + layout.created,
    present: layout.keys,
    overwritten: over.length,
    deleted: gone.length,
    created: layout.created,
    changes: over.length + gone.length + layout.created,
    puts,
  }
}

/**
 * Compares every key under `prefix` with its state at `at`: the current version's ETag and
 * size against those of the version current at T; keys absent at T (no version, or a delete
 * marker) must be absent now. Lists directly, not through the proxy.
 */
async function exactness(
  s3: S3Client,
  bucket: string,
  prefix: string,
  at: string,
): Promise<Exactness> {
  interface Entry {
    time: number
    marker: boolean
    eTag?: string
    size?: number
  }
  const t = new Date(at).getTime()
  const keys = new Map<string, { current?: Entry; atT?: Entry }>()
  const note = (key: string, entry: Entry, latest: boolean): void => {
    const rec = keys.get(key) ?? {}
    if (latest) rec.current = entry
    if (entry.time <= t && (!rec.atT || entry.time > rec.atT.time)) rec.atT = entry
    keys.set(key, rec)
  }
  let keyMarker: string | undefined
  let versionMarker: string | undefined
  for (;;) {
    const out = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        KeyMarker: keyMarker,
        VersionIdMarker: versionMarker,
        MaxKeys: 1000,
      }),
    )
    for (const v of out.Versions ?? []) {
      const entry = {
        time: v.LastModified?.getTime() ?? 0,
        marker: false,
        eTag: v.ETag,
        size: v.Size,
      }
      note(v.Key ?? '', entry, v.IsLatest === true)
    }
    for (const m of out.DeleteMarkers ?? []) {
      note(m.Key ?? '', { time: m.LastModified?.getTime() ?? 0, marker: true }, m.IsLatest === true)
    }
    if (!out.IsTruncated) break
    keyMarker = out.NextKeyMarker
    versionMarker = out.NextVersionIdMarker
  }
  const result: Exactness = { right: 0, extra: 0, wrong: 0 }
  for (const { current, atT } of keys.values()) {
    const wanted = atT && !atT.marker ? atT : undefined
    const now = current && !current.marker ? current : undefined
    if (wanted) {
      if (now && now.eTag === wanted.eTag && now.size === wanted.size) result.right++
      else result.wrong++
    } else if (now) {
      result.extra++
      result.wrong++
    }
  }
  return result
}

const isWrite = (operation: string): boolean => /^(PUT|POST|DELETE)\b/.test(operation)

/** The Node 24 binary that runs the bundled CLI. */
function node24(): string {
  if (process.env.ACTION_NODE) return process.env.ACTION_NODE
  if (process.versions.node.startsWith('24.')) return process.execPath
  return execFileSync(new URL('scripts/node24.sh', root).pathname, { encoding: 'utf8' }).trim()
}

/** Runs the tools through the counting proxy. */
class Runner {
  constructor(
    private readonly proxy: FaultProxy,
    private readonly node: string,
    private readonly concurrency: number,
    private readonly scratch: string,
  ) {}

  private async measure(
    what: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
  ): Promise<Measured> {
    this.proxy.setFaults({}) // no faults; starts the counts afresh
    const run = check(await timed(command, args, env), what)
    const requests = { ...this.proxy.stats.byOperation }
    const writes = Object.entries(requests)
      .filter(([op]) => isWrite(op))
      .reduce((a, [, n]) => a + n, 0)
    return { seconds: run.seconds, rssMiB: run.maxRssMiB, requests, total: total(requests), writes }
  }

  /** The CLI, with `selection` (--prefix p/ or --keys ...) and the common flags. */
  cli(bucket: string, at: string, selection: string[]): Promise<Measured> {
    const args = [cliScript, 'restore', '--bucket', bucket, ...selection, '--to-time', at]
    args.push('--if-missing', 'delete', '--concurrency', String(this.concurrency))
    args.push('--endpoint-url', this.proxy.url, '--force-path-style')
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TMPDIR: this.scratch, // the manifest files of the runs, removed at the end
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    }
    return this.measure('s3-rollback restore', this.node, args, env)
  }

  /** rclone 1.60's recipe: sync from the bucket as of T (a connection-string override). */
  rclone(bucket: string, at: string): Promise<Measured> {
    const c = String(this.concurrency)
    const args = ['sync', `rgw,version_at="${at}":${bucket}/p`, `rgw:${bucket}/p`]
    args.push('--server-side-across-configs', '--checksum', '--transfers', c, '--checkers', c)
    return this.measure('rclone sync', RCLONE, args, rcloneRgwEnv(this.proxy.url))
  }

  tool(tool: Tool, bucket: string, at: string): Promise<Measured> {
    return tool === 'rclone' ? this.rclone(bucket, at) : this.cli(bucket, at, ['--prefix', PREFIX])
  }
}

/**
 * One rclone remote `rgw` from env vars, at `url`. The time goes in the remote's connection
 * string, quoted (`rgw,version_at="2026-…Z":`): unquoted, rclone 1.60 cuts the value at the
 * first colon of the time.
 */
function rcloneRgwEnv(url: string): NodeJS.ProcessEnv {
  return toolEnv({
    RCLONE_CONFIG_RGW_TYPE: 's3',
    RCLONE_CONFIG_RGW_PROVIDER: 'Ceph',
    RCLONE_CONFIG_RGW_ENDPOINT: url,
    RCLONE_CONFIG_RGW_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
    RCLONE_CONFIG_RGW_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    RCLONE_CONFIG_RGW_REGION: 'us-east-1',
  })
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

const kinds = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')

const ratio = (a: number, b: number): string => `${fixed(a / b)}x`
const met = (ok: boolean): string => (ok ? 'met' : 'NOT met')

interface ToolRun {
  first: Measured
  firstCheck: Exactness
  rerun: Measured
  rerunCheck: Exactness
}

async function compare(s3: S3Client, runner: Runner): Promise<void> {
  const runs = envInt('BENCH_RUNS', 3)
  const keys = envInt('BENCH_KEYS', 5000)
  const limit = envInt('BENCH_SEED_CONCURRENCY', 64)
  const layout: Layout = {
    keys,
    size: (i, v) => 1024 + ((i * 7919 + v * 104729) % 3073), // 1–4 KiB
    overwritten: (i) => i % 10 < 5,
    deleted: (i) => i % 10 === 5,
    created: Math.round(keys / 10),
  }
  say(`## Side by side: s3-rollback restore --prefix vs rclone sync (version_at)\n`)
  const results: Array<{ run: number; order: Tool[]; by: Record<Tool, ToolRun> }> = []
  let seeded: Seeded | undefined
  for (let run = 1; run <= runs; run++) {
    const order: Tool[] = run % 2 === 1 ? ['s3-rollback', 'rclone'] : ['rclone', 's3-rollback']
    const buckets: Record<Tool, string> = {
      's3-rollback': await newBucket(s3, 'sbs-cli'),
      rclone: await newBucket(s3, 'sbs-rclone'),
    }
    try {
      seeded = await seed(s3, [buckets['s3-rollback'], buckets.rclone], layout, limit)
      const at = seeded.at
      say(
        `run ${run}: seeded 2 buckets x ${keys} keys (${seeded.entries} versions and markers each, ` +
          `${seeded.changes} changes after T) in ${fixed(seeded.seconds, 0)} s ` +
          `(${fixed(seeded.rate, 0)} writes/s); order: ${order.join(', then ')}`,
      )
      const first: Partial<Record<Tool, [Measured, Exactness]>> = {}
      for (const tool of order) {
        const m = await runner.tool(tool, buckets[tool], at)
        first[tool] = [m, await exactness(s3, buckets[tool], PREFIX, at)]
      }
      const by: Partial<Record<Tool, ToolRun>> = {}
      for (const tool of order) {
        const rerun = await runner.tool(tool, buckets[tool], at)
        const [m, firstCheck] = first[tool] ?? []
        if (!m || !firstCheck) throw new Error(`no first run of ${tool}`)
        by[tool] = {
          first: m,
          firstCheck,
          rerun,
          rerunCheck: await exactness(s3, buckets[tool], PREFIX, at),
        }
      }
      const cli = by['s3-rollback']
      const rc = by.rclone
      if (!cli || !rc) throw new Error('a tool did not run')
      results.push({ run, order, by: { 's3-rollback': cli, rclone: rc } })
    } finally {
      await removeBucket(s3, buckets['s3-rollback'])
      await removeBucket(s3, buckets.rclone)
    }
  }
  if (!seeded) return
  const c = envInt('BENCH_CONCURRENCY', 16)
  const pages = Math.ceil(seeded.entries / 1000)
  const floor = seeded.changes + 2 * pages
  say(
    `\n${keys} keys under ${PREFIX} (1–4 KiB); after T: ${seeded.overwritten} overwritten, ` +
      `${seeded.deleted} deleted, ${seeded.created} created. ` +
      `Concurrency ${c} (CLI --concurrency; rclone --transfers/--checkers). Both tools go ` +
      `through the same counting proxy; writes = PUT/POST/DELETE requests.`,
  )
  say(`\nPer run (first run = restore; re-run = the same command on the converged prefix)\n`)
  const exact = (e: Exactness): string =>
    `${e.wrong} (${e.right}/${seeded?.present ?? 0} right, ${e.extra} extra)`
  show(
    [
      'run',
      'tool',
      'first s',
      'first RSS MiB',
      'first requests',
      'first writes',
      'keys wrong after first',
      're-run s',
      're-run RSS MiB',
      're-run requests',
      're-run writes',
      'keys wrong after re-run',
    ],
    results.flatMap(({ run, order, by }) =>
      order.map((tool) => {
        const r = by[tool]
        return [
          `${run}${tool === order[0] ? ' (1st)' : ' (2nd)'}`,
          tool,
          fixed(r.first.seconds),
          fixed(r.first.rssMiB, 0),
          r.first.total,
          r.first.writes,
          exact(r.firstCheck),
          fixed(r.rerun.seconds),
          fixed(r.rerun.rssMiB, 0),
          r.rerun.total,
          r.rerun.writes,
          exact(r.rerunCheck),
        ]
      }),
    ),
  )
  say(`\nRequests by kind\n`)
  show(
    ['run', 'tool', 'first run', 're-run'],
    results.flatMap(({ run, order, by }) =>
      order.map((tool) => [
        run,
        tool,
        kinds(by[tool].first.requests),
        kinds(by[tool].rerun.requests),
      ]),
    ),
  )
  const med = (tool: Tool, pick: (r: ToolRun) => number): number =>
    median(results.map((r) => pick(r.by[tool])))
  const max = (tool: Tool, pick: (r: ToolRun) => number): number =>
    Math.max(...results.map((r) => pick(r.by[tool])))
  const metric = (pick: (r: ToolRun) => number): [number, number] => [
    med('s3-rollback', pick),
    med('rclone', pick),
  ]
  const [firstS, firstR] = metric((r) => r.first.seconds)
  const [rerunS, rerunR] = metric((r) => r.rerun.seconds)
  const [rssS, rssR] = metric((r) => Math.max(r.first.rssMiB, r.rerun.rssMiB))
  const [reqS, reqR] = metric((r) => r.first.total)
  const [rereqS, rereqR] = metric((r) => r.rerun.total)
  const rerunWritesS = max('s3-rollback', (r) => r.rerun.writes)
  const rerunWritesR = max('rclone', (r) => r.rerun.writes)
  const wrongS = max('s3-rollback', (r) => Math.max(r.firstCheck.wrong, r.rerunCheck.wrong))
  const wrongR = max('rclone', (r) => Math.max(r.firstCheck.wrong, r.rerunCheck.wrong))
  say(`\nMedians over ${results.length} run(s); ratio = s3-rollback / rclone\n`)
  show(
    ['metric', 's3-rollback', 'rclone', 'ratio', 'target', 'target met'],
    [
      [
        'first run s',
        fixed(firstS),
        fixed(firstR),
        ratio(firstS, firstR),
        '<= 0.80x rclone',
        met(firstS <= 0.8 * firstR),
      ],
      [
        're-run s',
        fixed(rerunS),
        fixed(rerunR),
        ratio(rerunS, rerunR),
        "<= rclone's re-run, 0 writes",
        met(rerunS <= rerunR && rerunWritesS === 0),
      ],
      ['re-run writes (max)', rerunWritesS, rerunWritesR, '', '0', met(rerunWritesS === 0)],
      [
        'peak RSS MiB',
        fixed(rssS, 0),
        fixed(rssR, 0),
        ratio(rssS, rssR),
        "<= rclone's",
        met(rssS <= rssR),
      ],
      ['requests (first run)', reqS, reqR, ratio(reqS, reqR), '', ''],
      [
        'requests / floor',
        ratio(reqS, floor),
        ratio(reqR, floor),
        '',
        '<= 1.10x floor',
        met(reqS <= 1.1 * floor),
      ],
      ['requests (re-run)', rereqS, rereqR, ratio(rereqS, rereqR), '', ''],
      ['keys wrong (max)', wrongS, wrongR, '', '0 for both', met(wrongS === 0 && wrongR === 0)],
    ],
  )
  say(
    `\nFloor: ${seeded.changes} writes (${seeded.overwritten + seeded.deleted} restores + ` +
      `${seeded.created} delete markers) + ${pages} listing pages (ceil(${seeded.entries} ` +
      `entries / 1000)) + ${pages} confirmation listing pages = ${floor} requests. ` +
      `s3-rollback: ${fixed(reqS / floor)}x the floor; rclone: ${fixed(reqR / floor)}x.`,
  )
  say(
    `Peak RSS is the larger of the first run's and the re-run's (/usr/bin/time -v). Times are ` +
      `wall clock of the process, proxy hop included for both tools.`,
  )
}

/** The CLI's peak RSS for a prefix restore at growing sizes. */
async function scale(s3: S3Client, runner: Runner): Promise<void> {
  const sizes = envList('BENCH_SCALE_KEYS', [1000, 10000, 100000])
  const limit = envInt('BENCH_SEED_CONCURRENCY', 64)
  say(`\n## Peak RSS of a prefix restore by size (s3-rollback)\n`)
  const rows: Array<Array<string | number>> = []
  const rss: number[] = []
  for (const keys of sizes) {
    const bucket = await newBucket(s3, `sbs-scale${keys}`)
    try {
      const seeded = await seed(s3, [bucket], scaleLayout(keys), limit)
      say(
        `${keys} keys: seeded in ${fixed(seeded.seconds, 0)} s ` +
          `(${fixed(seeded.rate, 0)} writes/s at concurrency ${limit})`,
      )
      const m = await runner.cli(bucket, seeded.at, ['--prefix', PREFIX])
      const e = await exactness(s3, bucket, PREFIX, seeded.at)
      const floor = seeded.changes + 2 * Math.ceil(seeded.entries / 1000)
      rss.push(m.rssMiB)
      rows.push([
        keys,
        seeded.entries,
        seeded.changes,
        fixed(seeded.seconds, 0),
        fixed(m.seconds, 1),
        fixed((m.seconds * 1000) / keys, 3),
        fixed(m.rssMiB, 0),
        m.total,
        fixed(m.total / floor),
        m.writes,
        e.wrong,
      ])
    } finally {
      await removeBucket(s3, bucket)
    }
  }
  show(
    [
      'keys',
      'versions',
      'changed',
      'seed s',
      'restore s',
      'ms per key',
      'peak RSS MiB',
      'requests',
      'x floor',
      'writes',
      'keys wrong after',
    ],
    rows,
  )
  if (rss.length > 1) {
    say(
      `peak RSS at ${sizes[sizes.length - 1]} keys / at ${sizes[0]} keys: ` +
        `${ratio(rss[rss.length - 1], rss[0])} (flat memory: close to 1x)`,
    )
  }
}

/** 1 version per key before T; a tenth of the keys overwritten after it. */
const scaleLayout = (keys: number): Layout => ({
  keys,
  size: () => 512,
  overwritten: (i) => i % 10 === 0,
  deleted: () => false,
  created: 0,
})

/** Keys mode (every key listed) against prefix mode over the same keys. */
async function keysMode(s3: S3Client, runner: Runner): Promise<void> {
  const keys = envInt('BENCH_KEYS_MODE_KEYS', 1000)
  const limit = envInt('BENCH_SEED_CONCURRENCY', 64)
  say(`\n## Keys mode vs prefix mode over the same ${keys} keys (s3-rollback)\n`)
  const listed = await newBucket(s3, 'sbs-keys')
  const whole = await newBucket(s3, 'sbs-prefix')
  try {
    const seeded = await seed(s3, [listed, whole], scaleLayout(keys), limit)
    const names = Array.from({ length: keys }, (_, i) => keyName(i)).join(',')
    const byKeys = await runner.cli(listed, seeded.at, ['--keys', names])
    const byKeysCheck = await exactness(s3, listed, PREFIX, seeded.at)
    const byPrefix = await runner.cli(whole, seeded.at, ['--prefix', PREFIX])
    const byPrefixCheck = await exactness(s3, whole, PREFIX, seeded.at)
    say(`${keys} keys, 1 version each before T, ${seeded.changes} overwritten after T`)
    show(
      [
        'mode',
        'seconds',
        'ms per key',
        'requests',
        'requests per key',
        'writes',
        'peak RSS MiB',
        'keys wrong after',
        'requests by kind',
      ],
      (
        [
          [`keys (--keys, ${keys} listed)`, byKeys, byKeysCheck],
          [`prefix (--prefix ${PREFIX})`, byPrefix, byPrefixCheck],
        ] as const
      ).map(([mode, m, e]) => [
        mode,
        fixed(m.seconds, 2),
        fixed((m.seconds * 1000) / keys, 3),
        m.total,
        fixed(m.total / keys, 3),
        m.writes,
        fixed(m.rssMiB, 0),
        e.wrong,
        kinds(m.requests),
      ]),
    )
  } finally {
    await removeBucket(s3, listed)
    await removeBucket(s3, whole)
  }
}

export async function sidebyside(): Promise<string> {
  const s3 = client()
  const proxy = await startFaultProxy(endpoint())
  const scratch = await mkdtemp(join(tmpdir(), 's3-rollback-sidebyside-'))
  const parts = (process.env.BENCH_PARTS ?? 'compare,scale,keys').split(',').map((p) => p.trim())
  const node = node24()
  const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
  const rcloneVersion = execFileSync(RCLONE, ['version'], { encoding: 'utf8' }).split('\n')[0]
  const start = printed.length
  say(`s3-rollback: ${cliScript} on node ${nodeVersion}; ${rcloneVersion}; proxy ${proxy.url}\n`)
  const runner = new Runner(proxy, node, envInt('BENCH_CONCURRENCY', 16), scratch)
  try {
    for (const part of parts) {
      if (part === 'compare') await compare(s3, runner)
      else if (part === 'scale') await scale(s3, runner)
      else if (part === 'keys') await keysMode(s3, runner)
      else throw new Error(`unknown part ${part}: compare, scale or keys`)
    }
  } finally {
    await proxy.close()
    await rm(scratch, { recursive: true, force: true })
    s3.destroy()
  }
  return printed.slice(start).join('\n')
}

if (isMain(import.meta.url)) {
  await runAndWrite('sidebyside', sidebyside, printout)
}
