// Seeds a versioned bucket like justice40-data on the local S3: good versions of census.zip and
// usa.csv, a known good instant, then a bad run that corrupts both. Run directly, it prints
// `bucket=…` and `good-time=…` lines (for $GITHUB_OUTPUT).
import {
  CreateBucketCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { randomBytes } from 'node:crypto'
import { pathToFileURL } from 'node:url'

export const CENSUS = 'data-sources/census.zip'
export const USA = 'data-pipeline/data/score/csv/tiles/usa.csv'

export function localClient() {
  return new S3Client({
    endpoint: process.env.S3_ENDPOINT_URL,
    region: 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export async function seedCorrupted(s3) {
  const bucket = `justice40-data-demo-${Date.now().toString(36)}`
  const put = (Key, Body, ContentType) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ContentType }))
  await s3.send(new CreateBucketCommand({ Bucket: bucket }))
  await s3.send(
    new PutBucketVersioningCommand({
      Bucket: bucket,
      VersioningConfiguration: { Status: 'Enabled' },
    }),
  )
  const census = randomBytes(24 * 1024 * 1024)
  const rows = ['GEOID10,Score,Percentile']
  for (let i = 0; i < 20000; i++) rows.push(`${10000000000 + i},${(i % 97) / 97},${i % 100}`)
  const usa = Buffer.from(rows.join('\n'))
  await put(CENSUS, census, 'application/zip')
  await put(USA, usa, 'text/csv')
  await sleep(1100)
  const goodTime = new Date().toISOString()
  await sleep(1100)
  await put(CENSUS, census.subarray(0, 1024), 'application/zip') // a truncated upload
  await put(USA, Buffer.from('GEOID10,Score\nNaN,NaN\n'), 'text/csv') // a bad score run
  return { bucket, goodTime, census, usa }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { bucket, goodTime } = await seedCorrupted(localClient())
  console.log(`bucket=${bucket}\ngood-time=${goodTime}`)
}
