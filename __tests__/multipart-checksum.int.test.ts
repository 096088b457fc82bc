// A single-part source copied in parts (multipart-threshold below its size) gets a multipart
// ETag, so a listing cannot tell that the copy holds the source's bytes. Where the store keeps
// full-object checksums (AWS; emulated here by the AWS layer in front of the local S3), the copy
// is made with the source's CRC64NVME, and a re-run proves equality from HeadObject and writes
// nothing, without any run record.
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { silentLogger } from '../src/lib/log.js'
import { rollback } from '../src/engine/rollback.js'
import { startAwsProxy, type AwsProxy } from './helpers/awsproxy.js'
import {
  added,
  allVersions,
  client,
  endpoint,
  modifiedAt,
  newBucket,
  proxiedClient,
  put,
  settings,
  sleep,
} from './helpers/s3.js'

let direct: S3Client
let proxy: AwsProxy
let s3: S3Client
beforeAll(async () => {
  direct = client()
  proxy = await startAwsProxy(endpoint(), { checksums: true })
  s3 = proxiedClient(proxy.url)
})
afterAll(async () => {
  s3?.destroy()
  direct?.destroy()
  await proxy?.close()
})

const MiB = 1024 * 1024

/** An 11 MiB object written in one part, then corrupted; T is between. */
async function corrupted(bucket: string, key: string): Promise<{ at: string; good: string }> {
  const good = await put(s3, bucket, key, Buffer.alloc(11 * MiB, 3))
  const at = await modifiedAt(direct, bucket, key, good)
  await sleep(20)
  await put(s3, bucket, key, 'corrupted')
  return { at, good }
}

async function head(bucket: string, key: string): Promise<{ eTag?: string; crc?: string }> {
  const out = await s3.send(
    new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }),
  )
  return { eTag: out.ETag, crc: out.ChecksumCRC64NVME }
}

describe('a forced multipart copy on a store with checksums', () => {
  it.each([
    ['in place', false],
    ['into a destination bucket', true],
  ])(
    '%s: the copy carries the source CRC64NVME, and a re-run writes nothing',
    async (_, staged) => {
      const bucket = await newBucket(direct)
      const { at, good } = await corrupted(bucket, 'data/census.zip')
      const source = await s3.send(
        new HeadObjectCommand({
          Bucket: bucket,
          Key: 'data/census.zip',
          VersionId: good,
          ChecksumMode: 'ENABLED',
        }),
      )
      expect(source.ChecksumCRC64NVME).toBeDefined()
      const staging = staged ? await newBucket(direct) : bucket
      const inputs = {
        bucket,
        keys: 'data/census.zip',
        'to-time': at,
        'multipart-threshold': '5MiB',
        'part-size': '5MiB',
        'endpoint-url': proxy.url,
        ...(staged ? { destination: `s3://${staging}/` } : {}),
      }
      const first = await rollback(s3, settings(inputs), silentLogger)
      expect(first.keys[0].action).toBe('restored')
      const copy = await head(staging, 'data/census.zip')
      expect(copy.eTag).toMatch(/-3"$/)
      expect(copy.eTag).not.toBe(source.ETag)
      expect(copy.crc).toBe(source.ChecksumCRC64NVME)

      const before = await allVersions(direct, staging)
      const again = await rollback(s3, settings(inputs), silentLogger)
      expect(again.keys[0].action).toBe('unchanged')
      expect(added(before, await allVersions(direct, staging))).toEqual([])
    },
  )
})
