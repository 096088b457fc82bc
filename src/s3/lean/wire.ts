/**
 * The lean request path: one S3 request signed with `aws4` and sent on an `undici` pool, with
 * the SDK's retry rules. It serves the requests a run makes by the thousand (see
 * ./operations.ts); the SDK serves everything else. What it takes from the SDK client it is
 * attached to: the credential chain (`config.credentials`, refreshed as the SDK refreshes it),
 * the region, and the endpoint of each bucket from the SDK's own endpoint rules (custom
 * endpoints, path-style, dotted bucket names, FIPS, dual-stack), so both paths address S3 alike.
 *
 * Why not the SDK for these: on this machine a CopyObject through the SDK costs ~1.2 ms of
 * client CPU (its middleware stack is resolved per request, the signer re-derives a cache key
 * with an HMAC, the XML goes through a schema); this path costs a fraction of it (README,
 * "The request path").
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { Pool } from 'undici'
import { SOCKET_TIMEOUT_MS } from '../limits.js'
import { backoffMs, isRetryable, type Attempt } from './retry.js'
import { errorFrom, networkError } from './errors.js'
import { sign } from './sign.js'

/** One request of the lean path, as the caller describes it. */
export interface WireRequest {
  operation: string
  method: 'GET' | 'PUT' | 'DELETE' | 'HEAD'
  bucket: string
  key?: string
  /** Query parameters in the order given; a value of `''` sends `name=`. */
  query?: Array<[string, string | undefined]>
  headers?: Record<string, string | undefined>
}

export interface WireResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  attempts: number
  totalRetryDelay: number
}

/** What the wire needs from the SDK client's resolved config. */
interface Resolved {
  origin: string
  /** The path before the key: `/` (virtual-hosted) or `/bucket/` (path-style). */
  base: string
  host: string
  region: string
}

/** The SHA-256 of an empty body: every request of this path has none. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

export interface WireOptions {
  /** Sockets per origin: at least the highest number of requests a run keeps in flight. */
  connections: number
  maxAttempts: number
  socketTimeoutMs?: number
  /** Told of every attempt's answer (for counts and the adaptive concurrency). */
  onAttempt?: (attempt: Attempt) => void
}

export class Wire {
  private readonly pools = new Map<string, Pool>()
  private readonly buckets = new Map<string, Promise<Resolved>>()
  /** Server time minus local time, learned from a RequestTimeTooSkewed answer. */
  private skewMs = 0

  constructor(
    private readonly s3: S3Client,
    private readonly options: WireOptions,
  ) {}

