import { describe, expect, it } from '@jest/globals'
import aws4 from 'aws4'
import { explain } from '../src/lib/explain.js'
import { errorFrom, networkError } from '../src/s3/lean/errors.js'
import { pageFromXml } from '../src/s3/lean/list-page.js'
import { deleteObject, headOutput } from '../src/s3/lean/operations.js'
import { backoffMs, isRetryable } from '../src/s3/lean/retry.js'
import { sign } from '../src/s3/lean/sign.js'
import { encodeKey, type Wire } from '../src/s3/lean/wire.js'

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
}

describe('signing', () => {
  const requests = [
    { method: 'HEAD', path: `/b/${encodeKey('a b/c+d?#%.txt')}?versionId=x%2By`, headers: {} },
    {
      method: 'PUT',
      path: `/b/${encodeKey('caf\u00e9/cafe\u0301 (1) *!.txt')}`,
      headers: { 'x-amz-copy-source': 'b/k%20l?versionId=1', 'If-Match': '"abc"' },
    },
    {
      method: 'GET',
      path: '/b/?versions=&prefix=a%2Bb%20c&key-marker=x&max-keys=1000',
      headers: {},
    },
    {
      method: 'DELETE',
      path: `/${encodeKey('//double//slash/./..')}`,
      headers: { 'x-amz-expected-bucket-owner': '111122223333' },
    },
  ]
  it.each(requests)('signs $method $path as aws4 does', (r) => {
    const at = {
      'X-Amz-Date': '20261204T120000Z',
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    }
    const base = { host: 's3.eu-west-1.amazonaws.com', service: 's3', region: 'eu-west-1' }
    const ours = sign(
      { ...base, method: r.method, path: r.path, headers: { ...r.headers, ...at } },
      credentials,
    )
    const theirs = aws4.sign(
      { ...base, method: r.method, path: r.path, headers: { ...r.headers, ...at } },
      credentials,
    )
    expect(ours.headers?.Authorization).toBe(theirs.headers?.Authorization)
    expect(ours.path).toBe(theirs.path)
  })

  it('changes the signature with the date, the region and the secret', () => {
    const auth = (date: string, region: string, secret: string): unknown =>
      sign(
        {
          host: 'h',
          service: 's3',
          region,
          method: 'GET',
          path: '/',
          headers: { 'X-Amz-Date': date },
        },
        { accessKeyId: 'a', secretAccessKey: secret },
      ).headers?.Authorization
    const one = auth('20261204T120000Z', 'us-east-1', 's')
    expect(auth('20261205T120000Z', 'us-east-1', 's')).not.toBe(one)
    expect(auth('20261204T120000Z', 'eu-west-1', 's')).not.toBe(one)
    expect(auth('20261204T120000Z', 'us-east-1', 't')).not.toBe(one)
    expect(auth('20261204T120000Z', 'us-east-1', 's')).toBe(one)
  })

  it('encodes each segment of a key (RFC 3986), keeping the slashes', () => {
    expect(encodeKey("a b/c+d?#%&=/ü'()*!~._-")).toBe(
      'a%20b/c%2Bd%3F%23%25%26%3D/%C3%BC%27%28%29%2A%21~._-',
    )
    // NFC and NFD spellings are different keys, and stay different on the wire.
    expect(encodeKey('caf\u00e9')).toBe('caf%C3%A9')
    expect(encodeKey('cafe\u0301')).toBe('cafe%CC%81')
  })
})

