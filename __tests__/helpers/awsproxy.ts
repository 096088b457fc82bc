/**
 * A test-only layer in front of the local S3 (Ceph RGW Pacific) that answers as AWS S3 does where
 * RGW does not, each behaviour switched on per proxy instance:
 *
 * - `kms`: SSE-KMS objects, whose ETags are opaque (not the MD5 of the content) and whose HEAD
 *   and GET name the encryption and the KMS key;
 * - `conditions`: conditional writes (If-Match / If-None-Match on PutObject, CopyObject and
 *   CompleteMultipartUpload, and x-amz-copy-source-if-match on copies) honoured, with a hook for
 *   the 409 ConditionalRequestConflict AWS gives when a concurrent conditional write wins;
 * - `checksums`: full-object CRC64NVME checksums on HEAD/GET with x-amz-checksum-mode: ENABLED;
 * - `slowDown`: 503 SlowDown above a write rate per key prefix;
 * - `latencyMs`: a delay on every request;
 * - `beforeWrite`: a hook run before each object write, for a test's concurrent writer.
 *
 * Everything else is forwarded to the store unchanged. Headers the layer evaluates itself are
 * removed before forwarding; the SDK signs them (SigV4 signs every header but a few hop-by-hop
 * ones: if-match, if-none-match, x-amz-copy-source-if-match and x-amz-server-side-encryption*
 * are all in SignedHeaders), so a request that loses a signed header is signed again with the
 * same key, date and payload hash (sigv4.ts `resign`). The layer's own requests to the store
 * (listing a key's versions, HEAD of a copy source, GET for a checksum) use an SDK client with
 * the same credentials. Loopback only.
 *
 * Compose with the fault proxy (faultproxy.ts) by putting one in front of the other:
 * `startAwsStack` gives client → fault proxy → this layer → store.
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { Crc64Nvme } from '@aws-sdk/checksums/crc'
import { randomBytes } from 'node:crypto'
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { operation, startFaultProxy, type FaultProxy, type Faults } from './faultproxy.js'
import { resign, type Credentials } from './sigv4.js'

/** The AWS behaviours to emulate; all off by default. */
export interface AwsBehaviours {
  /**
   * SSE-KMS: `true` for every key, or only for keys under `prefixes` (any bucket); `keyId` is the
   * KMS key reported for objects written without one (default: AWS's example key ARN).
   */
  kms?: boolean | { prefixes?: string[]; keyId?: string }
  /** Honour conditional writes (If-Match, If-None-Match, x-amz-copy-source-if-match). */
  conditions?: boolean
  /** Full-object CRC64NVME checksums on HEAD/GET with x-amz-checksum-mode: ENABLED. */
  checksums?: boolean
  /**
   * 503 SlowDown for object writes (PUT, POST, DELETE on a key) above `writesPerSecond` per
   * prefix: the bucket and the first `prefixDepth` (default 1) `/`-separated segments of the key.
   * A token bucket per prefix holding `burst` (default: `writesPerSecond`) tokens.
   */
  slowDown?: { writesPerSecond: number; prefixDepth?: number; burst?: number }
  /** Delay every request this long before handling it. */
  latencyMs?: number
  /**
   * Called before each object write (PutObject, CopyObject, CompleteMultipartUpload,
   * DeleteObject) is handled, conditions included: a test's concurrent writer goes here (it
   * writes to the store directly, so the write it wraps then meets the changed key).
   */
  beforeWrite?: (write: {
    kind: 'put' | 'copy' | 'complete' | 'delete'
    bucket: string
    key: string
  }) => Promise<void> | void
}

export interface AwsProxyOptions extends AwsBehaviours {
  /** For re-signing and the layer's own requests (default: AWS_ACCESS_KEY_ID/SECRET from env). */
  credentials?: Credentials
  /** Region of the layer's own requests (default: AWS_REGION or us-east-1). */
  region?: string
}

export interface AwsProxyStats {
  requests: number
  /** Requests by operation, as faultproxy.ts names them (`PUT copy`, `HEAD`, ...). */
  byOperation: Record<string, number>
  /** Answers the layer gave instead of the store's. */
  answered: {
    /** 412 PreconditionFailed: If-Match / If-None-Match on a write. */
    preconditionFailed: number
    /** 404 NoSuchKey: If-Match on a write to a key with no current object. */
    noSuchKey: number
    /** 409 ConditionalRequestConflict, from `conflictNext`. */
    conflict: number
    /** 412 PreconditionFailed: x-amz-copy-source-if-match / -if-none-match on a copy. */
    copySourcePreconditionFailed: number
    /** 412 / 304 on a GET or HEAD whose If-Match / If-None-Match named an opaque (kms) ETag. */
    readPreconditionFailed: number
    notModified: number
    /** 503 SlowDown above the write rate. */
    slowDown: number
    /** 501 NotImplemented (a condition the layer does not emulate, or a body it cannot re-sign). */
    notImplemented: number
  }
  /** Forwarded requests signed again because a signed header was removed. */
  resigned: number
  /** The most requests the layer held at once (latency included): a client's real concurrency. */
  peakInFlight: number
  /** The layer's own requests to the store. */
  internal: { listVersions: number; headSource: number; getForChecksum: number }
}

