import {
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  type LifecycleRule,
  type S3Client,
} from '@aws-sdk/client-s3'
import { StepError, errorMessage } from '../lib/errors.js'
import { explain } from '../lib/explain.js'
import { httpStatus } from './objects.js'

/** The bucket settings a rollback depends on, as read from S3. */
export interface BucketFacts {
  /** Enabled, Suspended, Off (never enabled), or unknown when it could not be read. */
  versioning: 'Enabled' | 'Suspended' | 'Off' | 'unknown'
  /** MFA delete: Enabled, Disabled, or unknown (not reported, or not readable). */
  mfaDelete: 'Enabled' | 'Disabled' | 'unknown'
  /** Lifecycle rules (all, Enabled or not); undefined when they could not be read. */
  rules?: LifecycleRule[]
  /** Why something could not be read. */
  problems: string[]
}

/** Reads versioning, MFA delete and the lifecycle rules; records what cannot be read. */
export async function readBucketFacts(
  s3: S3Client,
  bucket: string,
  expectedBucketOwner?: string,
): Promise<BucketFacts> {
  const facts: BucketFacts = { versioning: 'unknown', mfaDelete: 'unknown', problems: [] }
  try {
    const out = await s3.send(
      new GetBucketVersioningCommand({ Bucket: bucket, ExpectedBucketOwner: expectedBucketOwner }),
    )
    facts.versioning = out.Status === 'Enabled' || out.Status === 'Suspended' ? out.Status : 'Off'
    if (out.MFADelete === 'Enabled' || out.MFADelete === 'Disabled') facts.mfaDelete = out.MFADelete
  } catch (e) {
    // Without the bucket, credentials or a connection, every later check fails the same way.
    if (explain(e).kind !== 'denied')
      throw new StepError('checking the bucket', `s3://${bucket}`, e)
    facts.problems.push(`cannot read the versioning state: ${errorMessage(e)}`)
  }
  try {
    facts.rules = await lifecycleRules(s3, bucket, expectedBucketOwner)
  } catch (e) {
    facts.problems.push(`cannot read the lifecycle configuration: ${errorMessage(e)}`)
  }
  return facts
}

/** The bucket's lifecycle rules; none when it has no lifecycle configuration. */
export async function lifecycleRules(
  s3: S3Client,
  bucket: string,
  expectedBucketOwner?: string,
): Promise<LifecycleRule[]> {
  try {
    const out = await s3.send(
      new GetBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        ExpectedBucketOwner: expectedBucketOwner,
      }),
    )
    return out.Rules ?? []
  } catch (e) {
    const name = (e as { name?: string }).name
    if (name === 'NoSuchLifecycleConfiguration' || (httpStatus(e) === 404 && !isNoSuchBucket(e))) {
      return []
    }
    throw e
  }
}

function isNoSuchBucket(e: unknown): boolean {
  return (e as { name?: string }).name === 'NoSuchBucket'
}
