/**
 * The AWS-semantics layer (helpers/awsproxy.ts) against the real local S3: what a client sees
 * through it, and what the store holds behind it (read directly, bypassing the layer).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
  type CompleteMultipartUploadCommandInput,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import { request } from 'node:http'
import {
  crc64nvme,
  DEFAULT_KMS_KEY_ID,
  startAwsProxy,
  startAwsStack,
  type AwsProxy,
  type AwsProxyOptions,
} from './helpers/awsproxy.js'
import { sign } from './helpers/sigv4.js'
import { allVersions, client, endpoint, newBucket, put } from './helpers/s3.js'

/** An SDK client as src/s3/client.ts makes one, pointed at `url`, without retries. */
function via(url: string, maxAttempts = 1): S3Client {
  return new S3Client({
    endpoint: url,
    forcePathStyle: true,
    region: 'us-east-1',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts,
  })
}

/** CRC-64/NVME, bit by bit (reflected polynomial 0x9a6c9329ac4bc9b5), Base64 of the 8 bytes. */
function referenceCrc64nvme(data: Uint8Array): string {
  const poly = 0x9a6c9329ac4bc9b5n
  const all = 0xffffffffffffffffn
  let crc = all
  for (const byte of data) {
    crc ^= BigInt(byte)
    for (let i = 0; i < 8; i++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n
  }
  const out = Buffer.alloc(8)
  out.writeBigUInt64BE(crc ^ all)
  return out.toString('base64')
}

interface Failure {
  status?: number
  code?: string
  message?: string
}

async function failure(p: Promise<unknown>): Promise<Failure> {
  try {
    await p
  } catch (e) {
    const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } }
    return { status: err.$metadata?.httpStatusCode, code: err.name, message: err.message }
  }
  throw new Error('expected the request to fail')
}

const md5 = (s: string | Uint8Array): string => `"${createHash('md5').update(s).digest('hex')}"`
const OPAQUE = /^"[0-9a-f]{32}"$/

let direct: S3Client
beforeAll(() => {
  direct = client()
})
afterAll(() => direct.destroy())

/** Versions and delete markers of one key, as the store holds them. */
async function entries(bucket: string, key: string) {
  return (await allVersions(direct, bucket)).filter((e) => e.key === key)
}

/** How many versions and delete markers a key has, and whether a delete marker is current. */
async function shape(bucket: string, key: string) {
  const all = await entries(bucket, key)
  return {
    versions: all.filter((e) => !e.deleteMarker).length,
    markers: all.filter((e) => e.deleteMarker).length,
    deleted: all.some((e) => e.isLatest && e.deleteMarker),
  }
}

/** A proxy with these behaviours and a client of it, for one describe block. */
function withProxy(options: AwsProxyOptions): { proxy: () => AwsProxy; s3: () => S3Client } {
  let proxy: AwsProxy | undefined
  let s3: S3Client | undefined
  beforeAll(async () => {
    proxy = await startAwsProxy(endpoint(), options)
    s3 = via(proxy.url)
  })
  afterAll(async () => {
    s3?.destroy()
    await proxy?.close()
  })
  const must = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('proxy not started')
    return v
  }
  return { proxy: () => must(proxy), s3: () => must(s3) }
}

async function listed(s3: S3Client, bucket: string, key: string) {
  const out = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }))
  return (out.Versions ?? []).filter((v) => v.Key === key)
}

/** A one-part multipart copy of `versionId` of `source` into `key`. */
async function multipartCopy(
  s3: S3Client,
  bucket: string,
  key: string,
  source: string,
  versionId: string,
  create: { ChecksumAlgorithm?: 'CRC64NVME' } = {},
  complete: Partial<CompleteMultipartUploadCommandInput> = {},
) {
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...create }),
  )
  const part = await s3.send(
    new UploadPartCopyCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      PartNumber: 1,
      CopySource: `${bucket}/${source}?versionId=${versionId}`,
    }),
  )
  try {
    return await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.CopyPartResult?.ETag }] },
        ...complete,
      }),
    )
  } catch (e) {
    await direct.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }))
    throw e
  }
}