export interface AwsProxy {
  /** http://127.0.0.1:PORT, to use as the client's endpoint. */
  url: string
  stats: AwsProxyStats
  /** Replaces the behaviours from now on (what was learnt about versions is kept). */
  configure(behaviours: AwsBehaviours): void
  resetStats(): void
  /**
   * The next `times` (default 1) conditional writes to this key answer 409
   * ConditionalRequestConflict without reaching the store, as AWS answers the loser of two
   * concurrent conditional writes.
   */
  conflictNext(bucket: string, key: string, times?: number): void
  /** The ETag the layer gives clients for a version (quoted), once it has seen the version. */
  eTagOf(bucket: string, key: string, versionId: string): string | undefined
  close(): Promise<void>
}

/** AWS's example KMS key (the one the S3 API reference uses in its examples). */
export const DEFAULT_KMS_KEY_ID =
  'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'

const SSE_HEADERS = [
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-server-side-encryption-context',
  'x-amz-server-side-encryption-bucket-key-enabled',
]
const WRITE_CONDITIONS = ['if-match', 'if-none-match']
const COPY_SOURCE_CONDITIONS = ['x-amz-copy-source-if-match', 'x-amz-copy-source-if-none-match']

/** What the layer knows of one version. */
interface VersionMeta {
  /** The opaque ETag given to clients when the key is under kms (quoted). */
  eTag: string
  /** The store's ETag (unquoted; '' when not known), to notice a `null` version replaced. */
  upstreamETag: string
  kmsKeyId?: string
  /** Whether the version has a full-object CRC64NVME; undefined: decided from its ETag. */
  checksum?: 'full' | 'none'
  /** Base64 CRC64NVME of the content, once computed. */
  crc?: Promise<string>
}

/** The current entry of a key, as the store lists it. */
interface Entry {
  versionId: string
  deleteMarker: boolean
  upstreamETag: string
}

