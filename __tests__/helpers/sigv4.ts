/**
 * AWS Signature Version 4 for the fakes of AWS services: sign a raw request (tests that send
 * requests the SDK would never send) and check the signature of a request the fake received, so a
 * client that signs for the wrong service, region or key is refused as AWS would refuse it.
 * S3 and S3 Control sign the path as sent (no second percent-encoding, the SDK's
 * `signingEscapePath: false`) and the payload's SHA-256 from x-amz-content-sha256.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

export interface Credentials {
  accessKeyId: string
  secretAccessKey: string
}

export interface SignableRequest {
  method: string
  /** The path as sent, percent-encoded. */
  path: string
  /** The query as sent, without '?'. */
  rawQuery: string
  /** Lower-case names. */
  headers: Record<string, string>
  body: string
}

const sha256 = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex')
const hmac = (key: Buffer | string, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest()

/** RFC 3986 percent-encoding, as SigV4 wants it. */
export const rfc3986 = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

function decode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

function canonicalQuery(rawQuery: string): string {
  return rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf('=')
      const k = decode(i < 0 ? pair : pair.slice(0, i))
      const v = i < 0 ? '' : decode(pair.slice(i + 1))
      return [rfc3986(k), rfc3986(v)]
    })
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : av > bv ? 1 : 0) : ak < bk ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
}

function signature(
  req: SignableRequest,
  signedHeaders: string[],
  payloadHash: string,
  amzDate: string,
  scope: string,
  secret: string,
): string {
  const canonical = [
    req.method.toUpperCase(),
    req.path,
    canonicalQuery(req.rawQuery),
    signedHeaders
      .map((h) => `${h}:${(req.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`)
      .join(''),
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n')
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n')
  const [date, region, service] = scope.split('/')
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request')
  return createHmac('sha256', key).update(toSign, 'utf8').digest('hex')
}

/** The headers that sign a request (x-amz-date, x-amz-content-sha256, authorization). */
export function sign(
  req: SignableRequest,
  credentials: Credentials,
  region: string,
  service: string,
  now = new Date(),
): Record<string, string> {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '')
  const scope = `${amzDate.slice(0, 8)}/${region}/${service}/aws4_request`
  const payloadHash = sha256(req.body)
  const headers = { ...req.headers, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash }
  const signed = Object.keys(headers)
    .map((h) => h.toLowerCase())
    .sort()
  const sig = signature(
    { ...req, headers },
    signed,
    payloadHash,
    amzDate,
    scope,
    credentials.secretAccessKey,
  )
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${sig}`,
  }
}

/** Why a request's signature is not valid for these credentials, region and service (or undefined). */
export function verify(
  req: SignableRequest,
  credentials: Credentials,
  region: string,
  service: string,
): { code: string; message: string } | undefined {
  const auth = req.headers.authorization
  if (!auth) return { code: 'AccessDenied', message: 'Access Denied (the request is not signed)' }
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    )
  if (!m)
    return {
      code: 'AuthorizationHeaderMalformed',
      message: `not a SigV4 Authorization header: ${auth}`,
    }
  const [, keyId, date, scopeRegion, scopeService, signedList, given] = m
  if (keyId !== credentials.accessKeyId) {
    return {
      code: 'InvalidAccessKeyId',
      message: `The AWS Access Key Id you provided does not exist in our records: ${keyId}`,
    }
  }
  if (scopeRegion !== region || scopeService !== service) {
    return {
      code: 'AuthorizationHeaderMalformed',
      message: `the credential scope is ${scopeRegion}/${scopeService}, expected ${region}/${service}`,
    }
  }
  const amzDate = req.headers['x-amz-date'] ?? ''
  if (!amzDate.startsWith(date))
    return {
      code: 'AuthorizationHeaderMalformed',
      message: 'x-amz-date does not match the credential scope',
    }
  const signed = signedList.split(';')
  if (!signed.includes('host'))
    return { code: 'AccessDenied', message: 'the host header is not signed' }
  const bodyHash = sha256(req.body)
  const claimed = req.headers['x-amz-content-sha256']
  if (claimed !== undefined && claimed !== 'UNSIGNED-PAYLOAD' && claimed !== bodyHash) {
    return {
      code: 'XAmzContentSHA256Mismatch',
      message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
    }
  }
  const scope = `${date}/${region}/${service}/aws4_request`
  const expected = signature(
    req,
    signed,
    claimed ?? bodyHash,
    amzDate,
    scope,
    credentials.secretAccessKey,
  )
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(given))) {
    return {
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided.',
    }
  }
  return undefined
}

/**
 * A new Authorization header for a signed request from which a proxy removed some headers (the
 * ones in `headers` are what will be sent): the same key, date, scope and payload hash, signing
 * the headers it signed that are still there. A body signed chunk by chunk
 * (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) cannot be re-signed this way: each chunk's signature chains
 * from the header's, so that throws.
 */
export function resign(req: SignableRequest, credentials: Credentials): string {
  const auth = req.headers.authorization ?? ''
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8}\/[^/]+\/[^/]+\/aws4_request), ?SignedHeaders=([a-z0-9;-]+), ?Signature=[0-9a-f]{64}$/.exec(
      auth,
    )
  if (!m) throw new Error(`resign: not a SigV4 Authorization header: ${auth || '(none)'}`)
  const [, keyId, scope, signedList] = m
  if (keyId !== credentials.accessKeyId) {
    throw new Error(
      `resign: signed by ${keyId}, but the credentials are ${credentials.accessKeyId}`,
    )
  }
  const claimed = req.headers['x-amz-content-sha256']
  if (claimed?.startsWith('STREAMING-') && claimed !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') {
    throw new Error(`resign: a chunk-signed body (${claimed}) cannot be re-signed`)
  }
  const signed = signedList.split(';').filter((h) => req.headers[h] !== undefined)
  const amzDate = req.headers['x-amz-date'] ?? ''
  const sig = signature(
    req,
    signed,
    claimed ?? sha256(req.body),
    amzDate,
    scope,
    credentials.secretAccessKey,
  )
  return `AWS4-HMAC-SHA256 Credential=${keyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${sig}`
}