describe('kms: opaque ETags', () => {
  const { proxy, s3 } = withProxy({ kms: true })

  it('gives a version one opaque ETag in every answer, and a copy another', async () => {
    const bucket = await newBucket(direct)
    const body = 'hello, kms'
    const written = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: body }))
    expect(written.ETag).toMatch(OPAQUE)
    expect(written.ETag).not.toBe(md5(body))
    expect(written.ServerSideEncryption).toBe('aws:kms')
    expect(written.SSEKMSKeyId).toBe(DEFAULT_KMS_KEY_ID)
    const v1 = written.VersionId ?? ''

    expect((await listed(s3(), bucket, 'k')).map((v) => v.ETag)).toEqual([written.ETag])
    const head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' }))
    expect(head.ETag).toBe(written.ETag)
    expect(head.ServerSideEncryption).toBe('aws:kms')
    expect(head.SSEKMSKeyId).toBe(DEFAULT_KMS_KEY_ID)
    expect(head.ChecksumCRC64NVME).toBeUndefined()
    const got = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: 'k', VersionId: v1 }))
    expect(got.ETag).toBe(written.ETag)
    expect(got.ServerSideEncryption).toBe('aws:kms')
    expect(await got.Body?.transformToString()).toBe(body)
    // The store itself is unchanged.
    expect((await direct.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' }))).ETag).toBe(
      md5(body),
    )

    // A copy of the version is a new version: a fresh ETag, and AWS's x-amz-version-id.
    const copy = await s3().send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'k',
        CopySource: `${bucket}/k?versionId=${v1}`,
      }),
    )
    const copied = copy.CopyObjectResult?.ETag
    expect(copied).toMatch(OPAQUE)
    expect(copied).not.toBe(written.ETag)
    const stored = await entries(bucket, 'k')
    expect(stored).toHaveLength(2)
    expect(copy.VersionId).toBe(stored.find((e) => e.isLatest)?.versionId)
    expect(copy.CopySourceVersionId).toBe(v1)
    expect(copy.ServerSideEncryption).toBe('aws:kms')

    const again = await listed(s3(), bucket, 'k')
    expect(again.map((v) => [v.VersionId, v.ETag])).toEqual([
      [copy.VersionId, copied],
      [v1, written.ETag],
    ])
    const headCopy = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' }))
    expect(headCopy.ETag).toBe(copied)
    expect(proxy().eTagOf(bucket, 'k', v1)).toBe(written.ETag)

    // The same bytes written again: another version, another ETag.
    const rewritten = await s3().send(
      new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: body }),
    )
    expect(rewritten.ETag).toMatch(OPAQUE)
    expect([written.ETag, copied]).not.toContain(rewritten.ETag)
  })

  it('strips the SSE-KMS request headers the store cannot take, and reports the key asked for', async () => {
    const bucket = await newBucket(direct)
    await put(direct, bucket, 'src', 'source bytes')
    const keyId = 'arn:aws:kms:us-east-1:111122223333:key/another'
    const resigned = proxy().stats.resigned
    const copy = await s3().send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'dst',
        CopySource: `${bucket}/src`,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: keyId,
      }),
    )
    expect(proxy().stats.resigned).toBe(resigned + 1)
    expect(copy.SSEKMSKeyId).toBe(keyId)
    const head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: 'dst' }))
    expect(head.SSEKMSKeyId).toBe(keyId)
    expect(head.ETag).toBe(copy.CopyObjectResult?.ETag)
    const raw = await direct.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dst' }))
    expect(raw.ServerSideEncryption).toBeUndefined()
  })

  it('gives a completed multipart upload an opaque ETag too', async () => {
    const bucket = await newBucket(direct)
    const v = await put(direct, bucket, 'src', 'part bytes')
    const done = await multipartCopy(s3(), bucket, 'mp', 'src', v)
    expect(done.ETag).toMatch(OPAQUE)
    expect(done.VersionId).toBeTruthy()
    expect((await listed(s3(), bucket, 'mp')).map((e) => e.ETag)).toEqual([done.ETag])
    const head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: 'mp' }))
    expect(head.ETag).toBe(done.ETag)
  })

  it('answers GET conditions on the opaque ETag', async () => {
    const bucket = await newBucket(direct)
    const { ETag } = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' }))
    const ok = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: 'k', IfMatch: ETag }))
    expect(await ok.Body?.transformToString()).toBe('x')
    expect(
      await failure(
        s3().send(new GetObjectCommand({ Bucket: bucket, Key: 'k', IfMatch: md5('x') })),
      ),
    ).toMatchObject({ status: 412 })
    expect(
      await failure(
        s3().send(new HeadObjectCommand({ Bucket: bucket, Key: 'k', IfNoneMatch: ETag })),
      ),
    ).toMatchObject({ status: 304 })
  })

  describe('only under some prefixes', () => {
    const scoped = withProxy({
      kms: { prefixes: ['enc/'], keyId: 'arn:aws:kms:eu-west-1:1:key/t' },
    })

    it('leaves other keys as the store has them', async () => {
      const bucket = await newBucket(direct)
      const enc = await scoped
        .s3()
        .send(new PutObjectCommand({ Bucket: bucket, Key: 'enc/a', Body: 'a' }))
      const plain = await scoped
        .s3()
        .send(new PutObjectCommand({ Bucket: bucket, Key: 'plain/a', Body: 'a' }))
      expect(enc.ETag).toMatch(OPAQUE)
      expect(enc.SSEKMSKeyId).toBe('arn:aws:kms:eu-west-1:1:key/t')
      expect(plain.ETag).toBe(md5('a'))
      const head = await scoped.s3().send(new HeadObjectCommand({ Bucket: bucket, Key: 'plain/a' }))
      expect(head.ServerSideEncryption).toBeUndefined()
      const out = await scoped.s3().send(new ListObjectVersionsCommand({ Bucket: bucket }))
      expect(Object.fromEntries((out.Versions ?? []).map((v) => [v.Key, v.ETag]))).toEqual({
        'enc/a': enc.ETag,
        'plain/a': md5('a'),
      })
    })
  })
})

