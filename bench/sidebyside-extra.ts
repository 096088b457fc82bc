/**
 * Parts `scale` and `keys` of the side-by-side bench (s3-rollback alone, no added latency): peak
 * RSS of a prefix restore at growing sizes, and keys mode against prefix mode over the same keys.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { envInt, envList, fixed, newBucket, removeBucket } from './lib.js'
import { exactness, flatKey, seed, type Layout } from './sidebyside-data.js'
import { kinds, markdown, ratio, say } from './sidebyside-report.js'
import type { Runner } from './sidebyside-tools.js'

/** 1 version per key before T (512 bytes); a tenth of the keys overwritten after it. */
const scaleLayout = (keys: number): Layout => ({
  name: 'scale',
  prefix: 'p/',
  shape: 'flat keys p/NNNNNNN.json',
  keys,
  key: flatKey,
  size: () => 512,
  overwritten: (i) => i % 10 === 0,
  deleted: () => false,
  created: 0,
})

/** The CLI's peak RSS for a prefix restore at growing sizes. */
export async function scale(s3: S3Client, runner: Runner, concurrency: number): Promise<void> {
  const sizes = envList('BENCH_SCALE_KEYS', [1000, 10000, 100000])
  const limit = envInt('BENCH_SEED_CONCURRENCY', 64)
  say(`\n## Peak RSS of a prefix restore by size (s3-rollback)\n`)
  runner.use({ label: '+0 ms', latencyMs: 0 })
  const rows: Array<Array<string | number>> = []
  const rss: number[] = []
  for (const keys of sizes) {
    const bucket = await newBucket(s3, `sbs-scale${keys}`)
    try {
      const layout = scaleLayout(keys)
      const seeded = await seed(s3, [bucket], layout, limit)
      say(
        `${keys} keys: seeded in ${fixed(seeded.seconds, 0)} s ` +
          `(${fixed(seeded.rate, 0)} writes/s at concurrency ${limit})`,
      )
      const m = await runner.cli(bucket, seeded.at, ['--prefix', layout.prefix], concurrency)
      const e = await exactness(s3, bucket, layout.prefix, seeded.at)
      const floor = seeded.changes + 2 * Math.ceil(seeded.entries / 1000)
      rss.push(m.rssMiB)
      rows.push([
        keys,
        seeded.entries,
        seeded.changes,
        fixed(seeded.seconds, 0),
        m.code ?? 'killed',
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
  markdown(
    [
      'keys',
      'versions',
      'changed',
      'seed s',
      'exit',
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

/** Keys mode (every key listed) against prefix mode over the same keys. */
export async function keysMode(s3: S3Client, runner: Runner, concurrency: number): Promise<void> {
  const keys = envInt('BENCH_KEYS_MODE_KEYS', 1000)
  const limit = envInt('BENCH_SEED_CONCURRENCY', 64)
  say(`\n## Keys mode vs prefix mode over the same ${keys} keys (s3-rollback)\n`)
  runner.use({ label: '+0 ms', latencyMs: 0 })
  const listed = await newBucket(s3, 'sbs-keys')
  const whole = await newBucket(s3, 'sbs-prefix')
  try {
    const layout = scaleLayout(keys)
    const seeded = await seed(s3, [listed, whole], layout, limit)
    const names = Array.from({ length: keys }, (_, i) => layout.key(i)).join(',')
    const byKeys = await runner.cli(listed, seeded.at, ['--keys', names], concurrency)
    const byKeysCheck = await exactness(s3, listed, layout.prefix, seeded.at)
    const byPrefix = await runner.cli(whole, seeded.at, ['--prefix', layout.prefix], concurrency)
    const byPrefixCheck = await exactness(s3, whole, layout.prefix, seeded.at)
    say(`${keys} keys, 1 version each before T, ${seeded.changes} overwritten after T\n`)
    markdown(
      [
        'mode',
        'exit',
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
          [`prefix (--prefix ${layout.prefix})`, byPrefix, byPrefixCheck],
        ] as const
      ).map(([mode, m, e]) => [
        mode,
        m.code ?? 'killed',
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