interface Upstream {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

interface Ctx {
  req: IncomingMessage
  res: ServerResponse
  method: string
  /** Lower-case names, repeated headers joined. */
  headers: Record<string, string>
  body: Buffer
  path: string
  rawQuery: string
  query: URLSearchParams
  bucket: string
  key: string
}

/** The store could not be reached: the client's connection is dropped, as a network fault. */
class UpstreamError extends Error {}

/** Starts the layer on 127.0.0.1 (a free port) in front of `upstream` (a loopback URL). */
export async function startAwsProxy(
  upstream: string,
  options: AwsProxyOptions = {},
): Promise<AwsProxy> {
  const target = new URL(upstream)
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) {
    throw new Error(`aws proxy: upstream must be on loopback, not ${target.hostname}`)
  }
  const credentials = options.credentials ?? {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
  }
  if (!credentials.accessKeyId || !credentials.secretAccessKey) {
    throw new Error('aws proxy: no credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)')
  }
  const internal = new S3Client({
    endpoint: upstream,
    forcePathStyle: true,
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 4,
  })
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })

  let config: AwsBehaviours = pickBehaviours(options)
  const freshStats = (): Omit<AwsProxyStats, 'requests' | 'byOperation'> => ({
    answered: {
      preconditionFailed: 0,
      noSuchKey: 0,
      conflict: 0,
      copySourcePreconditionFailed: 0,
      readPreconditionFailed: 0,
      notModified: 0,
      slowDown: 0,
      notImplemented: 0,
    },
    resigned: 0,
    peakInFlight: 0,
    internal: { listVersions: 0, headSource: 0, getForChecksum: 0 },
  })
  const stats: AwsProxyStats = { requests: 0, byOperation: {}, ...freshStats() }

  const versions = new Map<string, VersionMeta>()
  const uploads = new Map<string, { checksum?: string; kmsKeyId?: string }>()
  const conflicts = new Map<string, number>()
  const locks = new Map<string, Promise<void>>()
  let buckets = new Map<string, { tokens: number; at: number }>()

  const id = (...parts: string[]): string => parts.join('\u0000')
  const kmsFor = (key: string): boolean => {
    const kms = config.kms
    if (!kms) return false
    if (kms === true || !kms.prefixes) return true
    return kms.prefixes.some((p) => key.startsWith(p))
  }
  const defaultKeyId = (): string =>
    typeof config.kms === 'object' && config.kms.keyId ? config.kms.keyId : DEFAULT_KMS_KEY_ID

  /** The layer's record of a version, made on first sight (a fresh opaque ETag). */
  function metaFor(bucket: string, key: string, versionId: string, upstreamETag: string) {
    const vid = id(bucket, key, versionId)
    const known = versions.get(vid)
    // A `null` version replaced behind the layer's back has another ETag: a new version.
    if (known && (!known.upstreamETag || !upstreamETag || known.upstreamETag === upstreamETag)) {
      if (!known.upstreamETag) known.upstreamETag = upstreamETag
      return known
    }
    const meta: VersionMeta = { eTag: opaqueETag(), upstreamETag }
    versions.set(vid, meta)
    return meta
  }

  /** The ETag a client sees for an entry: opaque under kms, the store's otherwise. */
  const clientETag = (bucket: string, key: string, entry: Entry): string =>
    kmsFor(key)
      ? metaFor(bucket, key, entry.versionId, entry.upstreamETag).eTag
      : `"${entry.upstreamETag}"`

  /**
   * Whether a version has a full-object CRC64NVME. Since AWS adds CRC64NVME to every upload that
   * comes without a checksum, every single-part version has one; a multipart upload has one only
   * when it was created with x-amz-checksum-algorithm: CRC64NVME (this layer does not emulate
   * composite part checksums); a copy keeps its source's. Versions the layer did not see written
   * are judged by their ETag (`-N`: multipart, no checksum).
   */
  const hasChecksum = (meta: VersionMeta): boolean =>
    (meta.checksum ?? (/-\d+$/.test(meta.upstreamETag) ? 'none' : 'full')) === 'full'

  async function withLock<T>(lockId: string, fn: () => Promise<T>): Promise<T> {
    const before = locks.get(lockId) ?? Promise.resolve()
    let release = (): void => undefined
    const mine = new Promise<void>((resolve) => (release = resolve))
    const chained = before.then(() => mine)
    locks.set(lockId, chained)
    await before
    try {
      return await fn()
    } finally {
      release()
      if (locks.get(lockId) === chained) locks.delete(lockId)
    }
  }

  /** The current entry of a key (its newest version or delete marker), or undefined. */
  async function currentEntry(bucket: string, key: string): Promise<Entry | undefined> {
    stats.internal.listVersions++
    // A key sorts before every longer key it prefixes, and its entries are listed newest first.
    const out = await internal.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, MaxKeys: 2 }),
    )
    const v = out.Versions?.find((e) => e.Key === key && e.IsLatest)
    if (v) {
      return {
        versionId: v.VersionId ?? 'null',
        deleteMarker: false,
        upstreamETag: bare(v.ETag ?? ''),
      }
    }
    const d = out.DeleteMarkers?.find((e) => e.Key === key && e.IsLatest)
    if (d) return { versionId: d.VersionId ?? 'null', deleteMarker: true, upstreamETag: '' }
    return undefined
  }

  /** The version an x-amz-copy-source names, or undefined when the store has no such version. */
  async function copySource(
    header: string,
  ): Promise<{ bucket: string; key: string; entry: Entry } | undefined> {
    const [path, query = ''] = header.replace(/^\//, '').split('?')
    const decoded = safeDecode(path)
    const slash = decoded.indexOf('/')
    if (slash < 0) return undefined
    const bucket = decoded.slice(0, slash)
    const key = decoded.slice(slash + 1)
    const versionId = new URLSearchParams(query).get('versionId') ?? undefined
    stats.internal.headSource++
    try {
      const out = await internal.send(
        new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }),
      )
      const entry = {
        versionId: out.VersionId ?? versionId ?? 'null',
        deleteMarker: false,
        upstreamETag: bare(out.ETag ?? ''),
      }
      return { bucket, key, entry }
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
      if (status === 404 || status === 400 || status === 405) return undefined
      throw e
    }
  }

  /** Base64 CRC64NVME of a version's bytes: fetched once (GET) and kept. */
  function crcOf(bucket: string, key: string, versionId: string, meta: VersionMeta) {
    meta.crc ??= (async () => {
      stats.internal.getForChecksum++
      const out = await internal.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }),
      )
      return crc64nvme((await out.Body?.transformToByteArray()) ?? new Uint8Array())
    })()
    meta.crc.catch(() => (meta.crc = undefined))
    return meta.crc
  }

  /** Sends the request on to the store, without `drop` (signed again if they were signed). */
  function forward(ctx: Ctx, drop: readonly string[] = []): Promise<Upstream> {
    const headers: Record<string, string> = { ...ctx.headers }
    delete headers.expect
    const signed = /SignedHeaders=([a-z0-9;-]+)/.exec(headers.authorization ?? '')?.[1]
    let resigned = false
    for (const h of drop) {
      if (headers[h] === undefined) continue
      delete headers[h]
      if (signed?.split(';').includes(h)) resigned = true
    }
    if (resigned) {
      headers.authorization = resign(
        { method: ctx.method, path: ctx.path, rawQuery: ctx.rawQuery, headers, body: '' },
        credentials,
      )
      stats.resigned++
    }
    return new Promise((resolve, reject) => {
      const out = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: ctx.method,
          path: ctx.req.url,
          headers,
          agent,
        },
        (answer) => {
          const body: Buffer[] = []
          answer.on('data', (chunk: Buffer) => body.push(chunk))
          answer.on('end', () =>
            resolve({
              status: answer.statusCode ?? 502,
              headers: answer.headers,
              body: Buffer.concat(body),
            }),
          )
          answer.on('error', (e) => reject(new UpstreamError(e.message)))
        },
      )
      out.on('error', (e) => reject(new UpstreamError(e.message)))
      out.end(ctx.body)
    })
  }

  function reply(ctx: Ctx, status: number, headers: OutgoingHttpHeaders, body: Buffer): void {
    if (ctx.res.destroyed) return
    const h: OutgoingHttpHeaders = { ...headers }
    for (const hop of ['transfer-encoding', 'connection', 'keep-alive']) delete h[hop]
    for (const [name, value] of Object.entries(h)) if (value === undefined) delete h[name]
    if (status === 204 || status === 304) delete h['content-length']
    else if (ctx.method !== 'HEAD') h['content-length'] = String(body.length)
    ctx.res.writeHead(status, h)
    ctx.res.end(ctx.method === 'HEAD' || status === 204 || status === 304 ? undefined : body)
  }

  const relay = (ctx: Ctx, up: Upstream): void => reply(ctx, up.status, up.headers, up.body)

  function fail(ctx: Ctx, status: number, code: string, message: string): void {
    const requestId = randomBytes(8).toString('hex').toUpperCase()
    const resource = ctx.key ? `/${ctx.bucket}/${ctx.key}` : `/${ctx.bucket}`
    reply(
      ctx,
      status,
      { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
      Buffer.from(errorXml(code, message, resource, requestId)),
    )
  }

  // -- SlowDown ---------------------------------------------------------------------------------

  /**
   * AWS: "your application can achieve at least 3,500 PUT/COPY/POST/DELETE or 5,500 GET/HEAD
   * requests per second per partitioned Amazon S3 prefix", and answers 503 SlowDown ("Please
   * reduce your request rate.") above what a prefix can take —
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html and
   * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (SlowDown). Here the rate
   * is the test's, the prefix the first `prefixDepth` segments, and only writes are limited.
   */
  function allowedWrite(ctx: Ctx): boolean {
    const limit = config.slowDown
    if (!limit || !ctx.key || !['PUT', 'POST', 'DELETE'].includes(ctx.method)) return true
    const prefix = id(ctx.bucket, ...ctx.key.split('/').slice(0, limit.prefixDepth ?? 1))
    const capacity = Math.max(1, limit.burst ?? limit.writesPerSecond)
    const now = Date.now()
    const bucket = buckets.get(prefix) ?? { tokens: capacity, at: now }
    bucket.tokens = Math.min(
      capacity,
      bucket.tokens + ((now - bucket.at) / 1000) * limit.writesPerSecond,
    )
    bucket.at = now
    buckets.set(prefix, bucket)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  // -- writes -----------------------------------------------------------------------------------

  /**
   * PutObject, CopyObject, CompleteMultipartUpload (and DeleteObject, for the lock only), one at a
   * time per key while the condition is checked, the write forwarded and its version learnt.
   *
   * Conditional writes, as https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
   * and the If-Match / If-None-Match headers of
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html,
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html and
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html describe them:
   * - If-None-Match (expects `*`): 412 Precondition Failed when the key has a current object; a
   *   delete marker as current entry counts as no object (the condition applies to the current
   *   version only);
   * - If-Match: 412 when the ETag differs from the current object's (the one the client sees:
   *   the opaque one under kms); 404 when there is no current object or a delete marker is
   *   current (the user guide's "404 Not Found"; the code is S3's NoSuchKey);
   * - a concurrent conditional write: 409 ConditionalRequestConflict ("retry the upload"), here
   *   only on demand (`conflictNext`), since the lock serialises the layer's writes.
   * - CopyObject's x-amz-copy-source-if-match: 412 when the source's ETag differs (and
   *   x-amz-copy-source-if-none-match: 412 when it matches), per API_CopyObject.
   */
  async function write(ctx: Ctx, kind: 'put' | 'copy' | 'complete' | 'delete'): Promise<void> {
    const { bucket, key, headers } = ctx
    const kms = kmsFor(key)
    const drop: string[] = []
    if (kms) drop.push(...SSE_HEADERS)
    const conditional = config.conditions === true && kind !== 'delete'
    const ifMatch = conditional ? headers['if-match'] : undefined
    const ifNoneMatch = conditional ? headers['if-none-match'] : undefined
    if (conditional) drop.push(...WRITE_CONDITIONS)

    let source: Awaited<ReturnType<typeof copySource>> = undefined
    if (kind === 'copy') {
      const sourceMatch = config.conditions ? headers['x-amz-copy-source-if-match'] : undefined
      const sourceNone = config.conditions ? headers['x-amz-copy-source-if-none-match'] : undefined
      if (config.conditions) drop.push(...COPY_SOURCE_CONDITIONS)
      source = await copySource(headers['x-amz-copy-source'] ?? '')
      if (source) {
        const seen = clientETag(source.bucket, source.key, source.entry)
        if (
          (sourceMatch !== undefined && !eTagMatches(sourceMatch, seen)) ||
          (sourceNone !== undefined && eTagMatches(sourceNone, seen))
        ) {
          stats.answered.copySourcePreconditionFailed++
          return fail(ctx, 412, 'PreconditionFailed', PRECONDITION_MESSAGE)
        }
      }
    }

    if (ifMatch !== undefined || ifNoneMatch !== undefined) {
      const pending = conflicts.get(id(bucket, key)) ?? 0
      if (pending > 0) {
        if (pending === 1) conflicts.delete(id(bucket, key))
        else conflicts.set(id(bucket, key), pending - 1)
        stats.answered.conflict++
        return fail(ctx, 409, 'ConditionalRequestConflict', CONFLICT_MESSAGE)
      }
      if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
        stats.answered.notImplemented++
        return fail(ctx, 501, 'NotImplemented', 'If-None-Match on a write takes only *.')
      }
      const current = await currentEntry(bucket, key)
      const live = current && !current.deleteMarker ? current : undefined
      if (ifMatch !== undefined && !live) {
        stats.answered.noSuchKey++
        return fail(ctx, 404, 'NoSuchKey', 'The specified key does not exist.')
      }
      if (
        (ifMatch !== undefined && live && !eTagMatches(ifMatch, clientETag(bucket, key, live))) ||
        (ifNoneMatch !== undefined && live)
      ) {
        stats.answered.preconditionFailed++
        return fail(ctx, 412, 'PreconditionFailed', PRECONDITION_MESSAGE)
      }
    }

    const up = await forward(ctx, drop)
    const text = kind === 'put' ? '' : up.body.toString('utf8')
    const landed =
      up.status === 200 &&
      (kind === 'put' ||
        (kind === 'copy' && text.includes('<CopyObjectResult')) ||
        (kind === 'complete' && text.includes('<CompleteMultipartUploadResult')))
    if (!landed) return relay(ctx, up)

    // The new version: AWS names it in x-amz-version-id; RGW does not for copies, so the key
    // is listed (under the lock, so the newest entry is this write's).
    let versionId = header(up.headers, 'x-amz-version-id')
    let upstreamETag = bare(
      kind === 'put' ? (header(up.headers, 'etag') ?? '') : (xmlText(text, 'ETag') ?? ''),
    )
    if (!versionId && kind === 'copy') {
      const now = await currentEntry(bucket, key)
      if (now && !now.deleteMarker) {
        versionId = now.versionId
        upstreamETag ||= now.upstreamETag
      }
    }
    versionId ??= 'null'
    const upload = kind === 'complete' ? uploads.get(ctx.query.get('uploadId') ?? '') : undefined
    const sourceMeta = source
      ? metaFor(source.bucket, source.key, source.entry.versionId, source.entry.upstreamETag)
      : undefined
    const meta: VersionMeta = { eTag: opaqueETag(), upstreamETag }
    if (kms) {
      meta.kmsKeyId =
        headers['x-amz-server-side-encryption-aws-kms-key-id'] ?? upload?.kmsKeyId ?? defaultKeyId()
    }
    if (kind === 'put') {
      meta.checksum = 'full'
      if (!/^STREAMING-/.test(headers['x-amz-content-sha256'] ?? '')) meta.crc = crc64nvme(ctx.body)
    } else if (kind === 'copy') {
      // "If the CopyObject request does not include this x-amz-checksum-algorithm header, the
      // checksum algorithm will be copied from the source object" (API_CopyObject): same bytes,
      // same CRC64NVME.
      const asked = headers['x-amz-checksum-algorithm']?.toUpperCase() === 'CRC64NVME'
      meta.checksum = asked || (sourceMeta && hasChecksum(sourceMeta)) ? 'full' : 'none'
      if (meta.checksum === 'full' && sourceMeta?.crc) meta.crc = sourceMeta.crc
    } else {
      meta.checksum = upload?.checksum === 'CRC64NVME' ? 'full' : 'none'
    }
    versions.set(id(bucket, key, versionId), meta)

    const out: OutgoingHttpHeaders = { ...up.headers }
    let body = up.body
    if (kind === 'copy' && versionId !== 'null' && !out['x-amz-version-id']) {
      out['x-amz-version-id'] = versionId
    }
    if (kind === 'copy' && source && source.entry.versionId !== 'null') {
      out['x-amz-copy-source-version-id'] ??= source.entry.versionId
    }
    if (kms) {
      out['x-amz-server-side-encryption'] = 'aws:kms'
      out['x-amz-server-side-encryption-aws-kms-key-id'] = meta.kmsKeyId
      if (kind === 'put') out.etag = meta.eTag
      else body = Buffer.from(replaceETag(text, meta.eTag))
    }
    if (kind === 'put' && config.checksums && meta.crc) {
      out['x-amz-checksum-crc64nvme'] = await meta.crc
      out['x-amz-checksum-type'] = 'FULL_OBJECT'
    }
    reply(ctx, up.status, out, body)
  }

  /** CreateMultipartUpload: what the upload asked for (checksum, KMS key) is kept for Complete. */
  async function createUpload(ctx: Ctx): Promise<void> {
    const kms = kmsFor(ctx.key)
    const up = await forward(ctx, kms ? SSE_HEADERS : [])
    if (up.status !== 200) return relay(ctx, up)
    const uploadId = xmlText(up.body.toString('utf8'), 'UploadId')
    if (uploadId) {
      uploads.set(uploadId, {
        checksum: ctx.headers['x-amz-checksum-algorithm']?.toUpperCase(),
        kmsKeyId: ctx.headers['x-amz-server-side-encryption-aws-kms-key-id'],
      })
    }
    const out: OutgoingHttpHeaders = { ...up.headers }
    if (kms) {
      out['x-amz-server-side-encryption'] = 'aws:kms'
      out['x-amz-server-side-encryption-aws-kms-key-id'] =
        ctx.headers['x-amz-server-side-encryption-aws-kms-key-id'] ?? defaultKeyId()
    }
    reply(ctx, up.status, out, up.body)
  }

  // -- reads ------------------------------------------------------------------------------------

  /**
   * HeadObject and GetObject.
   * - kms: "Objects created by the PUT Object, POST Object, or Copy operation ... and are
   *   encrypted by SSE-C or SSE-KMS, have ETags that are not an MD5 digest of their object data"
   *   (ETag in https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html); HEAD and GET
   *   answer x-amz-server-side-encryption: aws:kms and x-amz-server-side-encryption-aws-kms-key-id
   *   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html). If-Match and
   *   If-None-Match then name the opaque ETag, so the layer evaluates them (412 / 304).
   * - checksums: with x-amz-checksum-mode: ENABLED, x-amz-checksum-crc64nvme (Base64 of the
   *   64-bit CRC64NVME) and x-amz-checksum-type: FULL_OBJECT, for a whole object (no Range, no
   *   partNumber) — https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html,
   *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_Checksum.html ("present if the object
   *   was uploaded with the CRC64NVME checksum algorithm, or if the object was uploaded without a
   *   checksum (and Amazon S3 added the default checksum, CRC64NVME ...)") and
   *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html.
   */
  async function read(ctx: Ctx): Promise<void> {
    const { bucket, key, headers } = ctx
    const kms = kmsFor(key)
    const wantChecksum =
      config.checksums === true &&
      headers['x-amz-checksum-mode']?.toUpperCase() === 'ENABLED' &&
      !ctx.query.has('partNumber') &&
      headers.range === undefined
    if (!kms && !wantChecksum) return relay(ctx, await forward(ctx))
    const ifMatch = kms ? headers['if-match'] : undefined
    const ifNoneMatch = kms ? headers['if-none-match'] : undefined
    const up = await forward(ctx, kms ? WRITE_CONDITIONS : [])
    if (up.status !== 200 && up.status !== 206) return relay(ctx, up)
    const versionId = header(up.headers, 'x-amz-version-id') ?? 'null'
    const meta = metaFor(bucket, key, versionId, bare(header(up.headers, 'etag') ?? ''))
    const out: OutgoingHttpHeaders = { ...up.headers }
    if (kms) {
      out.etag = meta.eTag
      out['x-amz-server-side-encryption'] = 'aws:kms'
      out['x-amz-server-side-encryption-aws-kms-key-id'] = meta.kmsKeyId ?? defaultKeyId()
      if (ifMatch !== undefined && !eTagMatches(ifMatch, meta.eTag)) {
        stats.answered.readPreconditionFailed++
        return fail(ctx, 412, 'PreconditionFailed', PRECONDITION_MESSAGE)
      }
      if (ifNoneMatch !== undefined && eTagMatches(ifNoneMatch, meta.eTag)) {
        stats.answered.notModified++
        return reply(
          ctx,
          304,
          { etag: meta.eTag, 'x-amz-version-id': out['x-amz-version-id'] },
          Buffer.alloc(0),
        )
      }
    }
    if (wantChecksum && up.status === 200 && hasChecksum(meta)) {
      if (ctx.method === 'GET' && !meta.crc) meta.crc = crc64nvme(up.body)
      out['x-amz-checksum-crc64nvme'] = await crcOf(bucket, key, versionId, meta)
      out['x-amz-checksum-type'] = 'FULL_OBJECT'
    }
    reply(ctx, up.status, out, up.body)
  }

  /** ListObjectVersions: under kms, each version's ETag is the one HEAD and GET give. */
  async function listVersions(ctx: Ctx): Promise<void> {
    const up = await forward(ctx)
    if (!config.kms || up.status !== 200) return relay(ctx, up)
    const urlEncoded = ctx.query.get('encoding-type') === 'url'
    const text = up.body
      .toString('utf8')
      .replace(/<Version>([\s\S]*?)<\/Version>/g, (block: string, inner: string) => {
        const listed = xmlText(inner, 'Key')
        const versionId = xmlText(inner, 'VersionId')
        if (listed === undefined || versionId === undefined) return block
        const key = urlEncoded ? safeDecode(listed) : listed
        if (!kmsFor(key)) return block
        const meta = metaFor(ctx.bucket, key, versionId, bare(xmlText(inner, 'ETag') ?? ''))
        return `<Version>${replaceETag(inner, meta.eTag)}</Version>`
      })
    reply(ctx, up.status, up.headers, Buffer.from(text))
  }

  // -- dispatch ---------------------------------------------------------------------------------

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.requests++
    const op = operation(req)
    stats.byOperation[op] = (stats.byOperation[op] ?? 0) + 1
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const rawQuery = q < 0 ? '' : url.slice(q + 1)
    const segments = path.replace(/^\//, '').split('/')
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
    }
    const ctx: Ctx = {
      req,
      res,
      method: req.method ?? 'GET',
      headers,
      body: Buffer.concat(chunks),
      path,
      rawQuery,
      query: new URLSearchParams(rawQuery),
      bucket: safeDecode(segments[0] ?? ''),
      key: safeDecode(segments.slice(1).join('/')),
    }
    // Not an AWS behaviour with a page to follow: a stand-in for the round trip to a region,
    // which loopback does not have (benchmarks and timeouts).
    if (config.latencyMs) await new Promise((r) => setTimeout(r, config.latencyMs))
    if (!allowedWrite(ctx)) {
      stats.answered.slowDown++
      return fail(ctx, 503, 'SlowDown', 'Please reduce your request rate.')
    }
    const kind = classify(ctx)
    if (config.beforeWrite && ['put', 'copy', 'complete', 'delete'].includes(kind)) {
      await config.beforeWrite({
        kind: kind as 'put' | 'copy' | 'complete' | 'delete',
        bucket: ctx.bucket,
        key: ctx.key,
      })
    }
    const locked = config.conditions === true || kmsFor(ctx.key) || config.checksums === true
    switch (kind) {
      case 'put':
      case 'copy':
      case 'complete':
        if (!locked) return relay(ctx, await forward(ctx))
        return withLock(id(ctx.bucket, ctx.key), () => write(ctx, kind))
      case 'delete':
        if (!locked) return relay(ctx, await forward(ctx))
        return withLock(id(ctx.bucket, ctx.key), () => write(ctx, kind))
      case 'create-upload':
        return createUpload(ctx)
      case 'read':
        return read(ctx)
      case 'list-versions':
        return listVersions(ctx)
      default:
        return relay(ctx, await forward(ctx))
    }
  }

  const sockets = new Set<Socket>()
  let inFlight = 0
  const server: Server = createServer((req, res) => {
    inFlight++
    stats.peakInFlight = Math.max(stats.peakInFlight, inFlight)
    res.on('close', () => inFlight--)
    handle(req, res).catch((e: unknown) => {
      if (e instanceof UpstreamError || res.headersSent) {
        req.socket.destroy()
        return
      }
      const message = e instanceof Error ? e.message : String(e)
      const ctx = { res, method: req.method ?? 'GET', bucket: '', key: '' } as Ctx
      if (message.startsWith('resign:')) {
        stats.answered.notImplemented++
        fail(ctx, 501, 'NotImplemented', `aws proxy: ${message}`)
      } else {
        fail(ctx, 500, 'InternalError', `aws proxy: ${message}`)
      }
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.maxConnections = 1024 // room for a client at --concurrency 256 and its idle sockets
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    configure(next) {
      config = pickBehaviours(next)
      buckets = new Map()
    },
    resetStats() {
      stats.requests = 0
      stats.byOperation = {}
      Object.assign(stats, freshStats())
    },
    conflictNext(bucket, key, times = 1) {
      conflicts.set(id(bucket, key), (conflicts.get(id(bucket, key)) ?? 0) + times)
    },
    eTagOf(bucket, key, versionId) {
      const meta = versions.get(id(bucket, key, versionId))
      if (!meta) return undefined
      return kmsFor(key) ? meta.eTag : meta.upstreamETag ? `"${meta.upstreamETag}"` : undefined
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        agent.destroy()
        internal.destroy()
        server.close(() => resolve())
      }),
  }
}

/** A client → fault proxy → AWS layer → store chain, closed together. */
export interface AwsStack {
  /** The fault proxy's URL: the client's endpoint. */
  url: string
  aws: AwsProxy
  faults: FaultProxy
  close(): Promise<void>
}

/** The AWS layer in front of `upstream`, and a fault proxy in front of the layer. */
export async function startAwsStack(
  upstream: string,
  behaviours: AwsProxyOptions = {},
  faults: Faults = {},
): Promise<AwsStack> {
  const aws = await startAwsProxy(upstream, behaviours)
  const front = await startFaultProxy(aws.url, faults)
  return {
    url: front.url,
    aws,
    faults: front,
    close: async () => {
      await front.close()
      await aws.close()
    },
  }
}

/** Base64 of the CRC64NVME of `data` (the SDK's implementation, as S3 computes it). */
export async function crc64nvme(data: Uint8Array): Promise<string> {
  const crc = new Crc64Nvme()
  crc.update(data)
  return Buffer.from(await crc.digest()).toString('base64')
}

const PRECONDITION_MESSAGE = 'At least one of the pre-conditions you specified did not hold'
const CONFLICT_MESSAGE =
  'A conflicting conditional operation is currently in progress against this resource. ' +
  'Please try again.'

/**
 * An S3 REST error body: Code, Message, Resource, RequestId —
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#RESTErrorResponses
 */
export function errorXml(
  code: string,
  message: string,
  resource: string,
  requestId: string,
): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error>' +
    `<Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message>` +
    `<Resource>${xmlEscape(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`
  )
}

