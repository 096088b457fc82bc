/**
 * Part `compare` (and `slowdown`) of the side-by-side bench: per data set and distance, BENCH_RUNS
 * runs of both tools on identically seeded buckets, which goes first alternating, each followed
 * by a re-run on its converged prefix; then one markdown table of medians.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { fixed, newBucket, removeBucket } from './lib.js'
import { exactness, seed, type Exactness, type Layout, type Seeded } from './sidebyside-data.js'
import {
  count,
  cpuPerRequest,
  kinds,
  marginalCpuPerRequest,
  markdown,
  median,
  medianKinds,
  ratio,
  say,
} from './sidebyside-report.js'
import type { Measured, Runner, Scenario, Tool } from './sidebyside-tools.js'

export interface ToolRun {
  first: Measured
  firstCheck: Exactness
  rerun: Measured
  rerunCheck: Exactness
}

export interface RunResult {
  run: number
  order: Tool[]
  by: Record<Tool, ToolRun>
}

export interface CompareOptions {
  runs: number
  concurrency: number
  seedConcurrency: number
  /**
   * Staged (part `staged`): a third bucket, seeded the same, is the source; each tool restores
   * its state at T into its own bucket's prefix (the CLI's --destination, rclone across buckets).
   */
  staged?: boolean
}

/** BENCH_RUNS runs of both tools on one data set at one distance, then the table. */
export async function compare(
  s3: S3Client,
  runner: Runner,
  layout: Layout,
  scenario: Scenario,
  options: CompareOptions,
): Promise<RunResult[]> {
  const c = options.concurrency
  const staging = options.staged ? ' restored into another bucket (staged)' : ''
  say(`\n## ${layout.name}: ${layout.shape}${staging}, ${scenario.label}\n`)
  runner.use(scenario)
  const results: RunResult[] = []
  let seeded: Seeded | undefined
  for (let run = 1; run <= options.runs; run++) {
    const order: Tool[] = run % 2 === 1 ? ['s3-rollback', 'rclone'] : ['rclone', 's3-rollback']
    const buckets: Record<Tool, string> = {
      's3-rollback': await newBucket(s3, `sbs-${layout.name}-cli`),
      rclone: await newBucket(s3, `sbs-${layout.name}-rclone`),
    }
    const from = options.staged ? await newBucket(s3, `sbs-${layout.name}-src`) : undefined
    try {
      seeded = await seed(
        s3,
        [buckets['s3-rollback'], buckets.rclone, ...(from ? [from] : [])],
        layout,
        options.seedConcurrency,
      )
      const { at } = seeded
      if (run === 1) say(describe(layout, seeded, c))
      say(
        `run ${run}: seeded ${from ? 3 : 2} buckets in ${fixed(seeded.seconds, 0)} s ` +
          `(${fixed(seeded.rate, 0)} writes/s, direct to RGW); order: ${order.join(', then ')}`,
      )
      const first: Partial<Record<Tool, [Measured, Exactness]>> = {}
      for (const tool of order) {
        const m = await runner.tool(tool, buckets[tool], layout.prefix, at, c, from)
        first[tool] = [m, await exactness(s3, buckets[tool], layout.prefix, at)]
      }
      const by: Partial<Record<Tool, ToolRun>> = {}
      for (const tool of order) {
        const rerun = await runner.tool(tool, buckets[tool], layout.prefix, at, c, from)
        const [m, firstCheck] = first[tool] ?? []
        if (!m || !firstCheck) throw new Error(`no first run of ${tool}`)
        const rerunCheck = await exactness(s3, buckets[tool], layout.prefix, at)
        by[tool] = { first: m, firstCheck, rerun, rerunCheck }
        for (const f of [m.failure, rerun.failure]) if (f) say(`run ${run}: ${f}`)
      }
      const cli = by['s3-rollback']
      const rc = by.rclone
      if (!cli || !rc) throw new Error('a tool did not run')
      results.push({ run, order, by: { 's3-rollback': cli, rclone: rc } })
    } finally {
      await removeBucket(s3, buckets['s3-rollback'])
      await removeBucket(s3, buckets.rclone)
      if (from) await removeBucket(s3, from)
    }
  }
  if (seeded) {
    perRun(results, seeded)
    summary(results, seeded, options.staged === true)
  }
  return results
}

function describe(layout: Layout, seeded: Seeded, c: number): string {
  return (
    `${count(layout.keys)} keys under ${layout.prefix} (1–4 KiB), ${count(seeded.entries)} ` +
    `versions and markers; after T: ${count(seeded.overwritten)} overwritten, ` +
    `${count(seeded.deleted)} deleted, ${count(seeded.created)} created: ` +
    `**${count(seeded.changes)} writes needed**. Concurrency ${c} (CLI --concurrency; rclone ` +
    `--transfers and --checkers). Both tools: client → counting proxy → latency/SlowDown ` +
    `layer → RGW.`
  )
}

const exact = (e: Exactness, seeded: Seeded): string =>
  e.wrong === 0 ? '0' : `${e.wrong} (${e.right}/${seeded.present} right, ${e.extra} extra)`

