/**
 * Errors of the lean request path in the SDK's shape (`name` and `Code` the S3 error code,
 * `$fault`, `$metadata` with the status, request IDs and attempts, `$operation`), so that
 * lib/explain.ts gives them the same kinds and fixes as the SDK's own.
 */
import { fields, parseXml } from './xml.js'

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

export class S3WireError extends Error {
  readonly Code: string
  readonly $fault: 'client' | 'server'
  $metadata: {
    httpStatusCode?: number
    requestId?: string
    extendedRequestId?: string
    attempts?: number
    totalRetryDelay?: number
  }
  readonly $operation: string;
  /** Other fields of the error document (ServerTime, Resource, …). */
  [field: string]: unknown

  constructor(operation: string, code: string, message: string, answer?: Answer) {
    super(message || code)
    this.name = code
    this.Code = code
    this.$operation = operation
    const status = answer?.status
    this.$fault = status !== undefined && status >= 500 ? 'server' : 'client'
    this.$metadata = {
      httpStatusCode: status,
      requestId: header(answer, 'x-amz-request-id'),
      extendedRequestId: header(answer, 'x-amz-id-2'),
    }
  }
}

/** The error an answer of status ≥ 300 (or a 200 carrying an <Error> document) stands for. */
export function errorFrom(operation: string, answer: Answer): S3WireError {
  let doc: Record<string, string> = {}
  if (answer.body.trim().startsWith('<')) {
    try {
      doc = fields(parseXml(answer.body))
    } catch {
      doc = {}
    }
  }
  const code = doc.Code ?? codeOfStatus(answer.status)
  const error = new S3WireError(operation, code, doc.Message ?? '', answer)
  for (const [name, value] of Object.entries(doc)) {
    if (name !== 'Code' && name !== 'Message' && !(name in error)) error[name] = value
  }
  if (doc.RequestId && !error.$metadata.requestId) error.$metadata.requestId = doc.RequestId
  return error
}

/**
 * A failure with no answer (refused, reset, timed out): the system code where there is one
 * (undici keeps it in `cause`), so explain.ts says "check the endpoint".
 */
export function networkError(operation: string, e: unknown): Error {
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } }
  const code = systemCode(err.cause?.code ?? err.code)
  const message = err.cause?.message ?? err.message ?? String(e)
  return Object.assign(new Error(message), {
    name: code === 'TimeoutError' ? 'TimeoutError' : 'Error',
    code,
    $operation: operation,
    $metadata: {},
    cause: e,
  })
}

/** undici's codes as the ones Node's own HTTP client (and so the SDK) reports. */
function systemCode(code: string | undefined): string | undefined {
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'TimeoutError'
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'ETIMEDOUT'
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return 'ECONNRESET'
    default:
      return code
  }
}

/** S3's code for a status with no error document (HEAD answers carry none). */
function codeOfStatus(status: number): string {
  switch (status) {
    case 301:
      return 'PermanentRedirect'
    case 304:
      return 'NotModified'
    case 400:
      return 'BadRequest'
    case 403:
      return 'Forbidden'
    case 404:
      return 'NotFound'
    case 412:
      return 'PreconditionFailed'
    case 503:
      return 'ServiceUnavailable'
    default:
      return `HTTP${status}`
  }
}

function header(answer: Answer | undefined, name: string): string | undefined {
  const value = answer?.headers[name]
  return Array.isArray(value) ? value[0] : value
}
