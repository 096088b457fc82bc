/**
 * One large object: the seed's manual runbook (aws s3api get-object --version-id, then
 * aws s3 cp) against this action's server-side copy, single CopyObject and multipart with
 * several part sizes and parts in flight. Sizes in MiB from BENCH_LARGE_SIZES (default
 * 8,32,128,400); each run's new version is removed again to keep the shared server's memory.
 */
import { DeleteObjectCommand, ListObjectVersionsCommand, type S3Client } from '@aws-sdk/client-s3'
import { mkdtemp, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  check,
  client,
  endpoint,
  envList,
  fixed,
  instant,
  newBucket,
  put,
  removeBucket,
  runAction,
  table,
  timed,
  toolEnv,
} from './lib.js'

const MiB = 1024 * 1024
const KEY = 'data-sources/census.zip'

/** Removes every version of KEY except `keep` (the benchmark's own cleanup between runs). */
async function reset(s3: S3Client, bucket: string, keep: string[]): Promise<void> {
  const out = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: KEY }))
  for (const v of [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])]) {
    if (!keep.includes(v.VersionId ?? '')) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: KEY, VersionId: v.VersionId }))
    }
  }
}

interface Row {
  size: number
  method: string
  seconds: number
  rss: number
}

async function runbook(bucket: string, versionId: string, dir: string): Promise<Row> {
  const aws = ['--endpoint-url', endpoint()]
  const file = join(dir, 'census.zip')
  const get = check(
    await timed(
      '/usr/bin/aws',
      [
        ...aws,
        's3api',
        'get-object',
        '--bucket',
        bucket,
        '--key',
        KEY,
        '--version-id',
        versionId,
        file,
      ],
      toolEnv(),
    ),
    'aws s3api get-object',
  )
  const cp = check(
    await timed(
      '/usr/bin/aws',
      [...aws, 's3', 'cp', '--only-show-errors', file, `s3://${bucket}/${KEY}`],
      toolEnv(),
    ),
    'aws s3 cp',
  )
  await rm(file, { force: true })
  return {
    size: 0,
    method: 'runbook: aws s3api get-object + aws s3 cp',
    seconds: get.seconds + cp.seconds,
    rss: Math.max(get.maxRssMiB, cp.maxRssMiB),
  }
}

export async function large(): Promise<string> {
  const s3 = client()
  const sizes = envList('BENCH_LARGE_SIZES', [8, 32, 128, 400])
  const dir = await mkdtemp(join(tmpdir(), 's3-rollback-bench-'))
  const rows: Array<Array<string | number>> = []
  try {
    for (const size of sizes) {
      const bucket = await newBucket(s3, 'large')
      try {
        const good = await put(s3, bucket, KEY, randomBytes(size * MiB))
        const at = await instant()
        const bad = await put(s3, bucket, KEY, 'truncated')
        const keep = [good, bad]
        const results: Row[] = []
        const book = await runbook(bucket, good, dir)
        results.push({ ...book, size })
        await reset(s3, bucket, keep)
        const inputs = { bucket, keys: KEY, 'to-time': at }
        const single = await runAction(inputs)
        results.push({
          size,
          method: 'action: single CopyObject',
          seconds: single.seconds,
          rss: single.maxRssMiB,
        })
        await reset(s3, bucket, keep)
        for (const part of [8, 16, 32, 64, 128].filter((p) => p < size)) {
          for (const inFlight of [4, 8, 16]) {
            const run = await runAction({
              ...inputs,
              'multipart-threshold': '5MiB',
              'part-size': `${part}MiB`,
              'part-concurrency': String(inFlight),
            })
            results.push({
              size,
              method: `action: multipart ${part} MiB parts, ${inFlight} in flight`,
              seconds: run.seconds,
              rss: run.maxRssMiB,
            })
            await reset(s3, bucket, keep)
          }
        }
        const base = results[0].seconds
        for (const r of results) {
          rows.push([
            size,
            r.method,
            fixed(r.seconds),
            fixed(size / r.seconds, 0),
            fixed(base / r.seconds, 1) + 'x',
            fixed(r.rss, 0),
          ])
        }
        const best = results.slice(2).sort((a, b) => a.seconds - b.seconds)[0]
        if (best) {
          console.log(
            `${size} MiB: single copy ${fixed(results[1].seconds)} s, best multipart ` +
              `${fixed(best.seconds)} s (${best.method}); runbook ${fixed(base)} s`,
          )
        }
      } finally {
        await removeBucket(s3, bucket)
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
    s3.destroy()
  }
  console.log('\nOne large object: wall time per restore (process start included)')
  return table(['MiB', 'method', 'seconds', 'MiB/s', 'vs runbook', 'peak RSS MiB'], rows)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await large()
}
