import { S3Client } from '@aws-sdk/client-s3'
import type { S3Settings } from './inputs.js'

/**
 * An S3 client for AWS or an S3-compatible store. Credentials come from the SDK's default
 * chain (environment, OIDC web identity from configure-aws-credentials, profiles, IMDS).
 * Checksums are only computed when an API requires them: copies send no body, and
 * S3-compatible stores such as Ceph RGW reject the SDK's default streaming checksums.
 */
export function createS3Client(settings: S3Settings): S3Client {
  return new S3Client({
    region: settings.region ?? (settings.endpoint ? 'us-east-1' : undefined),
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 5,
  })
}
