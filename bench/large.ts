/**
 * One large object: the seed's manual runbook (aws s3api get-object --version-id, then
 * aws s3 cp) against this action's server-side copy, single CopyObject and multipart with
 * several part sizes and parts in flight. Sizes in MiB from BENCH_LARGE_SIZES (default
 * 16,64,256).
 *
 * Memory of the shared local S3: it keeps data in RAM (memstore, 8 GiB), and RGW frees the
 * data of deleted versions only when its garbage collector runs (2 hours later by default).
 * Each run's new version is deleted again, and BENCH_RGW_GC (a shell command such as
 * `radosgw-admin -c /tmp/s3-rollback-local-s3/ceph.conf gc process --include-all`) is run
 * after each one to free it at once. Without it the sizes are capped at 64 MiB.
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
  isMain,
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
  await collectGarbage()
}

/** Frees deleted data on the local S3 now (BENCH_RGW_GC), rather than in 2 hours. */
async function collectGarbage(): Promise<void> {
  const command = process.env.BENCH_RGW_GC
  if (command) check(await timed('/bin/sh', ['-c', command]), 'BENCH_RGW_GC')
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
  const gc = Boolean(process.env.BENCH_RGW_GC)
  const sizes = envList('BENCH_LARGE_SIZES', [16, 64, 256]).filter((size) => gc || size <= 64)
  if (!gc)
    console.log('BENCH_RGW_GC is not set: sizes above 64 MiB are left out (see bench/large.ts)')
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
        for (const part of [8, 16, 32, 64].filter((p) => p < size && size / p <= 32)) {
          for (const inFlight of [8, 16]) {
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
        await collectGarbage()
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
    s3.destroy()
  }
  console.log('\nOne large object: wall time per restore (process start included)')
  return table(['MiB', 'method', 'seconds', 'MiB/s', 'vs runbook', 'peak RSS MiB'], rows)
}

if (isMain(import.meta.url)) {
  await large()
}
