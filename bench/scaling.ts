/**
 * Scaling: the same prefix restore at growing sizes (BENCH_SCALE, default 1000,10000,50000
 * keys; one version each before T and one more for half the keys after it). Time and peak
 * memory per object should stay flat: the plan streams to disk, page by page.
 */
import {
  client,
  envInt,
  envList,
  fixed,
  isMain,
  mismatches,
  newBucket,
  removeBucket,
  runAction,
  seedPrefix,
  table,
  total,
} from './lib.js'

export async function scaling(): Promise<string> {
  const s3 = client()
  const sizes = envList('BENCH_SCALE', [1000, 10000, 50000])
  const concurrency = envInt('BENCH_CONCURRENCY', 16)
  const rows: Array<Array<string | number>> = []
  for (const keys of sizes) {
    const bucket = await newBucket(s3, `scale${keys}`)
    try {
      const seeded = Date.now()
      const at = await seedPrefix(s3, [bucket], {
        keys,
        before: 1,
        after: 1,
        bytes: 256,
        limit: 48,
      })
      const seedSeconds = (Date.now() - seeded) / 1000
      const run = await runAction({
        bucket,
        prefix: 'p/',
        'to-time': at,
        concurrency: String(concurrency),
      })
      const wrong = await mismatches(s3, bucket, 'p/', at)
      const written = run.summary?.written ?? 0
      rows.push([
        keys,
        run.summary?.versions ?? 0,
        written,
        fixed(seedSeconds, 0),
        fixed(run.seconds, 1),
        fixed((run.seconds * 1000) / keys, 2),
        fixed(written / run.inner, 0),
        fixed(run.maxRssMiB, 0),
        fixed(total(run.requests) / Math.max(written, 1)),
        wrong,
      ])
      console.log(
        `${keys} keys: ${fixed(run.seconds, 1)} s, peak RSS ${fixed(run.maxRssMiB, 0)} MiB`,
      )
    } finally {
      await removeBucket(s3, bucket)
    }
  }
  s3.destroy()
  console.log(`\nScaling (concurrency ${concurrency})`)
  return table(
    [
      'keys',
      'versions',
      'restored',
      'seed s',
      'restore s',
      'ms per key',
      'restored/s',
      'peak RSS MiB',
      'requests per restored',
      'keys wrong after',
    ],
    rows,
  )
}

if (isMain(import.meta.url)) {
  await scaling()
}