  async send(request: WireRequest): Promise<WireResponse> {
    const where = await this.resolve(request.bucket)
    const path = where.base + (request.key === undefined ? '' : encodeKey(request.key))
    const query = queryString(request.query)
    let totalRetryDelay = 0
    for (let attempt = 1; ; attempt++) {
      let status: number | undefined
      let failure: unknown
      try {
        const response = await this.once(where, request, path + query)
        status = response.status
        const error = status >= 300 ? errorFrom(request.operation, response) : undefined
        const bodyError =
          !error && response.body.startsWith('<?xml') && /<Error>/.test(response.body.slice(0, 200))
            ? errorFrom(request.operation, { ...response, status: 500 })
            : undefined
        failure = error ?? bodyError
        if (!failure) return { ...response, attempts: attempt, totalRetryDelay }
      } catch (e) {
        failure = networkError(request.operation, e)
      }
      const code =
        (failure as { Code?: string; code?: string }).Code ?? (failure as { code?: string }).code
      const final = attempt >= this.options.maxAttempts || !isRetryable(status, code)
      this.options.onAttempt?.({ bucket: request.bucket, key: request.key, status, code, final })
      if (code === 'RequestTimeTooSkewed') this.learnSkew(failure)
      if (final) {
        Object.assign(failure as object, {
          $metadata: {
            ...(failure as { $metadata?: object }).$metadata,
            attempts: attempt,
            totalRetryDelay,
          },
        })
        throw failure
      }
      const delay = backoffMs(attempt, code)
      totalRetryDelay += delay
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }

  /** Closes the sockets (the client is done). */
  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()))
    this.pools.clear()
  }

  private async once(
    where: Resolved,
    request: WireRequest,
    path: string,
  ): Promise<Omit<WireResponse, 'attempts' | 'totalRetryDelay'>> {
    const credentials = await this.s3.config.credentials()
    const headers: Record<string, string> = { 'x-amz-content-sha256': EMPTY_SHA256 }
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      if (value !== undefined) headers[name] = value
    }
    if (this.skewMs) headers['X-Amz-Date'] = amzDate(new Date(Date.now() + this.skewMs))
    const signed = sign(
      {
        method: request.method,
        host: where.host,
        path,
        service: 's3',
        region: where.region,
        headers,
      },
      credentials,
    )
    const response = await this.pool(where.origin).request({
      method: request.method,
      path: signed.path ?? path,
      headers: signed.headers as Record<string, string>,
      // Keep the connection after a HEAD too (undici closes it by default, for servers that
      // send a body anyway: S3 does not).
      reset: false,
    })
    const body = request.method === 'HEAD' ? '' : await response.body.text()
    if (request.method === 'HEAD') await response.body.dump()
    return { status: response.statusCode, headers: response.headers, body }
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin)
    if (!pool) {
      const timeout = this.options.socketTimeoutMs ?? SOCKET_TIMEOUT_MS
      pool = new Pool(origin, {
        connections: this.options.connections,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        keepAliveTimeout: 4_000,
      })
      this.pools.set(origin, pool)
    }
    return pool
  }

  private resolve(bucket: string): Promise<Resolved> {
    let where = this.buckets.get(bucket)
    if (!where) {
      where = resolveBucket(this.s3, bucket)
      where.catch(() => this.buckets.delete(bucket))
      this.buckets.set(bucket, where)
    }
    return where
  }

  private learnSkew(failure: unknown): void {
    const serverTime = (failure as { ServerTime?: string }).ServerTime
    const at = serverTime ? Date.parse(serverTime) : NaN
    if (Number.isFinite(at)) this.skewMs = at - Date.now()
  }
}

/** Where the SDK would send a request for `bucket`: its endpoint rules, applied once. */
async function resolveBucket(s3: S3Client, bucket: string): Promise<Resolved> {
  const c = s3.config
  const custom = c.endpoint ? await c.endpoint() : undefined
  const region = await c.region()
  const endpoint = c.endpointProvider(
    {
      Bucket: bucket,
      Region: region,
      UseFIPS: await c.useFipsEndpoint(),
      UseDualStack: await c.useDualstackEndpoint(),
      ForcePathStyle: c.forcePathStyle,
      Accelerate: c.useAccelerateEndpoint,
      DisableMultiRegionAccessPoints: c.disableMultiregionAccessPoints,
      Endpoint: custom
        ? `${custom.protocol}//${custom.hostname}${custom.port ? `:${custom.port}` : ''}${custom.path}`
        : undefined,
    },
    {},
  )
  const schemes = (endpoint.properties?.authSchemes ?? []) as Array<{
    name?: string
    signingRegion?: string
  }>
  const scheme = schemes[0]
  if (scheme && scheme.name !== 'sigv4') {
    throw new Error(
      `the lean request path signs with SigV4 only; ${bucket} asks for ${scheme.name}`,
    )
  }
  const url = endpoint.url
  return {
    origin: url.origin,
    base: url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`,
    host: url.host,
    region: scheme?.signingRegion ?? region,
  }
}

/** A key as a URL path: every `/`-separated segment percent-encoded (RFC 3986). */
export function encodeKey(key: string): string {
  return key.split('/').map(encodeRfc3986).join('/')
}

export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

function queryString(query: WireRequest['query']): string {
  if (!query) return ''
  const parts = query
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${encodeRfc3986(name)}=${encodeRfc3986(value)}`)
  return parts.length ? `?${parts.join('&')}` : ''
}

function amzDate(at: Date): string {
  return at.toISOString().replace(/[:-]|\.\d{3}/g, '')
}
