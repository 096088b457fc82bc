/**
 * The five requests a run makes by the thousand, on the lean path (./wire.ts): a page of
 * ListObjectVersions, CopyObject, DeleteObject (a delete marker: never with a version ID),
 * HeadObject and UploadPartCopy. Inputs are the SDK's input shapes; outputs carry the SDK's
 * field names for what the engine reads. An input field this module does not map is refused
 * (an Error naming it), so no header is ever dropped in silence.
 */
import type {
  CopyObjectCommandInput,
  CopyObjectCommandOutput,
  DeleteObjectCommandInput,
  DeleteObjectCommandOutput,
  HeadObjectCommandInput,
  HeadObjectCommandOutput,
  UploadPartCopyCommandInput,
  UploadPartCopyCommandOutput,
} from '@aws-sdk/client-s3'
import type { Wire, WireResponse } from './wire.js'
import { fields, parseXml } from './xml.js'
import { pageFromXml, type ListInput, type ListedPage } from './list-page.js'

/** SDK input members sent as headers, by member name. */
const HEADERS: Record<string, string> = {
  ExpectedBucketOwner: 'x-amz-expected-bucket-owner',
  ExpectedSourceBucketOwner: 'x-amz-source-expected-bucket-owner',
  CopySource: 'x-amz-copy-source',
  CopySourceIfMatch: 'x-amz-copy-source-if-match',
  CopySourceRange: 'x-amz-copy-source-range',
  MetadataDirective: 'x-amz-metadata-directive',
  TaggingDirective: 'x-amz-tagging-directive',
  WebsiteRedirectLocation: 'x-amz-website-redirect-location',
  StorageClass: 'x-amz-storage-class',
  ServerSideEncryption: 'x-amz-server-side-encryption',
  SSEKMSKeyId: 'x-amz-server-side-encryption-aws-kms-key-id',
  BucketKeyEnabled: 'x-amz-server-side-encryption-bucket-key-enabled',
  ChecksumMode: 'x-amz-checksum-mode',
  IfMatch: 'If-Match',
  IfNoneMatch: 'If-None-Match',
  RequestPayer: 'x-amz-request-payer',
}

/** Members that address the request rather than being sent as headers. */
const ADDRESS = new Set(['Bucket', 'Key', 'VersionId', 'PartNumber', 'UploadId'])

function headersOf(operation: string, input: object): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [member, value] of Object.entries(input)) {
    if (value === undefined || ADDRESS.has(member)) continue
    const name = HEADERS[member]
    if (!name) throw new Error(`${operation} on the lean request path does not send ${member}`)
    out[name] = String(value)
  }
  return out
}

const metadata = (r: WireResponse): CopyObjectCommandOutput['$metadata'] => ({
  httpStatusCode: r.status,
  requestId: header(r, 'x-amz-request-id'),
  extendedRequestId: header(r, 'x-amz-id-2'),
  attempts: r.attempts,
  totalRetryDelay: r.totalRetryDelay,
})

function header(r: Pick<WireResponse, 'headers'>, name: string): string | undefined {
  const value = r.headers[name]
  return Array.isArray(value) ? value[0] : value
}

export async function listVersionsPage(wire: Wire, input: ListInput): Promise<ListedPage> {
  const r = await wire.send({
    operation: 'ListObjectVersions',
    method: 'GET',
    bucket: input.Bucket,
    query: [
      ['versions', ''],
      ['delimiter', input.Delimiter],
      ['key-marker', input.KeyMarker],
      ['max-keys', input.MaxKeys === undefined ? undefined : String(input.MaxKeys)],
      ['prefix', input.Prefix],
      ['version-id-marker', input.VersionIdMarker],
    ],
    headers: headersOf('ListObjectVersions', {
      ExpectedBucketOwner: input.ExpectedBucketOwner,
    }),
  })
  return { ...pageFromXml(r.body), attempts: r.attempts }
}

export async function copyObject(
  wire: Wire,
  input: CopyObjectCommandInput,
): Promise<CopyObjectCommandOutput> {
  const r = await wire.send({
    operation: 'CopyObject',
    method: 'PUT',
    bucket: input.Bucket ?? '',
    key: input.Key,
    headers: headersOf('CopyObject', input),
  })
  return {
    $metadata: metadata(r),
    VersionId: header(r, 'x-amz-version-id'),
    CopySourceVersionId: header(r, 'x-amz-copy-source-version-id'),
    ServerSideEncryption: header(r, 'x-amz-server-side-encryption') as never,
    SSEKMSKeyId: header(r, 'x-amz-server-side-encryption-aws-kms-key-id'),
    CopyObjectResult: copyResult(r.body),
  }
}

