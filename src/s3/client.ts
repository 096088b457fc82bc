import { S3Client } from '@aws-sdk/client-s3'
import type {
  FinalizeRequestMiddleware,
  InitializeMiddleware,
  Logger as SdkLogger,
  MetadataBearer,
} from '@smithy/types'
import type { S3Settings } from '../settings/types.js'
import { reportThrottle } from './pressure.js'

import { Wire } from './lean/wire.js'
import { MAX_ATTEMPTS, SOCKET_TIMEOUT_MS } from './limits.js'
import { attachWire } from './requests.js'

export { MAX_ATTEMPTS, SOCKET_TIMEOUT_MS }

/**
 * Sockets per client on either request path (the SDK's default agent allows 50): the highest
 * `concurrency` (256) with room for the part copies of the multipart copies among them, so a
 * full window never waits for a socket. Opened only as requests need them.
 */
export const MAX_SOCKETS = 512

/**
 * The SDK's logger with only its warnings kept, handed to `warn` (the SDK otherwise prints them
 * with console.warn; its per-request info and error records are not wanted: errors are reported
 * by the caller).
 */
function sdkLogger(warn: (message: string) => void): SdkLogger {
  const nothing = (): void => {}
  return {
    debug: nothing,
    info: nothing,
    error: nothing,
    warn: (...content: unknown[]) => warn(content.map(String).join(' ').trim()),
  }
}

/**
 * An S3 client for AWS or an S3-compatible store, with the lean request path (lean/, used by
 * requests.ts and listing.ts) attached unless S3_ROLLBACK_REQUEST_PATH=sdk. Credentials come
 * from the SDK's default chain (environment, OIDC web identity from configure-aws-credentials, profiles, IMDS).
 * Checksums are only computed when an API requires them: copies send no body, and
 * S3-compatible stores such as Ceph RGW reject the SDK's default streaming checksums.
 * `sdkWarning` takes the SDK's own warnings (such as its note that AWS_PROFILE wins over
 * AWS_ACCESS_KEY_ID) instead of the console.
 */
export function createS3Client(
  settings: S3Settings,
  options: { sdkWarning?: (message: string) => void } = {},
): S3Client {
  const s3 = new S3Client({
    ...(options.sdkWarning ? { logger: sdkLogger(options.sdkWarning) } : {}),
    region: settings.region ?? (settings.endpoint ? 'us-east-1' : undefined),
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    retryMode: 'adaptive',
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: {
      socketTimeout: settings.socketTimeoutMs ?? SOCKET_TIMEOUT_MS,
      httpAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
      httpsAgent: { keepAlive: true, maxSockets: MAX_SOCKETS },
    },
  })
  s3.middlewareStack.add(nameOperation, { step: 'initialize', name: 'nameOperation' })
  const counts = { slowDown: 0, gaveUp: 0 }
  answers.set(s3, counts)
  if (process.env.S3_ROLLBACK_REQUEST_PATH !== 'sdk') {
    const wire = new Wire(s3, {
      connections: MAX_SOCKETS,
      maxAttempts: MAX_ATTEMPTS,
      socketTimeoutMs: settings.socketTimeoutMs,
      onAttempt: ({ bucket, key, status, code, final }) => {
        if (status !== undefined) reportThrottle(s3, { bucket, key, status, code })
        if (code !== 'SlowDown') return
        counts.slowDown++
        if (final) counts.gaveUp++
      },
    })
    attachWire(s3, wire)
    const destroy = s3.destroy.bind(s3)
    s3.destroy = (): void => {
      void wire.close()
      destroy()
    }
  }
  s3.middlewareStack.add(countGaveUp(counts), { step: 'initialize', name: 'countSlowDownFailures' })
  // Inside the SDK's retries (finalizeRequest, below the retry middleware's high priority): sees
  // every attempt, so every SlowDown answer, also those a later attempt recovered from; and tells
  // the pools (pressure.ts) of each throttle or 5xx with the request's bucket and key.
  s3.middlewareStack.add(watchAttempts(s3, counts), {
    step: 'finalizeRequest',
    priority: 'low',
    name: 'watchAttempts',
  })
  return s3
}

interface Counts {
  /** 503 SlowDown answers, every attempt counted. */
  slowDown: number
  /** Requests that ended with a SlowDown answer (no attempt left, or no retry token). */
  gaveUp: number
}
const answers = new WeakMap<S3Client, Counts>()

/**
 * How many times S3 answered a request of this client with 503 SlowDown (it asks for a lower
 * request rate, per prefix), and how many of those answers the SDK retried (with its backoff;
 * adaptive retry mode also slows every later request of the client). An answer not retried
 * ended its request: no attempt was left (MAX_ATTEMPTS) or the SDK's retry budget was spent.
 */
export function slowDownsOf(s3: S3Client): { answers: number; retried: number } {
  const counts = answers.get(s3)
  if (!counts) return { answers: 0, retried: 0 }
  return { answers: counts.slowDown, retried: counts.slowDown - counts.gaveUp }
}

const isSlowDown = (e: unknown): boolean => {
  const err = e as { name?: string; Code?: string } | undefined
  return err?.name === 'SlowDown' || err?.Code === 'SlowDown'
}

function watchAttempts(
  s3: S3Client,
  counts: Counts,
): FinalizeRequestMiddleware<object, MetadataBearer> {
  return (next) => async (args) => {
    try {
      return await next(args)
    } catch (e) {
      if (isSlowDown(e)) counts.slowDown++
      const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } }
      const status = err?.$metadata?.httpStatusCode
      const input = args.input as { Bucket?: string; Key?: string }
      if (status !== undefined && input.Bucket !== undefined) {
        const code = err.Code ?? err.name
        reportThrottle(s3, { bucket: input.Bucket, key: input.Key, status, code })
      }
      throw e
    }
  }
}

function countGaveUp(counts: Counts): InitializeMiddleware<object, MetadataBearer> {
  return (next) => async (args) => {
    try {
      return await next(args)
    } catch (e) {
      if (isSlowDown(e)) counts.gaveUp++
      throw e
    }
  }
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
