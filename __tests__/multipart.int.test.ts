// Multipart copies against the real local S3: a source uploaded in parts is copied in its own
// part layout, so the copy has its ETag and a re-run writes nothing; no upload is left open.
import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3'
import { describe, expect, it } from '@jest/globals'
import { rollback } from '../src/engine/rollback.js'
import { silentLogger } from '../src/lib/log.js'
import { createS3Client } from '../src/s3/client.js'
import { keyHistory } from '../src/s3/listing.js'
import { operation, type FaultProxy } from './helpers/faultproxy.js'
import { withFaultProxy } from './helpers/fixtures.js'
import { added, allVersions, newBucket, put, settings, sleep, uploadInParts } from './helpers/s3.js'

const MiB = 1024 * 1024
let s3: S3Client
let proxy: FaultProxy
withFaultProxy((c, p) => {
  s3 = c
  proxy = p
})

async function openUploads(bucket: string): Promise<number> {
  return (await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads?.length ?? 0
}

describe('a source uploaded in parts', () => {
  it('is copied in its own layout: same ETag, and a re-run writes nothing', async () => {
    const bucket = await newBucket(s3)
    await uploadInParts(s3, bucket, 'census.zip', [5 * MiB, 5 * MiB, 1 * MiB + 7])
    await sleep(1100)
    const at = new Date().toISOString()
    await sleep(1100)
    await put(s3, bucket, 'census.zip', 'corrupted')
    const inputs = { bucket, keys: 'census.zip', 'to-time': at }
    const first = await rollback(s3, settings(inputs), silentLogger)
    expect(first.keys[0]).toMatchObject({ action: 'restored', check: 'size and ETag' })
    const [copy, , source] = await keyHistory(s3, bucket, 'census.zip')
    expect(copy.eTag).toMatch(/-3"$/)
    expect(copy.eTag).toBe(source.eTag)
    expect(copy.size).toBe(source.size)

    const before = await allVersions(s3, bucket)
    const second = await rollback(s3, settings(inputs), silentLogger)
    expect(second.keys[0]).toMatchObject({ action: 'unchanged', newVersionId: null })
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
    expect(await openUploads(bucket)).toBe(0)
  }, 120_000)

  it('leaves no upload open when a CreateMultipartUpload answer is lost', async () => {
    const bucket = await newBucket(s3)
    await uploadInParts(s3, bucket, 'big.bin', [5 * MiB, 1 * MiB])
    await sleep(1100)
    const at = new Date().toISOString()
    await sleep(1100)
    await put(s3, bucket, 'big.bin', 'corrupted')
    // The server opens the upload; the answer is lost; the SDK asks again and opens another.
    proxy.setFaults({
      resetAfter: 1,
      maxFaults: 1,
      only: (req) => operation(req) === 'POST create-multipart',
    })
    const faulty = createS3Client({ endpoint: proxy.url, forcePathStyle: true })
    const manifest = await rollback(
      faulty,
      settings({ bucket, keys: 'big.bin', 'to-time': at }),
      silentLogger,
    )
    faulty.destroy()
    expect(proxy.stats.faults.resetAfter).toBe(1)
    proxy.setFaults({})
    expect(manifest.keys[0].action).toBe('restored')
    expect(await openUploads(bucket)).toBe(0)
  }, 120_000)
})
