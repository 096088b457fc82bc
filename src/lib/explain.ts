/**
 * What went wrong, and what to do about it: one mapping from an error (an S3 error code, a
 * network error, a credentials error) to its kind and a fix. The action's annotations and the
 * CLI's messages and exit codes all come from here. Pure: it reads the shapes the AWS SDK
 * gives its errors, and imports nothing.
 */

/** Why a run could not go on. */
export type Kind =
  /** A key or the bucket is not as a rollback needs; or a rollback failed and was put back. */
  | 'refused'
  /** The bucket does not exist (or is not in this region). */
  | 'no-bucket'
  /** The credentials were refused or could not be found. */
  | 'credentials'
  /** An IAM policy refused one action. */
  | 'denied'
  /** The endpoint could not be reached, or did not answer. */
  | 'network'
  /** S3 asked us to slow down, or failed (5xx), more times than the retries allow. */
  | 'server'
  /** Anything else: most likely a bug. */
  | 'unexpected'

/** What an error says, as far as an operator needs. */
export interface Explained {
  kind: Kind
  /** The S3 error code (NoSuchBucket, AccessDenied, …) or the system code (ECONNREFUSED, …). */
  code?: string
  status?: number
  requestId?: string
  /** The operation that failed (GetBucketVersioning, CopyObject, …), when known. */
  operation?: string
  /** What to do. */
  fix?: string
}

/** The IAM action each S3 operation needs (README, Permissions). */
const IAM_ACTIONS: Record<string, string> = {
  GetBucketVersioning: 's3:GetBucketVersioning',
  GetBucketLifecycleConfiguration: 's3:GetLifecycleConfiguration',
  ListObjectVersions: 's3:ListBucketVersions',
  HeadObject: 's3:GetObjectVersion',
  GetObjectTagging: 's3:GetObjectVersionTagging',
  CopyObject: 's3:PutObject (and s3:GetObjectVersion on the source)',
  UploadPartCopy: 's3:PutObject (and s3:GetObjectVersion on the source)',
  CreateMultipartUpload: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
  PutObjectTagging: 's3:PutObjectTagging and s3:PutObjectVersionTagging',
  DeleteObject: 's3:DeleteObject',
  PutObject: 's3:PutObject',
  CreateJob: 's3:CreateJob (and iam:PassRole on batch-role-arn)',
  DescribeJob: 's3:DescribeJob',
  UpdateJobStatus: 's3:UpdateJobStatus',
}

const CREDENTIAL_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'CredentialsProviderError',
  'InvalidClientTokenId',
  'ExpiredTokenException',
])

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'TimeoutError',
  'RequestTimeout',
])

const SERVER_CODES = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'Throttling'])

interface SdkShape {
  name?: string
  code?: string
  Code?: string
  message?: string
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number }
  $operation?: string
  cause?: unknown
}

/** The S3 facts of an error, without the fix: code, status, request ID and operation. */
export function factsOf(e: unknown): Omit<Explained, 'kind' | 'fix'> {
  if (typeof e !== 'object' || e === null) return {}
  const s = e as SdkShape
  const code =
    s.Code ??
    (typeof s.code === 'string' ? s.code : undefined) ??
    (s.name && s.name !== 'Error' && s.$metadata ? s.name : undefined) ??
    (s.name === 'CredentialsProviderError' || s.name === 'TimeoutError' ? s.name : undefined)
  return {
    code,
    status: s.$metadata?.httpStatusCode,
    requestId: s.$metadata?.requestId,
    operation: s.$operation,
  }
}

/** The error's kind and what to do, looking through wrappers (`cause`) to the first S3 error. */
export function explain(
  e: unknown,
  context: { bucket?: string; endpoint?: string } = {},
): Explained {
  const facts = factsOf(rootCause(e))
  const { code = '', status, operation } = facts
  const bucket = context.bucket ? ` ${context.bucket}` : ''
  const where = context.endpoint ? ` (${context.endpoint})` : ''
  if (
    code === 'NoSuchBucket' ||
    code === 'PermanentRedirect' ||
    code === 'AuthorizationHeaderMalformed'
  ) {
    return {
      kind: 'no-bucket',
      ...facts,
      fix: `Check the bucket name${bucket} and the region ('region', or AWS_REGION).`,
    }
  }
  if (CREDENTIAL_CODES.has(code)) {
    return {
      kind: 'credentials',
      ...facts,
      fix:
        'Check the AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ' +
        'or the aws-actions/configure-aws-credentials step.',
    }
  }
  if (code === 'AccessDenied' || code === 'AllAccessDisabled' || status === 403) {
    const action = operation ? IAM_ACTIONS[operation] : undefined
    return {
      kind: 'denied',
      ...facts,
      fix: action
        ? `The role needs ${action} on${bucket || ' the bucket'} (README: Permissions).`
        : `Check the role's IAM policy on${bucket || ' the bucket'} (README: Permissions).`,
    }
  }
  if (NETWORK_CODES.has(code) || notS3(rootCause(e))) {
    return {
      kind: 'network',
      ...facts,
      fix: `Check that the S3 endpoint${where} is right and reachable, and that it is an S3 API.`,
    }
  }
  if (SERVER_CODES.has(code) || (status !== undefined && status >= 500)) {
    return {
      kind: 'server',
      ...facts,
      fix: 'S3 kept failing after every retry; run again later (a re-run is safe: it writes only what is still needed).',
    }
  }
  return { kind: 'unexpected', ...facts }
}

/** An answer that is not S3's (an HTML page, a proxy's reply): the SDK could not parse it. */
function notS3(e: unknown): boolean {
  const message = e instanceof Error ? e.message : ''
  return /Deserialization error|XML parse error/.test(message)
}

/** The innermost error that carries S3 or system facts (wrappers keep theirs in `cause`). */
export function rootCause(e: unknown): unknown {
  let current = e
  for (let depth = 0; depth < 8; depth++) {
    const facts = factsOf(current)
    if (facts.code !== undefined || facts.status !== undefined) return current
    const next = (current as SdkShape | null)?.cause
    if (next === undefined) return e
    current = next
  }
  return e
}

/**
 * A readable message for anything thrown. For an S3 error: the code, the server's message when
 * it said one, the HTTP status and the request ID ("NoSuchBucket (HTTP 404, request tx00…)").
 */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) {
    const { code, status, requestId } = factsOf(e)
    if (status === undefined && !(e as SdkShape).$metadata) return e.message
    const said = e.message && e.message !== 'UnknownError' && e.message !== code ? e.message : ''
    const attempts = (e as SdkShape).$metadata?.attempts ?? 1
    const meta = [
      status === undefined ? '' : `HTTP ${status}`,
      requestId ? `request ${requestId}` : '',
      attempts > 1 ? `after ${attempts} attempts` : '',
    ]
      .filter((m) => m !== '')
      .join(', ')
    const head =
      (code && !said.includes(code) ? [code, said].filter((p) => p).join(': ') : said) || e.message
    return meta ? `${head} (${meta})` : head
  }
  if (typeof e === 'string') return e
  try {
    return JSON.stringify(e)
  } catch {
    return String(e)
  }
}
