/**
 * A prefix of many small objects with several versions each, half changed after T: this
 * action against `rclone copy` from a remote with `version_at = T` (rclone's --s3-version-at),
 * each restoring its own identical bucket. Counts S3 requests per restored object (the
 * action's through an SDK middleware, rclone's from --dump headers) and peak memory.
 * BENCH_PREFIX_KEYS (default 5000), BENCH_CONCURRENCY (default 16: the action's concurrency,
 * rclone's --transfers and --checkers), BENCH_RCLONE_FIRST=1 to run rclone first (the local S3
 * is shared, so order and neighbours matter: run both orders).
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type ActionRun,
  check,
  client,
  envInt,
  fixed,
  isMain,
  mismatches,
  newBucket,
  rcloneEnv,
  removeBucket,
  runAction,
  seedPrefix,
  table,
  timed,
  type Timed,
  total,
} from './lib.js'

/** rclone's requests by method, from a --dump headers log. */
export function rcloneRequests(log: string): Record<string, number> {
  const counts: Record<string, number> = {}
  const lines = log.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].includes('HTTP REQUEST')) continue
    const m = /DEBUG : (GET|PUT|HEAD|POST|DELETE) (\S+)/.exec(lines[i + 1] ?? '')
    if (!m) continue
    const [, method, path] = m
    const kind = path.includes('versions=')
      ? 'ListObjectVersions'
      : method === 'GET' && /\?(.*&)?(delimiter|prefix|list-type)=/.test(path)
        ? 'ListObjects'
        : method === 'GET'
          ? 'GetObject'
          : method === 'HEAD'
            ? 'HeadObject'
            : method === 'PUT'
              ? 'PutObject'
              : method
    counts[kind] = (counts[kind] ?? 0) + 1
  }
  return counts
}

export async function prefix(): Promise<string> {
  const s3 = client()
  const keys = envInt('BENCH_PREFIX_KEYS', 5000)
  const concurrency = envInt('BENCH_CONCURRENCY', 16)
  const before = 2
  const after = 2
  const ours = await newBucket(s3, 'prefix-action')
  const theirs = await newBucket(s3, 'prefix-rclone')
  const dir = await mkdtemp(join(tmpdir(), 's3-rollback-bench-'))
  try {
    const seeded = Date.now()
    const at = await seedPrefix(s3, [ours, theirs], { keys, before, after })
    const versions = keys * before + Math.ceil(keys / 2) * after
    const changed = Math.ceil(keys / 2)
    console.log(
      `seeded 2 buckets x ${keys} keys, ${versions} versions each, in ${fixed((Date.now() - seeded) / 1000, 0)} s`,
    )
    const runOurs = (): Promise<ActionRun> =>
      runAction({ bucket: ours, prefix: 'p/', 'to-time': at, concurrency: String(concurrency) })
    const log = join(dir, 'rclone.log')
    const rcloneArgs = ['copy', `src:${theirs}/p`, `dst:${theirs}/p`]
    rcloneArgs.push('--transfers', String(concurrency), '--checkers', String(concurrency))
    rcloneArgs.push('--dump', 'headers', '-vv', '--log-file', log)
    const runTheirs = async (): Promise<Timed> =>
      check(await timed('/usr/bin/rclone', rcloneArgs, rcloneEnv(at)), 'rclone copy')
    const rcloneFirst = process.env.BENCH_RCLONE_FIRST === '1'
    const first = rcloneFirst ? await runTheirs() : undefined
    const action = await runOurs()
    const rclone = first ?? (await runTheirs())
    const order = `order: ${rcloneFirst ? 'rclone, then the action' : 'the action, then rclone'}`
    console.log(order)
    const rcloneCounts = rcloneRequests(await readFile(log, 'utf8'))
    const wrongOurs = await mismatches(s3, ours, 'p/', at)
    const wrongTheirs = await mismatches(s3, theirs, 'p/', at)
    const floor = changed + Math.ceil(versions / 1000)
    const rows = [
      ['this action', action, action.requests, wrongOurs] as const,
      ['rclone copy (version_at)', rclone, rcloneCounts, wrongTheirs] as const,
    ].map(([name, run, counts, wrong]) => [
      name,
      fixed(run.seconds),
      fixed(changed / run.seconds, 0),
      total(counts),
      fixed(total(counts) / changed),
      fixed(run.maxRssMiB, 0),
      wrong,
      Object.entries(counts)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ])
    console.log(
      `\nPrefix of ${keys} keys (${versions} versions), ${changed} changed after T; ` +
        `concurrency ${concurrency}. Floor: ${floor} requests (${fixed(floor / changed)} per restored object)`,
    )
    const text = table(
      [
        'tool',
        'seconds',
        'restored/s',
        'requests',
        'per restored',
        'peak RSS MiB',
        'keys wrong after',
        'requests by kind',
      ],
      rows,
    )
    const ratio = (a: number, b: number): string => `${fixed(a / b, 1)}x`
    console.log(
      `ratios (rclone / action): time ${ratio(rclone.seconds, action.seconds)}, requests ` +
        `${ratio(total(rcloneCounts), total(action.requests))}, peak memory ` +
        `${ratio(rclone.maxRssMiB, action.maxRssMiB)}`,
    )
    return `${order}\n${text}`
  } finally {
    await rm(dir, { recursive: true, force: true })
    await removeBucket(s3, ours)
    await removeBucket(s3, theirs)
    s3.destroy()
  }
}

if (isMain(import.meta.url)) {
  await prefix()
}