/** A CopyObjectResult or CopyPartResult: the copy's ETag, time and checksums. */
function copyResult(body: string): NonNullable<CopyObjectCommandOutput['CopyObjectResult']> {
  const result = fields(parseXml(body))
  return {
    ETag: result.ETag,
    LastModified: result.LastModified ? new Date(result.LastModified) : undefined,
    ChecksumCRC64NVME: result.ChecksumCRC64NVME,
    ChecksumCRC32: result.ChecksumCRC32,
    ChecksumCRC32C: result.ChecksumCRC32C,
    ChecksumSHA1: result.ChecksumSHA1,
    ChecksumSHA256: result.ChecksumSHA256,
  }
}

export async function uploadPartCopy(
  wire: Wire,
  input: UploadPartCopyCommandInput,
): Promise<UploadPartCopyCommandOutput> {
  const r = await wire.send({
    operation: 'UploadPartCopy',
    method: 'PUT',
    bucket: input.Bucket ?? '',
    key: input.Key,
    query: [
      ['partNumber', input.PartNumber === undefined ? undefined : String(input.PartNumber)],
      ['uploadId', input.UploadId],
    ],
    headers: headersOf('UploadPartCopy', input),
  })
  return {
    $metadata: metadata(r),
    CopySourceVersionId: header(r, 'x-amz-copy-source-version-id'),
    CopyPartResult: copyResult(r.body),
  }
}

/** A DeleteObject without a version ID: adds a delete marker. A version ID is refused. */
export async function deleteObject(
  wire: Wire,
  input: DeleteObjectCommandInput,
): Promise<DeleteObjectCommandOutput> {
  if (input.VersionId !== undefined) {
    throw new Error('the lean request path never deletes a version (DeleteObject with VersionId)')
  }
  const r = await wire.send({
    operation: 'DeleteObject',
    method: 'DELETE',
    bucket: input.Bucket ?? '',
    key: input.Key,
    headers: headersOf('DeleteObject', input),
  })
  return {
    $metadata: metadata(r),
    VersionId: header(r, 'x-amz-version-id'),
    DeleteMarker: header(r, 'x-amz-delete-marker') === 'true' ? true : undefined,
  }
}

export async function headObject(
  wire: Wire,
  input: HeadObjectCommandInput,
): Promise<HeadObjectCommandOutput> {
  const r = await wire.send({
    operation: 'HeadObject',
    method: 'HEAD',
    bucket: input.Bucket ?? '',
    key: input.Key,
    query: [
      ['partNumber', input.PartNumber === undefined ? undefined : String(input.PartNumber)],
      ['versionId', input.VersionId],
    ],
    headers: headersOf('HeadObject', input),
  })
  return headOutput(r)
}

/** HeadObject's answer headers under the SDK's member names. */
export function headOutput(r: WireResponse): HeadObjectCommandOutput {
  const h = (name: string): string | undefined => header(r, name)
  const date = (name: string): Date | undefined => {
    const value = h(name)
    return value ? new Date(value) : undefined
  }
  const userMetadata: Record<string, string> = {}
  for (const name of Object.keys(r.headers)) {
    if (name.startsWith('x-amz-meta-')) userMetadata[name.slice(11)] = h(name) ?? ''
  }
  const length = h('content-length')
  const parts = h('x-amz-mp-parts-count')
  return {
    $metadata: metadata(r),
    VersionId: h('x-amz-version-id'),
    ContentLength: length === undefined ? undefined : Number(length),
    ETag: h('etag'),
    LastModified: date('last-modified'),
    StorageClass: h('x-amz-storage-class') as never,
    ContentType: h('content-type'),
    CacheControl: h('cache-control'),
    ContentDisposition: h('content-disposition'),
    ContentEncoding: h('content-encoding'),
    ContentLanguage: h('content-language'),
    Expires: date('expires'),
    WebsiteRedirectLocation: h('x-amz-website-redirect-location'),
    Metadata: userMetadata,
    ServerSideEncryption: h('x-amz-server-side-encryption') as never,
    SSEKMSKeyId: h('x-amz-server-side-encryption-aws-kms-key-id'),
    BucketKeyEnabled:
      h('x-amz-server-side-encryption-bucket-key-enabled') === undefined
        ? undefined
        : h('x-amz-server-side-encryption-bucket-key-enabled') === 'true',
    SSECustomerAlgorithm: h('x-amz-server-side-encryption-customer-algorithm'),
    Restore: h('x-amz-restore'),
    ArchiveStatus: h('x-amz-archive-status') as never,
    PartsCount: parts === undefined ? undefined : Number(parts),
    DeleteMarker: h('x-amz-delete-marker') === 'true' ? true : undefined,
    ChecksumCRC64NVME: h('x-amz-checksum-crc64nvme'),
    ChecksumCRC32: h('x-amz-checksum-crc32'),
    ChecksumCRC32C: h('x-amz-checksum-crc32c'),
    ChecksumSHA1: h('x-amz-checksum-sha1'),
    ChecksumSHA256: h('x-amz-checksum-sha256'),
    ChecksumType: h('x-amz-checksum-type') as never,
  }
}
