/**
 * A fake of the few AWS S3 Control operations S3 Batch Operations needs (CreateJob, DescribeJob,
 * UpdateJobStatus, ListJobs), on 127.0.0.1, that
 *
 * 1. checks every request and every response against the published API model (botocore's
 *    s3control 2018-08-20 service-2.json, helpers/botocore-model.ts) and the request's SigV4
 *    signature: a request the model does not allow is refused with 400 and S3 Control's error XML,
 *    and a response the model does not allow is never sent (the fake throws, answers 500 and
 *    records a violation);
 * 2. runs a job's `S3PutObjectCopy` tasks against the real local S3 (Ceph RGW), with the documented
 *    semantics, and writes the documented completion report.
 *
 * What it follows, and where that is written (the AWS S3 User Guide unless said otherwise):
 * - Statuses New → Preparing → (Suspended until UpdateJobStatus Ready when ConfirmationRequired)
 *   → Ready → Active → Complete | Failed | Cancelled ("Tracking job status", batch-ops-job-status).
 *   A Suspended job becomes Ready only by UpdateJobStatus; Complete, Failed and Cancelled are
 *   terminal; asking a terminal job for a new status is a JobStatusException.
 * - Failure threshold: once a job has run at least 1,000 tasks, it fails when more than 50 percent
 *   of the tasks run so far failed ("Tracking job failure", batch-ops-managing-jobs); the 1,000 is
 *   `failureThresholdTasks` here so tests can reach it with a few objects.
 * - The CSV manifest (S3BatchOperations_CSV_20180820): one row per object, bucket, URL-encoded
 *   key and optionally a version ID, no header; all rows with version IDs or none; the manifest
 *   object is named by ObjectArn and ETag (and optionally ObjectVersionId); a manifest whose ETag
 *   does not match makes the job fail, not CreateJob ("Specifying a manifest", batch-ops-create-job;
 *   linz/geostore#1687 shows such a job as Failed).
 * - Copy (batch-ops-copy-object): each task is a CopyObject of the row's version; objects are not
 *   copied in manifest order (the fake shuffles them); objects up to 5 GB (a larger one fails its
 *   task with CopyObject's InvalidRequest; the limit is `maxCopySourceBytes` here); CopyObject's
 *   defaults apply: metadata and tags copied (MetadataDirective/TaggingDirective COPY), and the
 *   storage class is STANDARD unless the operation names one — it is not inherited from the source
 *   (CopyObject API: "If the x-amz-storage-class header is not used, the copied object will be
 *   stored in the STANDARD Storage Class").
 * - Completion report Report_CSV_20180820 (batch-ops-examples-reports): under
 *   `PREFIX/job-ID/`, a manifest.json with Format, ReportCreationDate, Results (one per CSV:
 *   TaskExecutionStatus, Bucket, MD5Checksum, Key) and ReportSchema, and CSVs under results/, one
 *   for succeeded and one for failed tasks (only the failed one for FailedTasksOnly), written when
 *   the job completes, fails or is cancelled after at least one task ran. Rows are
 *   `bucket,key-as-in-the-manifest,versionId,TaskStatus,HTTPStatusCode,ErrorCode,ResultMessage`:
 *   that is the order of the documented example rows (`…,succeeded,200,,…`) and of reports AWS
 *   wrote (`…,succeeded,200,,Successful`, linz/topo-workflows), although manifest.json's
 *   ReportSchema names ErrorCode before HTTPStatusCode.
 * - Errors: XML `<Error><Code>…</Code><Message>…</Message><RequestId>…</RequestId>` with 400 for a
 *   request the service refuses, as S3 Control answers it (aws/aws-sdk-java-v2#1986:
 *   `<Error><Code>InvalidRequest</Code><Message>Missing role arn</Message>…`).
 * - Roles: RoleArn must match the model's IAMRoleArn pattern (else 400); a well-formed role that
 *   does not exist (not in `roles`) is refused with 403 AccessDenied, as a CreateJob whose caller
 *   may not pass the role is ("Granting permissions for Batch Operations": CreateJob needs
 *   iam:PassRole on the role; "Troubleshooting Batch Operations": AccessDeniedException, an API
 *   failure, "Access Denied").
 *
 * The AWS SDK (@aws-sdk/client-s3-control) puts the account ID in front of the endpoint's host
 * (`{AccountId}.` host prefix, also with a custom endpoint) and in x-amz-account-id. An IP address
 * cannot take a prefix, so the SDK is given http://localhost:PORT and an HTTP agent that resolves
 * any host to 127.0.0.1 (`clientConfig()`); the fake checks the host's account label against the
 * header. Raw requests may go to `origin` (127.0.0.1) without a prefix.
 */