describe('conditions: conditional writes honoured', () => {
  const { proxy, s3 } = withProxy({ conditions: true })

  it('If-None-Match: * fails with 412 on a key with a current object, and writes nothing', async () => {
    const bucket = await newBucket(direct)
    await put(direct, bucket, 'k', 'first')
    const resigned = proxy().stats.resigned
    const before = proxy().stats.answered.preconditionFailed
    const put412 = await failure(
      s3().send(
        new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'second', IfNoneMatch: '*' }),
      ),
    )
    expect(put412).toMatchObject({ status: 412, code: 'PreconditionFailed' })
    expect(await entries(bucket, 'k')).toHaveLength(1)
    expect(proxy().stats.answered.preconditionFailed).toBe(before + 1)

    // On a new key, and on a key whose current entry is a delete marker, it writes.
    const fresh = await s3().send(
      new PutObjectCommand({ Bucket: bucket, Key: 'new', Body: 'n', IfNoneMatch: '*' }),
    )
    expect(fresh.VersionId).toBeTruthy()
    expect(proxy().stats.resigned).toBe(resigned + 1)
    await direct.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }))
    await s3().send(
      new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'back', IfNoneMatch: '*' }),
    )
    expect(await shape(bucket, 'k')).toEqual({ versions: 2, markers: 1, deleted: false })
  })

  it('If-Match writes over the current ETag only; 404 when a delete marker is current', async () => {
    const bucket = await newBucket(direct)
    await put(direct, bucket, 'k', 'one')
    const two = await s3().send(
      new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'two', IfMatch: md5('one') }),
    )
    expect(two.VersionId).toBeTruthy()
    expect(await entries(bucket, 'k')).toHaveLength(2)

    const stale = await failure(
      s3().send(
        new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'three', IfMatch: md5('one') }),
      ),
    )
    expect(stale).toMatchObject({ status: 412, code: 'PreconditionFailed' })
    expect(await entries(bucket, 'k')).toHaveLength(2)

    await direct.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }))
    const gone = await failure(
      s3().send(
        new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'four', IfMatch: md5('two') }),
      ),
    )
    expect(gone).toMatchObject({ status: 404, code: 'NoSuchKey' })
    const never = await failure(
      s3().send(
        new PutObjectCommand({ Bucket: bucket, Key: 'none', Body: 'x', IfMatch: md5('x') }),
      ),
    )
    expect(never).toMatchObject({ status: 404, code: 'NoSuchKey' })
    expect(await entries(bucket, 'k')).toHaveLength(3)
    expect(proxy().stats.answered.noSuchKey).toBeGreaterThanOrEqual(2)
  })

  it('answers 409 ConditionalRequestConflict once when told, then writes', async () => {
    const bucket = await newBucket(direct)
    await put(direct, bucket, 'k', 'one')
    proxy().conflictNext(bucket, 'k')
    // An unconditional write is not a conditional one: the hook waits.
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'other', Body: 'x' }))
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'plain' }))
    const conflict = await failure(
      s3().send(
        new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'two', IfMatch: md5('plain') }),
      ),
    )
    expect(conflict).toMatchObject({ status: 409, code: 'ConditionalRequestConflict' })
    expect(await entries(bucket, 'k')).toHaveLength(2)
    await s3().send(
      new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'two', IfMatch: md5('plain') }),
    )
    expect(await entries(bucket, 'k')).toHaveLength(3)
    expect(proxy().stats.answered.conflict).toBe(1)
  })

  it('honours destination conditions and x-amz-copy-source-if-match on copies', async () => {
    const bucket = await newBucket(direct)
    const v1 = await put(direct, bucket, 'k', 'one')
    await put(direct, bucket, 'k', 'two')
    const source = `${bucket}/k?versionId=${v1}`
    const copy = await s3().send(
      new CopyObjectCommand({ Bucket: bucket, Key: 'k', CopySource: source, IfMatch: md5('two') }),
    )
    const stored = await entries(bucket, 'k')
    expect(stored).toHaveLength(3)
    expect(copy.VersionId).toBe(stored.find((e) => e.isLatest)?.versionId)

    expect(
      await failure(
        s3().send(
          new CopyObjectCommand({ Bucket: bucket, Key: 'k', CopySource: source, IfNoneMatch: '*' }),
        ),
      ),
    ).toMatchObject({ status: 412, code: 'PreconditionFailed' })
    expect(
      await failure(
        s3().send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: 'k',
            CopySource: source,
            IfMatch: md5('two'),
          }),
        ),
      ),
    ).toMatchObject({ status: 412 })
    const before = proxy().stats.answered.copySourcePreconditionFailed
    expect(
      await failure(
        s3().send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: 'k',
            CopySource: source,
            CopySourceIfMatch: md5('two'),
          }),
        ),
      ),
    ).toMatchObject({ status: 412, code: 'PreconditionFailed' })
    expect(proxy().stats.answered.copySourcePreconditionFailed).toBe(before + 1)
    expect(await entries(bucket, 'k')).toHaveLength(3)
    await s3().send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'k',
        CopySource: source,
        CopySourceIfMatch: md5('one'),
      }),
    )
    expect(await entries(bucket, 'k')).toHaveLength(4)
  })

  it('honours conditions on CompleteMultipartUpload', async () => {
    const bucket = await newBucket(direct)
    const v = await put(direct, bucket, 'k', 'one')
    expect(
      await failure(multipartCopy(s3(), bucket, 'k', 'k', v, {}, { IfNoneMatch: '*' })),
    ).toMatchObject({ status: 412, code: 'PreconditionFailed' })
    expect(await entries(bucket, 'k')).toHaveLength(1)
    await multipartCopy(s3(), bucket, 'k', 'k', v, {}, { IfMatch: md5('one') })
    expect(await entries(bucket, 'k')).toHaveLength(2)
  })

  it('serialises conditional writes to a key: one of several If-None-Match: * wins', async () => {
    const bucket = await newBucket(direct)
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        s3().send(
          new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: `w${i}`, IfNoneMatch: '*' }),
        ),
      ),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const rejected = results.filter((r) => r.status === 'rejected')
    expect(rejected.map((r) => (r.reason as { name?: string }).name)).toEqual(
      Array(5).fill('PreconditionFailed'),
    )
    expect(await entries(bucket, 'k')).toHaveLength(1)
  })

  it("answers in S3's XML error format, and re-signs requests signed by other signers", async () => {
    const bucket = await newBucket(direct)
    await put(direct, bucket, 'k', 'one')
    const url = new URL(proxy().url)
    const path = `/${bucket}/k`
    const signed = sign(
      {
        method: 'PUT',
        path,
        rawQuery: '',
        headers: { host: url.host, 'if-none-match': '*', 'content-length': '3' },
        body: 'two',
      },
      {
        accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
      },
      'us-east-1',
      's3',
    )
    const send = (headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const out = request(
          { host: url.hostname, port: url.port, method: 'PUT', path, headers },
          (res) => {
            let body = ''
            res.on('data', (c: Buffer) => (body += c.toString()))
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
          },
        )
        out.on('error', reject)
        out.end('two')
      })
    const refused = await send(signed)
    expect(refused.status).toBe(412)
    expect(refused.body).toMatch(
      /^<\?xml[^>]*>\s*<Error><Code>PreconditionFailed<\/Code><Message>[^<]+<\/Message><Resource>[^<]*<\/Resource><RequestId>[0-9A-F]+<\/RequestId><\/Error>$/,
    )
    // Once the key is gone (a delete marker), the same signed request is forwarded re-signed.
    await direct.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }))
    expect((await send(signed)).status).toBe(200)
    expect(await shape(bucket, 'k')).toEqual({ versions: 2, markers: 1, deleted: false })
  })
})

