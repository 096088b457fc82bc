/**
 * What one request of each kind costs on this S3 (requests per second at the given
 * concurrency, on a versioned bucket of small objects): explains where a restore's time goes.
 * BENCH_OPS (default 1000 per kind), BENCH_CONCURRENCY (default 16).
 */
import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3'
import {
  client,
  envInt,
  fixed,
  isMain,
  newBucket,
  parallel,
  put,
  removeBucket,
  table,
} from './lib.js'

export async function ops(): Promise<string> {
  const s3 = client()
  const n = envInt('BENCH_OPS', 1000)
  const concurrency = envInt('BENCH_CONCURRENCY', 16)
  const bucket = await newBucket(s3, 'ops')
  const keys = Array.from({ length: n }, (_, i) => `p/${String(i).padStart(6, '0')}`)
  const body = 'x'.repeat(1024)
  const rows: Array<Array<string | number>> = []
  try {
    const ids = new Map<string, string>()
    await parallel(
      keys.map((k) => async () => ids.set(k, await put(s3, bucket, k, body))),
      concurrency,
    )
    const kinds: Array<[string, (key: string) => Promise<unknown>]> = [
      [
        'PutObject 1 KiB',
        (Key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: body })),
      ],
      [
        'GetObject 1 KiB',
        async (Key) => {
          const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }))
          await out.Body?.transformToString()
        },
      ],
      [
        'HeadObject (a version)',
        (Key) => s3.send(new HeadObjectCommand({ Bucket: bucket, Key, VersionId: ids.get(Key) })),
      ],
      [
        'ListObjectVersions (one key, max 8)',
        (Key) =>
          s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: Key, MaxKeys: 8 })),
      ],
      [
        'CopyObject (a version onto its key)',
        (Key) =>
          s3.send(
            new CopyObjectCommand({
              Bucket: bucket,
              Key,
              CopySource: `${bucket}/${Key}?versionId=${ids.get(Key)}`,
            }),
          ),
      ],
    ]
    for (const [name, op] of kinds) {
      const started = Date.now()
      await parallel(
        keys.map((k) => () => op(k)),
        concurrency,
      )
      const seconds = (Date.now() - started) / 1000
      rows.push([
        name,
        n,
        fixed(seconds),
        fixed(n / seconds, 0),
        fixed((seconds * 1000 * concurrency) / n, 1),
      ])
    }
  } finally {
    await removeBucket(s3, bucket)
    s3.destroy()
  }
  console.log(`\nCost of one request (concurrency ${concurrency})`)
  return table(['request', 'count', 'seconds', 'per second', 'ms each (latency)'], rows)
}

if (isMain(import.meta.url)) {
  await ops()
}