type Kind =
  'put' | 'copy' | 'complete' | 'delete' | 'create-upload' | 'read' | 'list-versions' | 'other'

/** Subresources that make a request on a key something other than the object's data. */
const SUBRESOURCES = [
  'tagging',
  'acl',
  'retention',
  'legal-hold',
  'attributes',
  'torrent',
  'restore',
]

function classify(ctx: Ctx): Kind {
  const { method, query: q, key } = ctx
  if (!key) return method === 'GET' && q.has('versions') ? 'list-versions' : 'other'
  if (SUBRESOURCES.some((s) => q.has(s))) return 'other'
  if (method === 'PUT') {
    if (q.has('partNumber') || q.has('uploadId')) return 'other'
    return ctx.headers['x-amz-copy-source'] ? 'copy' : 'put'
  }
  if (method === 'POST')
    return q.has('uploads') ? 'create-upload' : q.has('uploadId') ? 'complete' : 'other'
  if (method === 'DELETE') return q.has('uploadId') ? 'other' : 'delete'
  if ((method === 'GET' || method === 'HEAD') && !q.has('uploadId')) return 'read'
  return 'other'
}

/** Whether an If-Match / If-None-Match value (a list, or `*`) names this ETag. */
export function eTagMatches(condition: string, eTag: string): boolean {
  return condition.split(',').some((c) => {
    const t = c.trim()
    return t === '*' || bare(t) === bare(eTag)
  })
}