describe('kms and conditions together', () => {
  const { s3 } = withProxy({ kms: true, conditions: true })

  it('compares conditions with the ETag the client sees', async () => {
    const bucket = await newBucket(direct)
    const one = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'one' }))
    expect(
      await failure(
        s3().send(
          new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x', IfMatch: md5('one') }),
        ),
      ),
    ).toMatchObject({ status: 412 })
    const two = await s3().send(
      new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'two', IfMatch: one.ETag }),
    )
    await s3().send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'k',
        CopySource: `${bucket}/k?versionId=${one.VersionId}`,
        CopySourceIfMatch: one.ETag,
        IfMatch: two.ETag,
      }),
    )
    expect(await entries(bucket, 'k')).toHaveLength(3)
  })
})

describe('checksums: full-object CRC64NVME', () => {
  const { proxy, s3 } = withProxy({ checksums: true })

  it('computes CRC64NVME as the reference does', async () => {
    expect(referenceCrc64nvme(Buffer.from('123456789'))).toBe(
      Buffer.from('ae8b14860a799888', 'hex').toString('base64'),
    )
    const data = randomBytes(5000)
    expect(await crc64nvme(data)).toBe(referenceCrc64nvme(data))
  })

  it('answers the checksum on HEAD and GET with checksum mode, and keeps it on a copy', async () => {
    const bucket = await newBucket(direct)
    const data = randomBytes(20_000)
    const expected = referenceCrc64nvme(data)
    const written = await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: data }))
    expect(written.ChecksumCRC64NVME).toBe(expected)
    const head = await s3().send(
      new HeadObjectCommand({ Bucket: bucket, Key: 'k', ChecksumMode: 'ENABLED' }),
    )
    expect(head.ChecksumCRC64NVME).toBe(expected)
    expect(head.ChecksumType).toBe('FULL_OBJECT')
    const plain = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' }))
    expect(plain.ChecksumCRC64NVME).toBeUndefined()
    // The SDK validates a GET's body against the checksum it is given.
    const got = await s3().send(
      new GetObjectCommand({ Bucket: bucket, Key: 'k', ChecksumMode: 'ENABLED' }),
    )
    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? [])).toEqual(data)
    expect(got.ChecksumCRC64NVME).toBe(expected)

    const copy = await s3().send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: 'copy',
        CopySource: `${bucket}/k?versionId=${written.VersionId}`,
      }),
    )
    const copied = await s3().send(
      new HeadObjectCommand({
        Bucket: bucket,
        Key: 'copy',
        VersionId: copy.VersionId,
        ChecksumMode: 'ENABLED',
      }),
    )
    expect(copied.ChecksumCRC64NVME).toBe(expected)
  })

  it('fetches a version it did not see written once, from the store', async () => {
    const bucket = await newBucket(direct)
    const data = randomBytes(3000)
    const v = await put(direct, bucket, 'k', data)
    const fetches = proxy().stats.internal.getForChecksum
    for (let i = 0; i < 2; i++) {
      const head = await s3().send(
        new HeadObjectCommand({ Bucket: bucket, Key: 'k', VersionId: v, ChecksumMode: 'ENABLED' }),
      )
      expect(head.ChecksumCRC64NVME).toBe(referenceCrc64nvme(data))
    }
    expect(proxy().stats.internal.getForChecksum).toBe(fetches + 1)
  })

  it('gives a multipart upload a checksum only when it was created with CRC64NVME', async () => {
    const bucket = await newBucket(direct)
    const data = randomBytes(4000)
    const v = await put(direct, bucket, 'src', data)
    await multipartCopy(s3(), bucket, 'with', 'src', v, { ChecksumAlgorithm: 'CRC64NVME' })
    await multipartCopy(s3(), bucket, 'without', 'src', v)
    const head = (Key: string) =>
      s3().send(new HeadObjectCommand({ Bucket: bucket, Key, ChecksumMode: 'ENABLED' }))
    expect((await head('with')).ChecksumCRC64NVME).toBe(referenceCrc64nvme(data))
    expect((await head('without')).ChecksumCRC64NVME).toBeUndefined()
  })
})