import {
  CopyObjectCommand,
  type CopyObjectCommandInput,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { Agent, createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, LookupFunction } from 'node:net'
import { type BotocoreModel, loadModel, type Matched } from './botocore-model.js'
import { type Credentials, verify } from './sigv4.js'

export type JobStatus =
  | 'New'
  | 'Preparing'
  | 'Suspended'
  | 'Ready'
  | 'Active'
  | 'Pausing'
  | 'Paused'
  | 'Complete'
  | 'Completing'
  | 'Cancelling'
  | 'Cancelled'
  | 'Failing'
  | 'Failed'

const TERMINAL: JobStatus[] = ['Complete', 'Cancelled', 'Failed']

/** A task failure to inject instead of the copy. */
export interface TaskFault {
  code: string
  /** HTTP status of the failure (default 400). */
  status?: number
  message?: string
}

/** Faults the tests inject; they may be changed while the fake runs. */
export interface Faults {
  /** Tasks for these object keys (decoded) fail with this error instead of copying. */
  failKeys: Record<string, TaskFault>
  /** The next job fails as a whole while it is being prepared: no task runs, no report. */
  failJob?: { code: string; reason: string }
  /** A job stays Active until DescribeJob has reported it Active this many times. */
  holdActivePolls: number
  /** Changes an output after it is built and before it is checked and sent. */
  tamper?: (operation: string, output: Record<string, unknown>) => void
}

export interface S3ControlFakeOptions {
  /** The S3 the jobs read manifests from, copy in and write reports to. */
  s3Endpoint: string
  credentials: Credentials
  /** Region of the fake and of the S3 (default us-east-1). */
  region?: string
  /** The account the fake serves (default 123456789012). */
  accountId?: string
  /** IAM role ARNs that exist (default: arn:aws:iam::ACCOUNT:role/batch-operations). */
  roles?: string[]
  /** Tasks a job must have run before the 50 % failure threshold applies (AWS: 1,000). */
  failureThresholdTasks?: number
  /** Largest object a copy task copies (AWS: 5 GB). */
  maxCopySourceBytes?: number
  /** Tasks run at once (default 4). */
  concurrency?: number
  /** Seed of the task order (default: random). */
  seed?: number
  faults?: Partial<Faults>
}

/** A task's result, as the completion report lists it. */
export interface TaskResult {
  status: 'succeeded' | 'failed'
  httpStatus: number
  errorCode: string
  message: string
}

export interface FakeTask {
  bucket: string
  /** Decoded. */
  key: string
  /** As written in the manifest (URL-encoded). */
  manifestKey: string
  versionId?: string
  result?: TaskResult
  /** The version the copy created (CopyObject's x-amz-version-id; Ceph RGW does not send it). */
  newVersionId?: string
}

export interface FakeJob {
  id: string
  arn: string
  accountId: string
  /** The CreateJob input, as the model parsed it. */
  request: Record<string, unknown>
  status: JobStatus
  statusUpdateReason?: string
  failureReasons: { FailureCode: string; FailureReason: string }[]
  creationTime: Date
  terminationDate?: Date
  suspendedDate?: Date
  suspendedCause?: string
  tasks: FakeTask[]
  total?: number
  succeeded: number
  failed: number
  /** Tasks in the order they ran. */
  ran: FakeTask[]
  /** Keys of the report files written (manifest.json first). */
  reportKeys: string[]
  /** DescribeJob answers that reported the job Active. */
  activePolls: number
  /** Settles when the job is in a terminal status. */
  done: Promise<void>
}

/** A request as the fake received it. */
export interface LoggedRequest {
  method: string
  path: string
  query: Record<string, string[]>
  operation?: string
  accountId?: string
  input?: Record<string, unknown>
  status: number
  errorCode?: string
}

export interface FakeS3Control {
  /** http://localhost:PORT: the endpoint for the SDK, with clientConfig()'s HTTP agent. */
  endpoint: string
  /** http://127.0.0.1:PORT, for raw requests. */
  origin: string
  accountId: string
  region: string
  /** The options of an S3ControlClient that talks to the fake. */
  clientConfig(): {
    endpoint: string
    region: string
    credentials: Credentials
    requestHandler: { httpAgent: Agent }
    maxAttempts: number
  }
  jobs: Map<string, FakeJob>
  requests: LoggedRequest[]
  /** Requests the model or the signature check refused, invalid responses, crashes. */
  violations: string[]
  faults: Faults
  model: BotocoreModel
  stop(): Promise<void>
}

/** S3 Control's error, thrown by handlers and answered as its XML. */
class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** A reason the job fails as a whole. */
class JobFailure extends Error {
  constructor(
    readonly code: string,
    reason: string,
  ) {
    super(reason)
  }
}

const IMPLEMENTED = new Set(['CreateJob', 'DescribeJob', 'UpdateJobStatus', 'ListJobs'])
const COPY_LIMIT_MESSAGE =
  'The specified copy source is larger than the maximum allowable size for a copy source: 5368709120'

/** Resolves every host name to 127.0.0.1 (for ACCOUNT.localhost). */
const toLoopback = ((
  _host: string,
  options: { all?: boolean },
  callback: (...args: unknown[]) => void,
) => {
  if (options?.all) callback(null, [{ address: '127.0.0.1', family: 4 }])
  else callback(null, '127.0.0.1', 4)
}) as unknown as LookupFunction

export async function start(options: S3ControlFakeOptions): Promise<FakeS3Control> {
  const fake = new Fake(options)
  await fake.listen()
  return fake
}

class Fake implements FakeS3Control {
  readonly model = loadModel('s3control', '2018-08-20')
  readonly jobs = new Map<string, FakeJob>()
  readonly requests: LoggedRequest[] = []
  readonly violations: string[] = []
  readonly faults: Faults
  readonly accountId: string
  readonly region: string
  endpoint = ''
  origin = ''
  private port = 0
  private readonly s3: S3Client
  private readonly roles: Set<string>
  private readonly tokens = new Map<string, { jobId: string; request: string }>()
  private readonly server = createServer((req, res) => {
    this.handle(req, res).catch((e: unknown) => {
      this.violations.push(`fake S3 Control crashed: ${e instanceof Error ? e.stack : String(e)}`)
      if (!res.headersSent)
        this.sendError(
          res,
          new ServiceError(
            500,
            'InternalError',
            'We encountered an internal error. Please try again.',
          ),
        )
    })
  })
  private readonly agent = new Agent({ lookup: toLoopback, keepAlive: false })
  private readonly random: () => number
  private stopped = false
  private readonly wakers = new Set<() => void>()

  constructor(private readonly options: S3ControlFakeOptions) {
    this.accountId = options.accountId ?? '123456789012'
    this.region = options.region ?? 'us-east-1'
    this.roles = new Set(options.roles ?? [`arn:aws:iam::${this.accountId}:role/batch-operations`])
    this.faults = { failKeys: {}, holdActivePolls: 0, ...options.faults }
    this.s3 = new S3Client({
      endpoint: options.s3Endpoint,
      forcePathStyle: true,
      region: this.region,
      credentials: options.credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    })
    this.random = mulberry32(options.seed ?? randomBytes(4).readUInt32LE())
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
    this.endpoint = `http://localhost:${this.port}`
    this.origin = `http://127.0.0.1:${this.port}`
  }

  clientConfig() {
    return {
      endpoint: this.endpoint,
      region: this.region,
      credentials: this.options.credentials,
      requestHandler: { httpAgent: this.agent },
      maxAttempts: 1,
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.wake()
    await Promise.allSettled([...this.jobs.values()].map((j) => j.done))
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.agent.destroy()
    this.s3.destroy()
  }

  // ------------------------------------------------------------------ HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin)
    const body = await readBody(req)
    const logged: LoggedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: {},
      status: 0,
    }
    for (const [k, v] of url.searchParams) (logged.query[k] ??= []).push(v)
    this.requests.push(logged)
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v
    }
    try {
      const refused = (code: string, problems: string[], status = 400): ServiceError => {
        this.violations.push(...problems.map((p) => `${logged.method} ${logged.path}: ${p}`))
        return new ServiceError(status, code, problems.join('; '))
      }
      const matched = this.model.match(logged.method, url.pathname, url.searchParams)
      if (!matched) {
        throw refused('InvalidRequest', [
          `no S3 Control operation is ${logged.method} ${url.pathname}`,
        ])
      }
      const op = matched.operation
      logged.operation = op.name
      const rawQuery = (req.url ?? '').split('?')[1] ?? ''
      const auth = verify(
        { method: logged.method, path: (req.url ?? '/').split('?')[0], rawQuery, headers, body },
        this.options.credentials,
        this.region,
        's3', // S3 Control signs as "s3" (the model's metadata.signingName)
      )
      if (auth) throw refused(auth.code, [`${op.name}: ${auth.message}`], 403)
      const { input, problems } = this.model.parseRequest(matched, {
        method: logged.method,
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      })
      problems.push(
        ...this.model.checkInput(op.name, input),
        ...this.checkHost(matched, headers, input),
      )
      logged.input = input
      logged.accountId = typeof input.AccountId === 'string' ? input.AccountId : undefined
      if (problems.length > 0) throw refused('InvalidRequest', problems)
      if (!IMPLEMENTED.has(op.name)) {
        throw refused(
          'NotImplemented',
          [`${op.name} is in the model but not implemented by the fake`],
          501,
        )
      }
      if (input.AccountId !== this.accountId) {
        throw new ServiceError(403, 'AccessDenied', 'Access Denied')
      }
      const output = await this.operate(op.name, input)
      this.faults.tamper?.(op.name, output)
      let response: ReturnType<BotocoreModel['serializeOutput']>
      try {
        response = this.model.serializeOutput(op.name, output)
      } catch (e) {
        this.violations.push(`response of ${op.name}: ${(e as Error).message}`)
        throw new ServiceError(
          500,
          'InternalError',
          'We encountered an internal error. Please try again.',
        )
      }
      logged.status = response.status
      res
        .writeHead(response.status, { ...response.headers, 'x-amz-request-id': requestId() })
        .end(response.body)
    } catch (e) {
      if (!(e instanceof ServiceError)) throw e
      logged.status = e.status
      logged.errorCode = e.code
      this.sendError(res, e)
    }
  }

  /** The host's account label (ACCOUNT.localhost:PORT), when there is one, is the input's. */
  private checkHost(
    matched: Matched,
    headers: Record<string, string>,
    input: Record<string, unknown>,
  ): string[] {
    const prefix = matched.operation.endpoint?.hostPrefix
    const host = headers.host ?? ''
    const base = [`localhost:${this.port}`, `127.0.0.1:${this.port}`].find((b) => host.endsWith(b))
    if (!base) return [`${matched.operation.name}: unexpected Host ${host}`]
    const label = host.slice(0, -base.length)
    if (label === '') return []
    if (!prefix) return [`${matched.operation.name}: takes no host prefix, got ${label}`]
    const expected = prefix.replace(/\{(\w+)\}/g, (_m, name: string) => String(input[name] ?? ''))
    return label === expected
      ? []
      : [
          `${matched.operation.name}: the host prefix is ${label}, the model's ${prefix} makes it ${expected}`,
        ]
  }

  private sendError(res: ServerResponse, e: ServiceError): void {
    const message = e.message.length > 1024 ? `${e.message.slice(0, 1021)}...` : e.message || e.code
    // ExceptionMessage: 1 to 1024 characters
    const problems = this.model.check(message, 'ExceptionMessage', 'Error.Message')
    if (problems.length > 0) this.violations.push(...problems)
    const id = requestId()
    const xml =
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${esc(e.code)}</Code>` +
      `<Message>${esc(message)}</Message><RequestId>${id}</RequestId>` +
      `<HostId>${randomBytes(24).toString('base64')}</HostId></Error>`
    res.writeHead(e.status, { 'content-type': 'application/xml', 'x-amz-request-id': id }).end(xml)
  }

  private async operate(
    operation: string,
    input: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    switch (operation) {
      case 'CreateJob':
        return this.createJob(input)
      case 'DescribeJob': {
        const job = this.job(input.JobId as string)
        if (job.status === 'Active') {
          job.activePolls++
          this.wake()
        }
        return { Job: this.descriptor(job) }
      }
      case 'UpdateJobStatus':
        return this.updateJobStatus(input)
      case 'ListJobs':
        return this.listJobs(input)
      default:
        throw new Error(`unreachable: ${operation}`)
    }
  }

  private job(id: string): FakeJob {
    const job = this.jobs.get(id)
    if (!job) throw new ServiceError(404, 'NoSuchJobException', 'The specified job does not exist')
    return job
  }

  // ------------------------------------------------------------------ operations

  private createJob(input: Record<string, unknown>): Record<string, unknown> {
    const token = input.ClientRequestToken as string
    const fingerprint = JSON.stringify({ ...input, ClientRequestToken: undefined })
    const earlier = this.tokens.get(token)
    if (earlier) {
      // the same request again (a retry) gets the same job; another request may not reuse the token
      if (earlier.request === fingerprint) return { JobId: earlier.jobId }
      throw new ServiceError(
        400,
        'IdempotencyException',
        'The ClientRequestToken was used for a different request',
      )
    }
    if (typeof input.RoleArn === 'string' && !this.roles.has(input.RoleArn)) {
      throw new ServiceError(403, 'AccessDenied', 'Access Denied')
    }
    const operation = input.Operation as Record<string, unknown>
    const kinds = Object.keys(operation)
    if (kinds.length !== 1) {
      throw new ServiceError(400, 'InvalidRequest', 'A job must have exactly one operation')
    }
    if (kinds[0] !== 'S3PutObjectCopy') {
      throw new ServiceError(
        501,
        'NotImplemented',
        `the fake runs S3PutObjectCopy jobs only, not ${kinds[0]}`,
      )
    }
    const copy = operation.S3PutObjectCopy as Record<string, unknown>
    if (
      typeof copy.TargetResource !== 'string' ||
      !/^arn:[^:]+:s3:::[^/]+$/.test(copy.TargetResource)
    ) {
      throw new ServiceError(
        400,
        'InvalidRequest',
        'Invalid TargetResource: a bucket ARN (arn:aws:s3:::BUCKET)',
      )
    }
    for (const unsupported of ['AccessControlGrants']) {
      if (copy[unsupported] !== undefined) {
        throw new ServiceError(501, 'NotImplemented', `the fake does not implement ${unsupported}`)
      }
    }
    if (input.ManifestGenerator !== undefined) {
      throw new ServiceError(501, 'NotImplemented', 'the fake does not implement ManifestGenerator')
    }
    const manifest = input.Manifest as Record<string, Record<string, unknown>> | undefined
    if (!manifest) throw new ServiceError(400, 'InvalidRequest', 'Invalid job manifest')
    if (manifest.Spec.Format !== 'S3BatchOperations_CSV_20180820') {
      throw new ServiceError(
        501,
        'NotImplemented',
        `the fake reads CSV manifests only, not ${String(manifest.Spec.Format)}`,
      )
    }
    if (!/^arn:[^:]+:s3:::[^/]+\/.+$/.test(String(manifest.Location.ObjectArn))) {
      throw new ServiceError(400, 'InvalidRequest', 'Invalid job manifest')
    }
    const report = input.Report as Record<string, unknown>
    if (report.Enabled === true) {
      if (
        typeof report.Bucket !== 'string' ||
        !/^arn:[^:]+:s3:::[^/]+$/.test(report.Bucket) ||
        report.Format === undefined
      ) {
        throw new ServiceError(
          400,
          'InvalidRequest',
          'Invalid job report: an enabled report needs Bucket and Format',
        )
      }
    }
    const id = randomUUID()
    let settle: () => void = () => undefined
    const job: FakeJob = {
      id,
      arn: `arn:aws:s3:${this.region}:${this.accountId}:job/${id}`,
      accountId: this.accountId,
      request: input,
      status: 'New',
      failureReasons: [],
      creationTime: new Date(),
      tasks: [],
      succeeded: 0,
      failed: 0,
      ran: [],
      reportKeys: [],
      activePolls: 0,
      done: new Promise<void>((resolve) => (settle = resolve)),
    }
    this.jobs.set(id, job)
    this.tokens.set(token, { jobId: id, request: fingerprint })
    setImmediate(() => {
      this.run(job)
        .catch((e: unknown) => {
          this.violations.push(`job ${id} crashed: ${e instanceof Error ? e.stack : String(e)}`)
          this.finish(job, 'Failed', {
            FailureCode: 'InternalError',
            FailureReason: 'Internal error',
          })
        })
        .finally(settle)
    })
    return { JobId: id }
  }

  private updateJobStatus(input: Record<string, unknown>): Record<string, unknown> {
    const job = this.job(input.JobId as string)
    const requested = input.RequestedJobStatus as 'Ready' | 'Cancelled'
    const reason = input.StatusUpdateReason as string | undefined
    const refuse = (): never => {
      throw new ServiceError(
        400,
        'JobStatusException',
        `Job ${job.id} is ${job.status}; it cannot become ${requested}`,
      )
    }
    if (requested === 'Ready') {
      if (job.status !== 'Suspended') refuse()
      job.status = 'Ready'
    } else {
      if (
        TERMINAL.includes(job.status) ||
        ['Cancelling', 'Completing', 'Failing'].includes(job.status)
      )
        refuse()
      // a job that is not running any task is cancelled at once, a running one stops its tasks first
      job.status = job.status === 'Active' ? 'Cancelling' : 'Cancelled'
      if (job.status === 'Cancelled') job.terminationDate = new Date()
    }
    if (reason !== undefined) job.statusUpdateReason = reason
    this.wake()
    return { JobId: job.id, Status: job.status, StatusUpdateReason: job.statusUpdateReason }
  }

  private listJobs(input: Record<string, unknown>): Record<string, unknown> {
    const statuses = input.JobStatuses as string[] | undefined
    const jobs = [...this.jobs.values()]
      .filter((j) => !statuses || statuses.length === 0 || statuses.includes(j.status))
      .sort((a, b) => b.creationTime.getTime() - a.creationTime.getTime())
    const start = input.NextToken
      ? Number(Buffer.from(input.NextToken as string, 'base64').toString())
      : 0
    if (!Number.isInteger(start) || start < 0 || start > jobs.length) {
      throw new ServiceError(
        400,
        'InvalidNextTokenException',
        'The continuation token is not valid',
      )
    }
    const max = (input.MaxResults as number | undefined) ?? 1000
    const page = jobs.slice(start, start + max)
    const more = start + max < jobs.length
    return {
      Jobs: page.map((j) => ({
        JobId: j.id,
        Description: j.request.Description,
        Operation: Object.keys(j.request.Operation as object)[0],
        Priority: j.request.Priority,
        Status: j.status,
        CreationTime: j.creationTime,
        TerminationDate: j.terminationDate,
        ProgressSummary: this.progress(j),
      })),
      NextToken: more ? Buffer.from(String(start + max)).toString('base64') : undefined,
    }
  }

  private progress(job: FakeJob): Record<string, unknown> {
    return {
      TotalNumberOfTasks: job.total ?? 0,
      NumberOfTasksSucceeded: job.succeeded,
      NumberOfTasksFailed: job.failed,
      Timers: { ElapsedTimeInActiveSeconds: Math.floor(activeMs(job) / 1000) },
    }
  }

  private descriptor(job: FakeJob): Record<string, unknown> {
    const r = job.request
    return {
      JobId: job.id,
      ConfirmationRequired: r.ConfirmationRequired ?? false,
      Description: r.Description,
      JobArn: job.arn,
      Status: job.status,
      Manifest: r.Manifest,
      Operation: r.Operation,
      Priority: r.Priority,
      ProgressSummary: this.progress(job),
      StatusUpdateReason: job.statusUpdateReason,
      FailureReasons: job.failureReasons.length > 0 ? job.failureReasons : undefined,
      Report: r.Report,
      CreationTime: job.creationTime,
      TerminationDate: job.terminationDate,
      RoleArn: r.RoleArn,
      SuspendedDate: job.suspendedDate,
      SuspendedCause: job.suspendedCause,
    }
  }

  // ------------------------------------------------------------------ running a job

  /** Wakes every wait of a job runner (status changed, a poll came, the fake stops). */
  private wake(): void {
    for (const w of [...this.wakers]) w()
  }

  /** Waits until cond() holds (re-checked on every wake, and every 50 ms). */
  private async until(cond: () => boolean): Promise<void> {
    while (!cond() && !this.stopped) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer)
          this.wakers.delete(done)
          resolve()
        }
        const timer = setTimeout(done, 50)
        this.wakers.add(done)
      })
    }
  }

  private cancelled(job: FakeJob): boolean {
    return job.status === 'Cancelling' || job.status === 'Cancelled' || this.stopped
  }

  private async run(job: FakeJob): Promise<void> {
    if (this.cancelled(job)) return this.finish(job, 'Cancelled')
    job.status = 'Preparing'
    const fault = this.faults.failJob
    if (fault) {
      this.faults.failJob = undefined
      return this.finish(job, 'Failed', { FailureCode: fault.code, FailureReason: fault.reason })
    }
    try {
      job.tasks = await this.readManifest(job)
    } catch (e) {
      if (!(e instanceof JobFailure)) throw e
      return this.finish(job, 'Failed', { FailureCode: e.code, FailureReason: e.message })
    }
    job.total = job.tasks.length
    if (this.cancelled(job)) return this.finish(job, 'Cancelled')
    if (job.request.ConfirmationRequired === true) {
      job.status = 'Suspended'
      job.suspendedDate = new Date()
      job.suspendedCause = 'The job requires confirmation before it runs'
      await this.until(() => job.status !== 'Suspended')
      if (this.cancelled(job)) return this.finish(job, 'Cancelled')
    }
    job.status = 'Ready'
    await new Promise((r) => setImmediate(r))
    if (this.cancelled(job)) return this.finish(job, 'Cancelled')
    job.status = 'Active'
    activeSince.set(job, Date.now())
    const threshold = await this.runTasks(job)
    // the job stays Active (tests watch a slow job) until it was seen Active often enough
    await this.until(
      () => job.activePolls >= this.faults.holdActivePolls || job.status !== 'Active',
    )
    const endedActive = activeSince.get(job)
    if (endedActive !== undefined) {
      activeTotal.set(job, (activeTotal.get(job) ?? 0) + Date.now() - endedActive)
      activeSince.delete(job)
    }
    if (this.cancelled(job)) {
      await this.writeReport(job)
      return this.finish(job, 'Cancelled')
    }
    if (threshold) {
      job.status = 'Failing'
      await this.writeReport(job)
      const min = this.options.failureThresholdTasks ?? 1000
      return this.finish(job, 'Failed', {
        FailureCode: 'TaskFailureThresholdExceeded',
        FailureReason: `More than 50% of the ${job.succeeded + job.failed} tasks run failed (checked after ${min} tasks)`,
      })
    }
    job.status = 'Completing'
    await this.writeReport(job)
    return this.finish(job, 'Complete')
  }

  private finish(
    job: FakeJob,
    status: JobStatus,
    failure?: { FailureCode: string; FailureReason: string },
  ): void {
    // a job cancelled while it was prepared stays cancelled
    if (job.status === 'Cancelled' && status !== 'Cancelled') return
    if (failure) job.failureReasons.push(failure)
    job.status = status
    job.terminationDate ??= new Date()
    this.wake()
  }

  private async readManifest(job: FakeJob): Promise<FakeTask[]> {
    const manifest = job.request.Manifest as {
      Spec: { Format: string; Fields?: string[] }
      Location: { ObjectArn: string; ObjectVersionId?: string; ETag: string }
    }
    const m = /^arn:[^:]+:s3:::([^/]+)\/(.+)$/.exec(manifest.Location.ObjectArn)
    if (!m)
      throw new JobFailure('InvalidManifest', 'The manifest ObjectArn does not name an object')
    let text: string
    let etag: string
    try {
      const out = await this.s3.send(
        new GetObjectCommand({
          Bucket: m[1],
          Key: m[2],
          VersionId: manifest.Location.ObjectVersionId,
        }),
      )
      text = (await out.Body?.transformToString('utf8')) ?? ''
      etag = out.ETag ?? ''
    } catch (e) {
      const err = e as Error
      throw new JobFailure(
        err.name || 'ManifestReadFailed',
        `Reading the manifest failed: ${err.message}`.slice(0, 256),
      )
    }
    const unquote = (s: string): string => s.replace(/^"|"$/g, '')
    if (unquote(etag) !== unquote(manifest.Location.ETag)) {
      throw new JobFailure(
        'InvalidManifest',
        `The manifest's ETag is ${unquote(etag)}, not the ${unquote(manifest.Location.ETag)} given`,
      )
    }
    const fields = manifest.Spec.Fields ?? ['Bucket', 'Key']
    const missing = ['Bucket', 'Key'].filter((f) => !fields.includes(f))
    if (missing.length > 0) {
      throw new JobFailure(
        'InvalidManifestContent',
        `Required fields are missing in the schema: ${missing.join(', ')}`,
      )
    }
    const tasks: FakeTask[] = []
    const rows = parseCsv(text)
    for (const [i, row] of rows.entries()) {
      if (row.length !== fields.length) {
        throw new JobFailure(
          'InvalidManifestContent',
          `Invalid Manifest Content: row ${i + 1} has ${row.length} fields, not ${fields.length}`,
        )
      }
      const at = (f: string): string | undefined => {
        const idx = fields.indexOf(f)
        return idx < 0 ? undefined : row[idx]
      }
      const manifestKey = at('Key') ?? ''
      let key: string
      try {
        key = decodeURIComponent(manifestKey)
      } catch {
        throw new JobFailure(
          'InvalidManifestContent',
          `Invalid Manifest Content: row ${i + 1}: the key is not URL-encoded`,
        )
      }
      tasks.push({ bucket: at('Bucket') ?? '', key, manifestKey, versionId: at('VersionId') })
    }
    // "All source objects must be in one bucket" (batch-ops-copy-object)
    const buckets = new Set(tasks.map((t) => t.bucket))
    if (buckets.size > 1) {
      throw new JobFailure(
        'InvalidManifestContent',
        `All source objects must be in one bucket, not ${[...buckets].join(', ')}`,
      )
    }
    return tasks
  }

  /** Runs the tasks in an order of their own; true when the failure threshold stopped the job. */
  private async runTasks(job: FakeJob): Promise<boolean> {
    const order = [...job.tasks]
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1))
      ;[order[i], order[j]] = [order[j], order[i]]
    }
    const min = this.options.failureThresholdTasks ?? 1000
    let next = 0
    let exceeded = false
    const worker = async (): Promise<void> => {
      while (next < order.length && !exceeded && !this.cancelled(job)) {
        const task = order[next++]
        job.ran.push(task)
        task.result = await this.runTask(job, task)
        if (task.result.status === 'succeeded') job.succeeded++
        else job.failed++
        const run = job.succeeded + job.failed
        if (run >= min && job.failed / run > 0.5) exceeded = true
      }
    }
    await Promise.all(Array.from({ length: this.options.concurrency ?? 4 }, worker))
    return exceeded
  }

  private async runTask(job: FakeJob, task: FakeTask): Promise<TaskResult> {
    const fault = this.faults.failKeys[task.key]
    if (fault) {
      return {
        status: 'failed',
        httpStatus: fault.status ?? 400,
        errorCode: fault.code,
        message: fault.message ?? fault.code,
      }
    }
    const copy = (job.request.Operation as { S3PutObjectCopy: Record<string, unknown> })
      .S3PutObjectCopy
    try {
      try {
        const head = await this.s3.send(
          new HeadObjectCommand({ Bucket: task.bucket, Key: task.key, VersionId: task.versionId }),
        )
        if ((head.ContentLength ?? 0) > (this.options.maxCopySourceBytes ?? 5 * 1024 ** 3)) {
          return {
            status: 'failed',
            httpStatus: 400,
            errorCode: 'InvalidRequest',
            message: COPY_LIMIT_MESSAGE,
          }
        }
      } catch {
        // the copy below fails with the error S3 gives for this version
      }
      const out = await this.s3.send(new CopyObjectCommand(copyInput(copy, task)))
      task.newVersionId = out.VersionId
      return { status: 'succeeded', httpStatus: 200, errorCode: '', message: 'Successful' }
    } catch (e) {
      const err = e as Error & { $metadata?: { httpStatusCode?: number } }
      return {
        status: 'failed',
        httpStatus: err.$metadata?.httpStatusCode ?? 500,
        errorCode: err.name || 'InternalError',
        message: err.message || err.name,
      }
    }
  }

  /** The completion report, when one was asked for and at least one task ran. */
  private async writeReport(job: FakeJob): Promise<void> {
    const report = job.request.Report as {
      Enabled: boolean
      Bucket?: string
      Prefix?: string
      ReportScope?: 'AllTasks' | 'FailedTasksOnly'
    }
    if (!report.Enabled || job.ran.length === 0 || !report.Bucket) return
    const bucket = report.Bucket.replace(/^arn:[^:]+:s3:::/, '')
    const base = `${report.Prefix ? `${report.Prefix.replace(/\/$/, '')}/` : ''}job-${job.id}`
    const results: Record<string, string>[] = []
    for (const status of ['succeeded', 'failed'] as const) {
      if (status === 'succeeded' && report.ReportScope === 'FailedTasksOnly') continue
      const tasks = job.ran.filter((t) => t.result?.status === status)
      if (tasks.length === 0) continue
      const csv = tasks
        .map((t) => {
          const r = t.result as TaskResult
          return [
            t.bucket,
            t.manifestKey,
            t.versionId ?? '',
            r.status,
            String(r.httpStatus),
            r.errorCode,
            r.message,
          ]
            .map(csvField)
            .join(',')
        })
        .join('\n')
        .concat('\n')
      const key = `${base}/results/${createHash('sha1').update(`${job.id}/${status}/${Math.random()}`).digest('hex')}.csv`
      await this.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: csv, ContentType: 'text/csv' }),
      )
      job.reportKeys.push(key)
      results.push({
        TaskExecutionStatus: status,
        Bucket: bucket,
        MD5Checksum: createHash('md5').update(csv).digest('hex'),
        Key: key,
      })
    }
    const manifest = {
      Format: 'Report_CSV_20180820',
      ReportCreationDate: new Date().toISOString(),
      Results: results,
      ReportSchema: 'Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage',
    }
    const key = `${base}/manifest.json`
    await this.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify(manifest, null, 4),
        ContentType: 'application/json',
      }),
    )
    job.reportKeys.unshift(key)
  }
}