/** An ETag without W/ and quotes. */
const bare = (eTag: string): string => eTag.trim().replace(/^W\//, '').replace(/^"|"$/g, '')

const opaqueETag = (): string => `"${randomBytes(16).toString('hex')}"`

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

function xmlUnescape(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#')
      return String.fromCodePoint(Number(e[1] === 'x' ? `0${e.slice(1)}` : e.slice(1)))
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e] ?? ''
  })
}

/** The text of the first <name> element (unescaped), or undefined. */
function xmlText(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>|<${name}/>`).exec(xml)
  return m ? xmlUnescape(m[1] ?? '') : undefined
}

/** The first <ETag> element set to `eTag` (quoted, as AWS writes it in XML). */
function replaceETag(xml: string, eTag: string): string {
  const element = `<ETag>${xmlEscape(eTag)}</ETag>`
  return /<ETag>[\s\S]*?<\/ETag>|<ETag\/>/.test(xml)
    ? xml.replace(/<ETag>[\s\S]*?<\/ETag>|<ETag\/>/, element)
    : xml
}

function pickBehaviours(o: AwsBehaviours): AwsBehaviours {
  return {
    kms: o.kms,
    conditions: o.conditions,
    checksums: o.checksums,
    slowDown: o.slowDown,
    latencyMs: o.latencyMs,
    beforeWrite: o.beforeWrite,
  }
}