describe('slowDown: 503 above a write rate per prefix', () => {
  const { proxy, s3 } = withProxy({ slowDown: { writesPerSecond: 2, prefixDepth: 1 } })

  it('answers SlowDown above the rate without forwarding, per prefix', async () => {
    const bucket = await newBucket(direct)
    proxy().resetStats()
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        s3().send(new PutObjectCommand({ Bucket: bucket, Key: `hot/k${i}`, Body: 'x' })),
      ),
    )
    const slowed = results.filter(
      (r) => r.status === 'rejected' && (r.reason as { name?: string }).name === 'SlowDown',
    )
    const landed = results.filter((r) => r.status === 'fulfilled')
    expect(slowed.length).toBeGreaterThanOrEqual(5)
    expect(slowed.length + landed.length).toBe(10)
    expect(proxy().stats.answered.slowDown).toBe(slowed.length)
    const stored = (await allVersions(direct, bucket)).filter((e) => e.key.startsWith('hot/'))
    expect(stored).toHaveLength(landed.length)
    // Another prefix has its own bucket of tokens; reads are not limited.
    await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'cold/k', Body: 'x' }))
    await Promise.all(
      Array.from({ length: 5 }, () =>
        s3().send(new HeadObjectCommand({ Bucket: bucket, Key: 'cold/k' })),
      ),
    )
  })

  it('lets writes below the rate through', async () => {
    const bucket = await newBucket(direct)
    proxy().configure({ slowDown: { writesPerSecond: 5, prefixDepth: 1 } })
    proxy().resetStats()
    for (let i = 0; i < 8; i++) {
      await s3().send(new PutObjectCommand({ Bucket: bucket, Key: `p/k${i}`, Body: 'x' }))
      await new Promise((r) => setTimeout(r, 300))
    }
    expect(proxy().stats.answered.slowDown).toBe(0)
  }, 20_000)
})