const activeSince = new WeakMap<FakeJob, number>()
const activeTotal = new WeakMap<FakeJob, number>()

function activeMs(job: FakeJob): number {
  const since = activeSince.get(job)
  return (activeTotal.get(job) ?? 0) + (since === undefined ? 0 : Date.now() - since)
}

/** The CopyObject of one task: the row's version, copied in place (or under TargetKeyPrefix). */
export function copyInput(copy: Record<string, unknown>, task: FakeTask): CopyObjectCommandInput {
  const target = String(copy.TargetResource).replace(/^arn:[^:]+:s3:::/, '')
  const source =
    `${task.bucket}/${task.key.split('/').map(encodeURIComponent).join('/')}` +
    (task.versionId ? `?versionId=${encodeURIComponent(task.versionId)}` : '')
  const meta = (copy.NewObjectMetadata ?? {}) as Record<string, unknown>
  const tags = copy.NewObjectTagging as { Key: string; Value: string }[] | undefined
  const replace = copy.MetadataDirective === 'REPLACE'
  const kms = typeof copy.SSEAwsKmsKeyId === 'string'
  const sse =
    kms || meta.SSEAlgorithm === 'KMS'
      ? 'aws:kms'
      : meta.SSEAlgorithm === 'AES256'
        ? 'AES256'
        : undefined
  return {
    Bucket: target,
    Key: `${(copy.TargetKeyPrefix as string | undefined) ?? ''}${task.key}`,
    CopySource: source,
    MetadataDirective: replace ? 'REPLACE' : 'COPY',
    // CopyObject copies the tags unless new ones are given
    TaggingDirective: tags ? 'REPLACE' : 'COPY',
    Tagging: tags
      ? tags.map((t) => `${encodeURIComponent(t.Key)}=${encodeURIComponent(t.Value)}`).join('&')
      : undefined,
    // not inherited: CopyObject writes STANDARD unless told otherwise
    StorageClass: (copy.StorageClass as CopyObjectCommandInput['StorageClass']) ?? 'STANDARD',
    ServerSideEncryption: sse,
    SSEKMSKeyId: kms ? (copy.SSEAwsKmsKeyId as string) : undefined,
    BucketKeyEnabled: copy.BucketKeyEnabled as boolean | undefined,
    ACL: copy.CannedAccessControlList as CopyObjectCommandInput['ACL'],
    CopySourceIfModifiedSince: copy.ModifiedSinceConstraint as Date | undefined,
    CopySourceIfUnmodifiedSince: copy.UnModifiedSinceConstraint as Date | undefined,
    WebsiteRedirectLocation: copy.RedirectLocation as string | undefined,
    RequestPayer: copy.RequesterPays === true ? 'requester' : undefined,
    ObjectLockMode: copy.ObjectLockMode as CopyObjectCommandInput['ObjectLockMode'],
    ObjectLockRetainUntilDate: copy.ObjectLockRetainUntilDate as Date | undefined,
    ObjectLockLegalHoldStatus:
      copy.ObjectLockLegalHoldStatus as CopyObjectCommandInput['ObjectLockLegalHoldStatus'],
    ChecksumAlgorithm: copy.ChecksumAlgorithm as CopyObjectCommandInput['ChecksumAlgorithm'],
    ...(replace
      ? {
          CacheControl: meta.CacheControl as string | undefined,
          ContentDisposition: meta.ContentDisposition as string | undefined,
          ContentEncoding: meta.ContentEncoding as string | undefined,
          ContentLanguage: meta.ContentLanguage as string | undefined,
          ContentType: meta.ContentType as string | undefined,
          Expires: meta.HttpExpiresDate as Date | undefined,
          Metadata: meta.UserMetadata as Record<string, string> | undefined,
        }
      : {}),
  }
}

/** Rows of a CSV text (RFC 4180 quoting; empty lines skipped). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  let i = 0
  const endRow = (): void => {
    row.push(field)
    if (!(row.length === 1 && row[0] === '')) rows.push(row)
    row = []
    field = ''
  }
  while (i < text.length) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"' && field === '') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      endRow()
    } else field += c
    i++
  }
  if (field !== '' || row.length > 0) endRow()
  return rows
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  )
}

function requestId(): string {
  return randomBytes(8).toString('hex').toUpperCase()
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** A small seeded PRNG (mulberry32), so a test can repeat a task order. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
