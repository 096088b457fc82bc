/**
 * S3 Batch Operations through S3 Control: a copy job over a CSV manifest, its status, and its
 * completion report. The job copies each listed version onto its own key (S3PutObjectCopy with
 * the same bucket as target and MetadataDirective COPY); it is created awaiting confirmation, so
 * a bad role, account or manifest is refused before anything is copied.
 */
import {
  CreateJobCommand,
  DescribeJobCommand,
  S3ControlClient,
  UpdateJobStatusCommand,
  type JobStatus,
  type S3StorageClass,
} from '@aws-sdk/client-s3-control'
import type { S3Settings } from '../settings/types.js'
import { MAX_ATTEMPTS, nameOperation } from './client.js'

/**
 * An S3 Control client. AWS_ENDPOINT_URL_S3_CONTROL (the SDK's variable for a service's own
 * endpoint) points it elsewhere, such as a local fake; the account ID then goes in the
 * x-amz-account-id header only, not in front of the host name. Give it a host name
 * (http://localhost:PORT): the endpoint rules put the account in front of the host first, and
 * 123456789012.127.0.0.1 is not a valid URL.
 */
export function createControlClient(settings: S3Settings): S3ControlClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_S3_CONTROL || undefined
  const client = new S3ControlClient({
    region: settings.region ?? (endpoint ? 'us-east-1' : undefined),
    ...(endpoint ? { endpoint } : {}),
    retryMode: 'adaptive',
    maxAttempts: MAX_ATTEMPTS,
  })
  client.middlewareStack.add(nameOperation, { step: 'initialize', name: 'nameOperation' })
  if (endpoint) {
    const host = new URL(endpoint).hostname
    // after the endpoint rules put `{AccountId}.` in front of the host, before signing
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { hostname?: string }
        if (request.hostname?.endsWith(`.${host}`)) request.hostname = host
        return next(args)
      },
      { step: 'build', name: 'accountIdInHeaderOnly' },
    )
  }
  return client
}

export interface CopyJobRequest {
  accountId: string
  roleArn: string
  priority: number
  /** The bucket copied in (source and target). */
  bucket: string
  manifest: { bucket: string; key: string; eTag: string }
  report: { bucket: string; prefix: string }
  /** Job-level: every copy gets this class (a copy does not keep its source's). */
  storageClass?: string
  /** Makes a retried CreateJob the same job. */
  token: string
  description: string
}

/** Creates a copy job that waits for confirmation (status Suspended); returns its ID. */
export async function createCopyJob(control: S3ControlClient, r: CopyJobRequest): Promise<string> {
  const out = await control.send(
    new CreateJobCommand({
      AccountId: r.accountId,
      ConfirmationRequired: true,
      Operation: {
        S3PutObjectCopy: {
          TargetResource: `arn:aws:s3:::${r.bucket}`,
          MetadataDirective: 'COPY',
          ...(r.storageClass ? { StorageClass: r.storageClass as S3StorageClass } : {}),
        },
      },
      Manifest: {
        Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key', 'VersionId'] },
        Location: {
          ObjectArn: `arn:aws:s3:::${r.manifest.bucket}/${r.manifest.key}`,
          ETag: r.manifest.eTag,
        },
      },
      Report: {
        Enabled: true,
        Bucket: `arn:aws:s3:::${r.report.bucket}`,
        Prefix: r.report.prefix.replace(/\/$/, ''),
        Format: 'Report_CSV_20180820',
        // the report names failed tasks only: a run that succeeds reads almost nothing
        ReportScope: 'FailedTasksOnly',
      },
      Priority: r.priority,
      RoleArn: r.roleArn,
      ClientRequestToken: r.token,
      Description: r.description.slice(0, 256),
    }),
  )
  if (!out.JobId) throw new Error('CreateJob returned no JobId')
  return out.JobId
}

/** What DescribeJob says of a job, as far as waiting for it needs. */
export interface JobState {
  status: JobStatus | 'unknown'
  succeeded: number
  failed: number
  total: number
  /** Why the job failed, when it did. */
  reasons: string[]
}

export async function describeJob(
  control: S3ControlClient,
  accountId: string,
  jobId: string,
): Promise<JobState> {
  const out = await control.send(new DescribeJobCommand({ AccountId: accountId, JobId: jobId }))
  const job = out.Job
  const progress = job?.ProgressSummary
  return {
    status: job?.Status ?? 'unknown',
    succeeded: progress?.NumberOfTasksSucceeded ?? 0,
    failed: progress?.NumberOfTasksFailed ?? 0,
    total: progress?.TotalNumberOfTasks ?? 0,
    reasons: (job?.FailureReasons ?? []).map(
      (f) => `${f.FailureCode ?? 'failure'}: ${f.FailureReason ?? ''}`,
    ),
  }
}

/** Starts a confirmed job (Ready) or cancels one (Cancelled). */
export async function setJobStatus(
  control: S3ControlClient,
  accountId: string,
  jobId: string,
  status: 'Ready' | 'Cancelled',
  reason: string,
): Promise<void> {
  await control.send(
    new UpdateJobStatusCommand({
      AccountId: accountId,
      JobId: jobId,
      RequestedJobStatus: status,
      StatusUpdateReason: reason.slice(0, 256),
    }),
  )
}

/** Job statuses after which nothing more happens. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['Complete', 'Failed', 'Cancelled'])