describe('reading a version listing', () => {
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>' +
    '<Prefix>p/</Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>' +
    '<NextKeyMarker>p/b &amp; c</NextKeyMarker><NextVersionIdMarker>v3</NextVersionIdMarker>' +
    '<MaxKeys>3</MaxKeys><IsTruncated>true</IsTruncated>' +
    '<Version><Key>p/a&lt;1&gt;</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>' +
    '<LastModified>2026-12-04T10:00:00.123Z</LastModified><ETag>&quot;e1&quot;</ETag>' +
    '<Size>12</Size><Owner><ID>o</ID></Owner><StorageClass>STANDARD</StorageClass></Version>' +
    '<DeleteMarker><Key>p/b &amp; c</Key><VersionId>v2</VersionId><IsLatest>true</IsLatest>' +
    '<LastModified>2026-12-04T11:00:00.000Z</LastModified><Owner><ID>o</ID></Owner></DeleteMarker>' +
    '<Version><Key>p/b &amp; c</Key><VersionId>v3</VersionId><IsLatest>false</IsLatest>' +
    '<LastModified>2026-12-04T11:00:00.000Z</LastModified><ETag>"e3"</ETag><Size>0</Size>' +
    '<StorageClass>GLACIER</StorageClass></Version>' +
    '<CommonPrefixes><Prefix>p/d&#xE9;/</Prefix></CommonPrefixes></ListVersionsResult>'

  it('keeps document order, decodes entities, and reads the markers', () => {
    const page = pageFromXml(xml)
    expect(page.truncated).toBe(true)
    expect(page.nextKeyMarker).toBe('p/b & c')
    expect(page.nextVersionIdMarker).toBe('v3')
    expect(page.commonPrefixes).toEqual(['p/dé/'])
    expect(page.entries).toEqual([
      {
        key: 'p/a<1>',
        versionId: 'null',
        isDeleteMarker: false,
        isLatest: true,
        lastModified: new Date('2026-12-04T10:00:00.123Z'),
        size: 12,
        eTag: '"e1"',
        storageClass: 'STANDARD',
      },
      {
        key: 'p/b & c',
        versionId: 'v2',
        isDeleteMarker: true,
        isLatest: true,
        lastModified: new Date('2026-12-04T11:00:00.000Z'),
      },
      {
        key: 'p/b & c',
        versionId: 'v3',
        isDeleteMarker: false,
        isLatest: false,
        lastModified: new Date('2026-12-04T11:00:00.000Z'),
        size: 0,
        eTag: '"e3"',
        storageClass: 'GLACIER',
      },
    ])
  })

  it('refuses a document that is not XML', () => {
    expect(() => pageFromXml('<ListVersionsResult><Version>')).toThrow()
  })
})