function perRun(results: RunResult[], seeded: Seeded): void {
  say(`\nPer run (first = the restore; re-run = the same command on the converged prefix)\n`)
  markdown(
    [
      'run',
      'tool',
      'exit',
      's',
      'requests',
      'writes',
      'CPU s',
      'RSS MiB',
      'SlowDowns',
      'peak in flight',
      'wrong after',
      're-run s',
      're-run requests',
      're-run writes',
      're-run wrong',
    ],
    results.flatMap(({ run, order, by }) =>
      order.map((tool) => {
        const { first, firstCheck, rerun, rerunCheck } = by[tool]
        return [
          `${run}${tool === order[0] ? ' (1st)' : ' (2nd)'}`,
          tool,
          `${first.code}/${rerun.code}`,
          fixed(first.seconds),
          first.total,
          first.writes,
          fixed(first.cpuSeconds),
          fixed(first.rssMiB, 0),
          first.slowDowns,
          first.peakInFlight,
          exact(firstCheck, seeded),
          fixed(rerun.seconds),
          rerun.total,
          rerun.writes,
          exact(rerunCheck, seeded),
        ]
      }),
    ),
  )
}

function summary(results: RunResult[], seeded: Seeded, staged: boolean): void {
  const pick = (tool: Tool, f: (r: ToolRun) => number): number[] =>
    results.map((r) => f(r.by[tool]))
  const med = (tool: Tool, f: (r: ToolRun) => number): number => median(pick(tool, f))
  const max = (tool: Tool, f: (r: ToolRun) => number): number => Math.max(...pick(tool, f))
  const pages = Math.ceil(seeded.entries / 1000)
  // staged: the destination's prefix is listed too
  const listings = staged ? 3 : 2
  const floor = seeded.changes + listings * pages
  type Row = [string, (r: ToolRun) => number, number, 'median' | 'max']
  const rows: Row[] = [
    ['wall time s', (r) => r.first.seconds, 2, 'median'],
    ['requests', (r) => r.first.total, 0, 'median'],
    ['writes', (r) => r.first.writes, 0, 'median'],
    ['requests / floor', (r) => r.first.total / floor, 2, 'median'],
    ['client CPU s (user+sys)', (r) => r.first.cpuSeconds, 2, 'median'],
    ['CPU per request ms', (r) => cpuPerRequest(r.first), 3, 'median'],
    [
      'CPU per request ms, re-run subtracted',
      (r) => marginalCpuPerRequest(r.first, r.rerun),
      3,
      'median',
    ],
    ['peak RSS MiB', (r) => r.first.rssMiB, 0, 'median'],
    ['SlowDown answers', (r) => r.first.slowDowns, 0, 'median'],
    ['peak requests in flight', (r) => r.first.peakInFlight, 0, 'median'],
    ['keys wrong after', (r) => r.firstCheck.wrong, 0, 'max'],
    ['re-run: wall time s', (r) => r.rerun.seconds, 2, 'median'],
    ['re-run: requests', (r) => r.rerun.total, 0, 'median'],
    ['re-run: writes (must be 0)', (r) => r.rerun.writes, 0, 'max'],
    ['re-run: keys wrong after', (r) => r.rerunCheck.wrong, 0, 'max'],
  ]
  const exits = (tool: Tool): string =>
    [...new Set(results.flatMap((r) => [r.by[tool].first.code, r.by[tool].rerun.code]))].join(', ')
  const byKind = (tool: Tool): string => kinds(medianKinds(pick2(results, tool)))
  say(
    `\nMedians over ${results.length} run(s) (max where it says so); ratio = s3-rollback / rclone\n`,
  )
  markdown(
    ['metric', 's3-rollback', 'rclone', 'ratio'],
    [
      ...rows.map(([name, f, digits, how]) => {
        const [a, b] = (['s3-rollback', 'rclone'] as const).map((t) =>
          how === 'max' ? max(t, f) : med(t, f),
        )
        return [
          how === 'max' ? `${name} (max)` : name,
          fixed(a, digits),
          fixed(b, digits),
          ratio(a, b),
        ]
      }),
      ['requests by kind', byKind('s3-rollback'), byKind('rclone'), ''],
      ['exit codes (first, re-run)', exits('s3-rollback'), exits('rclone'), ''],
    ],
  )
  say(
    `\nFloor: ${seeded.changes} writes + ${pages} listing pages (ceil(${seeded.entries} entries / ` +
      `1000))${staged ? ` + ${pages} of the destination` : ''} + ${pages} confirmation listing ` +
      `pages = ${floor} requests. Wall time is the ` +
      `process's, start-up and proxy hops included. CPU is the tool process's user + system ` +
      `time (/usr/bin/time); per request = CPU / requests; "re-run subtracted" = (CPU of the ` +
      `restore − CPU of the re-run) / (requests of the restore − requests of the re-run), ` +
      `which leaves out process start and the listing.`,
  )
}

const pick2 = (results: RunResult[], tool: Tool): Array<Record<string, number>> =>
  results.map((r) => r.by[tool].first.requests)