describe('latencyMs', () => {
  const { s3 } = withProxy({ latencyMs: 250 })

  it('delays every request by at least the latency', async () => {
    const bucket = await newBucket(direct)
    for (const send of [
      () => s3().send(new ListObjectVersionsCommand({ Bucket: bucket })),
      () => s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' })),
    ]) {
      const start = performance.now()
      await send()
      expect(performance.now() - start).toBeGreaterThanOrEqual(250)
    }
  })
})

describe('behind the fault proxy', () => {
  it('a conditional write retried after its answer was lost meets its own write: 412', async () => {
    const bucket = await newBucket(direct)
    const stack = await startAwsStack(
      endpoint(),
      { conditions: true },
      { resetAfter: 1, maxFaults: 1, only: (req) => req.method === 'PUT' },
    )
    const s3 = via(stack.url, 2)
    try {
      const outcome = await failure(
        s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x', IfNoneMatch: '*' })),
      )
      expect(outcome).toMatchObject({ status: 412, code: 'PreconditionFailed' })
      expect(stack.faults.stats.faults.resetAfter).toBe(1)
      expect(stack.aws.stats.byOperation.PUT).toBe(2)
      expect(await entries(bucket, 'k')).toHaveLength(1)
    } finally {
      s3.destroy()
      await stack.close()
    }
  })
})