describe('errors in the SDK shape', () => {
  const answer = (status: number, body: string, headers: Record<string, string> = {}) => ({
    status,
    headers: { 'x-amz-request-id': 'req-1', ...headers },
    body,
  })
  const doc = (code: string, extra = ''): string =>
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>m</Message>${extra}<RequestId>r</RequestId></Error>`

  it('takes the code, the message, the status and the request ID', () => {
    const e = errorFrom(
      'CopyObject',
      answer(404, doc('NoSuchBucket', '<BucketName>b</BucketName>')),
    )
    expect(e).toMatchObject({
      name: 'NoSuchBucket',
      Code: 'NoSuchBucket',
      message: 'm',
      $fault: 'client',
      $operation: 'CopyObject',
      $metadata: { httpStatusCode: 404, requestId: 'req-1' },
      BucketName: 'b',
    })
    expect(errorFrom('CopyObject', answer(503, doc('SlowDown'))).$fault).toBe('server')
  })

  it('names a status with no document (HEAD) as the SDK does', () => {
    expect(errorFrom('HeadObject', answer(404, '')).name).toBe('NotFound')
    expect(errorFrom('HeadObject', answer(403, '')).name).toBe('Forbidden')
    expect(errorFrom('HeadObject', answer(412, '')).name).toBe('PreconditionFailed')
  })

  it('explains them as it explains the SDK errors', () => {
    const lean = (code: string, status: number): string =>
      explain(errorFrom('GetBucketVersioning', answer(status, doc(code)))).kind
    const sdk = (code: string, status: number): string =>
      explain(
        Object.assign(new Error('m'), {
          name: code,
          Code: code,
          $fault: 'client',
          $metadata: { httpStatusCode: status },
          $operation: 'GetBucketVersioning',
        }),
      ).kind
    for (const [code, status] of [
      ['NoSuchBucket', 404],
      ['AccessDenied', 403],
      ['InvalidAccessKeyId', 403],
      ['SignatureDoesNotMatch', 403],
      ['SlowDown', 503],
      ['InternalError', 500],
      ['PermanentRedirect', 301],
    ] as const) {
      expect(`${code}: ${lean(code, status)}`).toBe(`${code}: ${sdk(code, status)}`)
    }
  })

  it('gives a network failure its system code', () => {
    const refused = networkError(
      'ListObjectVersions',
      Object.assign(new Error('fetch failed'), {
        cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' },
      }),
    )
    expect(refused).toMatchObject({
      code: 'ECONNREFUSED',
      message: 'connect ECONNREFUSED 127.0.0.1:1',
    })
    expect(explain(refused).kind).toBe('network')
    const timedOut = networkError(
      'CopyObject',
      Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }),
    )
    expect(timedOut).toMatchObject({ code: 'TimeoutError', name: 'TimeoutError' })
  })
})

describe('retries', () => {
  it.each([
    [503, 'SlowDown', true],
    [429, undefined, true],
    [500, 'InternalError', true],
    [502, undefined, true],
    [504, undefined, true],
    [400, 'RequestTimeout', true],
    [undefined, 'ECONNRESET', true],
    [undefined, 'TimeoutError', true],
    [403, 'AccessDenied', false],
    [404, 'NoSuchKey', false],
    [412, 'PreconditionFailed', false],
    [409, 'ConditionalRequestConflict', false],
  ])('status %s code %s: retried %s', (status, code, retried) => {
    expect(isRetryable(status, code)).toBe(retried)
  })

  it('waits up to an exponential of 100 ms (500 ms when throttled), capped at 20 s', () => {
    const most = (): number => 0.999999
    expect(backoffMs(1, 'InternalError', most)).toBe(99)
    expect(backoffMs(3, 'InternalError', most)).toBe(399)
    expect(backoffMs(1, 'SlowDown', most)).toBe(499)
    expect(backoffMs(12, 'SlowDown', most)).toBe(19_999)
    expect(backoffMs(5, 'SlowDown', () => 0)).toBe(0)
  })
})

describe('operations', () => {
  const wire = { send: () => Promise.reject(new Error('not sent')) } as unknown as Wire

  it('never sends a DeleteObject with a version ID', async () => {
    await expect(deleteObject(wire, { Bucket: 'b', Key: 'k', VersionId: 'v' })).rejects.toThrow(
      /never deletes a version/,
    )
  })

  it('refuses an input member it does not map, rather than dropping it', async () => {
    await expect(
      deleteObject(wire, { Bucket: 'b', Key: 'k', MFA: 'serial 123' } as never),
    ).rejects.toThrow(/does not send MFA/)
  })

  it('reads a HEAD answer under the SDK member names', () => {
    const out = headOutput({
      status: 200,
      attempts: 2,
      totalRetryDelay: 10,
      body: '',
      headers: {
        'content-length': '11534336',
        etag: '"abc-3"',
        'last-modified': 'Fri, 04 Dec 2026 10:00:00 GMT',
        'x-amz-version-id': 'v1',
        'x-amz-meta-owner': 'data team',
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': 'arn:k',
        'x-amz-server-side-encryption-bucket-key-enabled': 'true',
        'x-amz-mp-parts-count': '3',
        'x-amz-checksum-crc64nvme': 'AAAAAAAAAAA=',
        'x-amz-checksum-type': 'FULL_OBJECT',
        'x-amz-storage-class': 'STANDARD_IA',
      },
    })
    expect(out).toMatchObject({
      ContentLength: 11534336,
      ETag: '"abc-3"',
      LastModified: new Date('2026-12-04T10:00:00Z'),
      VersionId: 'v1',
      Metadata: { owner: 'data team' },
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:k',
      BucketKeyEnabled: true,
      PartsCount: 3,
      ChecksumCRC64NVME: 'AAAAAAAAAAA=',
      ChecksumType: 'FULL_OBJECT',
      StorageClass: 'STANDARD_IA',
      $metadata: { httpStatusCode: 200, attempts: 2 },
    })
  })
})
