/**
 * The client CPU of one request on each request path: the SDK (`s3.send`) and the lean path
 * (src/s3/lean: aws4 + undici + saxes), the same requests in the same order on the same
 * objects. Per kind: HeadObject of a version, an in-place CopyObject of a version (what a
 * restore sends), a delete marker, and ListObjectVersions pages of 1,000 entries. CPU is
 * process.cpuUsage() (user + sys) around each batch, divided by its requests; the server's CPU
 * is not in it (it is another process).
 *
 * Knobs: BENCH_OPS (1000 per kind), BENCH_CONCURRENCY (16), BENCH_ROUNDS (2: each path runs
 * this many times, alternating, and the lower CPU is kept).
 * npm run bench:requests; the output also goes to bench/results/requests-<time>.txt.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { createS3Client } from '../src/s3/client.js'
import { listPage } from '../src/s3/listing.js'
import { copySource } from '../src/engine/write/requests.js'
import { addDeleteMarker, copyObject, headObject } from '../src/s3/requests.js'
import { endpoint, envInt, fixed, isMain, newBucket, parallel, put, table } from './lib.js'
import { runAndWrite, transcript } from './results-writer.js'

const printout = transcript()
const { say } = printout

type Path = 'sdk' | 'lean'

function pathClient(path: Path): S3Client {
  const saved = process.env.S3_ROLLBACK_REQUEST_PATH
  process.env.S3_ROLLBACK_REQUEST_PATH = path === 'sdk' ? 'sdk' : 'lean'
  try {
    return createS3Client({ endpoint: endpoint(), forcePathStyle: true })
  } finally {
    if (saved === undefined) delete process.env.S3_ROLLBACK_REQUEST_PATH
    else process.env.S3_ROLLBACK_REQUEST_PATH = saved
  }
}

interface Cost {
  requests: number
  cpuMs: number
  seconds: number
}

async function measure(requests: number, run: () => Promise<void>): Promise<Cost> {
  const cpu = process.cpuUsage()
  const started = performance.now()
  await run()
  const used = process.cpuUsage(cpu)
  return {
    requests,
    cpuMs: (used.user + used.system) / 1000,
    seconds: (performance.now() - started) / 1000,
  }
}

async function round(
  path: Path,
  bucket: string,
  keys: string[],
  versions: string[],
): Promise<Record<string, Cost>> {
  const s3 = pathClient(path)
  const concurrency = envInt('BENCH_CONCURRENCY', 16)
  const costs: Record<string, Cost> = {}
  // Warm up: sockets open, code compiled.
  await parallel(
    keys
      .slice(0, 64)
      .map((Key, i) => () => headObject(s3, { Bucket: bucket, Key, VersionId: versions[i] })),
    concurrency,
  )
  costs.HeadObject = await measure(keys.length, () =>
    parallel(
      keys.map((Key, i) => () => headObject(s3, { Bucket: bucket, Key, VersionId: versions[i] })),
      concurrency,
    ),
  )
  costs.CopyObject = await measure(keys.length, () =>
    parallel(
      keys.map(
        (Key, i) => () =>
          copyObject(s3, {
            Bucket: bucket,
            Key,
            CopySource: copySource(bucket, Key, versions[i]),
            MetadataDirective: 'COPY',
            TaggingDirective: 'COPY',
          }),
      ),
      concurrency,
    ),
  )
  let pages = 0
  costs.ListObjectVersions = await measure(0, async () => {
    let keyMarker: string | undefined
    let versionIdMarker: string | undefined
    for (;;) {
      const page = await listPage(
        s3,
        { bucket, prefix: 'p/', pageSize: 1000 },
        keyMarker,
        versionIdMarker,
      )
      pages++
      if (!page.truncated) break
      keyMarker = page.nextKeyMarker
      versionIdMarker = page.nextVersionIdMarker
    }
  })
  costs.ListObjectVersions.requests = pages
  const markerKeys = keys.slice(0, Math.ceil(keys.length / 4)).map((k) => `${k}.gone`)
  costs.DeleteObject = await measure(markerKeys.length, () =>
    parallel(
      markerKeys.map((Key) => () => addDeleteMarker(s3, { Bucket: bucket, Key })),
      concurrency,
    ),
  )
  s3.destroy()
  return costs
}

export async function requestPath(): Promise<string> {
  const n = envInt('BENCH_OPS', 1000)
  const rounds = envInt('BENCH_ROUNDS', 2)
  const seeder = pathClient('sdk')
  const bucket = await newBucket(seeder, 'reqpath')
  const keys = Array.from({ length: n }, (_, i) => `p/${String(i).padStart(6, '0')} ü+#?.json`)
  const versions: string[] = []
  await parallel(
    keys.map((key, i) => async () => {
      versions[i] = await put(seeder, bucket, key, `${key} `.padEnd(2048, '.'))
    }),
    64,
  )
  say(
    `${n} objects of 2 KiB in s3://${bucket}; concurrency ${envInt('BENCH_CONCURRENCY', 16)}; best of ${rounds} rounds per path`,
  )
  const best: Record<Path, Record<string, Cost>> = { sdk: {}, lean: {} }
  for (let r = 0; r < rounds; r++) {
    for (const path of (r % 2 === 0 ? ['sdk', 'lean'] : ['lean', 'sdk']) as Path[]) {
      const costs = await round(path, bucket, keys, versions)
      for (const [kind, cost] of Object.entries(costs)) {
        const kept = best[path][kind]
        if (!kept || cost.cpuMs / cost.requests < kept.cpuMs / kept.requests)
          best[path][kind] = cost
      }
    }
  }
  const rows = Object.keys(best.sdk).map((kind) => {
    const sdk = best.sdk[kind]
    const lean = best.lean[kind]
    const per = (c: Cost): number => c.cpuMs / c.requests
    return [
      kind,
      sdk.requests,
      fixed(per(sdk), 3),
      fixed(per(lean), 3),
      `${fixed(per(sdk) / per(lean), 1)}×`,
      fixed(sdk.requests / sdk.seconds, 0),
      fixed(lean.requests / lean.seconds, 0),
    ]
  })
  say(
    table(
      [
        'request',
        'requests',
        'SDK CPU ms/req',
        'lean CPU ms/req',
        'SDK / lean',
        'SDK req/s',
        'lean req/s',
      ],
      rows,
    ),
  )
  seeder.destroy()
  return printout.printed.join('\n')
}

if (isMain(import.meta.url)) await runAndWrite('requests', requestPath, printout)
