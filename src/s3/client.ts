import { S3Client } from '@aws-sdk/client-s3'
import type { InitializeMiddleware, MetadataBearer } from '@smithy/types'
import type { S3Settings } from '../settings/types.js'

/**
 * Attempts per request. With retryMode 'adaptive' the SDK retries throttling (503 SlowDown,
 * 429) and transient faults (500/502/503/504, ECONNRESET, EPIPE, ETIMEDOUT, ECONNREFUSED,
 * socket timeouts) with backoff, and on throttling slows every request of the client down.
 */
export const MAX_ATTEMPTS = 8
/** A request whose socket is idle this long is abandoned and retried (a stalled connection). */
export const SOCKET_TIMEOUT_MS = 120_000

/**
 * An S3 client for AWS or an S3-compatible store. Credentials come from the SDK's default
 * chain (environment, OIDC web identity from configure-aws-credentials, profiles, IMDS).
 * Checksums are only computed when an API requires them: copies send no body, and
 * S3-compatible stores such as Ceph RGW reject the SDK's default streaming checksums.
 */
export function createS3Client(settings: S3Settings): S3Client {
  const s3 = new S3Client({
    region: settings.region ?? (settings.endpoint ? 'us-east-1' : undefined),
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    retryMode: 'adaptive',
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: { socketTimeout: settings.socketTimeoutMs ?? SOCKET_TIMEOUT_MS },
  })
  s3.middlewareStack.add(nameOperation, { step: 'initialize', name: 'nameOperation' })
  return s3
}

/**
 * Marks every error with the operation that failed (`$operation`: GetBucketVersioning, …), so
 * that an AccessDenied can name the IAM action the role lacks (lib/explain).
 */
export const nameOperation: InitializeMiddleware<object, MetadataBearer> =
  (next, context) => async (args) => {
    try {
      return await next(args)
    } catch (e) {
      if (typeof e === 'object' && e !== null && context.commandName) {
        Object.assign(e, { $operation: context.commandName.replace(/Command$/, '') })
      }
      throw e
    }
  }
