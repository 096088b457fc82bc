// A multipart copy against the real local S3 reports its parts and bytes through the run's
// logger (engine/write/part-progress.ts), here with no quiet period and a line at every 25%.
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { WriteGuard } from '../src/engine/index.js'
import { copyVersion } from '../src/engine/write/write.js'
import { silentLogger, type Logger } from '../src/lib/log.js'
import { keyHistory } from '../src/s3/listing.js'
import { client, newBucket, put, read } from './helpers/s3.js'

const MiB = 1024 * 1024
let s3: S3Client
beforeAll(() => {
  s3 = client()
})
afterAll(() => s3?.destroy())

/** A version of `key` uploaded in four 5 MiB parts, then a small version on top of it. */
async function inPartsThenCorrupted(bucket: string, key: string): Promise<void> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))
  const parts = []
  for (let i = 0; i < 4; i++) {
    const out = await s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        PartNumber: i + 1,
        Body: Buffer.alloc(5 * MiB, 97 + i),
      }),
    )
    parts.push({ PartNumber: i + 1, ETag: out.ETag })
  }
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: parts },
    }),
  )
  await put(s3, bucket, key, 'corrupted')
}

describe('a multipart copy', () => {
  it("reports parts and bytes done through the run's logger", async () => {
    const bucket = await newBucket(s3)
    await inPartsThenCorrupted(bucket, 'census.zip')
    const [current, wanted] = await keyHistory(s3, bucket, 'census.zip')
    const lines: string[] = []
    const log: Logger = { ...silentLogger, info: (m) => lines.push(m) }
    const to = {
      s3,
      where: { bucket },
      copy: { multipartThreshold: 5 * 1024 * MiB, partSize: 5 * MiB, partConcurrency: 1 },
      log,
      partProgress: { quietMs: 0, everyMs: 60_000, everyPercent: 25 },
    }
    await copyVersion(
      to,
      { key: 'census.zip', wanted, expected: current },
      new WriteGuard(silentLogger),
    )
    expect((await read(s3, bucket, 'census.zip'))?.length).toBe(20 * MiB)
    expect(lines.map((l) => l.replace(/, [\d.]+ (B|KiB|MiB)\/s, (ETA|elapsed) \d+s/, ''))).toEqual([
      'Copying census.zip in parts: 5.0 MiB/20.0 MiB (25%), 1/4 parts',
      'Copying census.zip in parts: 10.0 MiB/20.0 MiB (50%), 2/4 parts',
      'Copying census.zip in parts: 15.0 MiB/20.0 MiB (75%), 3/4 parts',
      'Copying census.zip in parts: 20.0 MiB/20.0 MiB (100%), 4/4 parts',
    ])
  })
})
