/**
 * The fake S3 Control (helpers/s3control.ts) that a future `engine: batch-operations` will be
 * tested against: driven by the real SDK (@aws-sdk/client-s3-control), running its jobs on the real
 * local S3, and refusing what the published API model (botocore's s3control service-2.json) does
 * not allow. If the fake accepted what S3 Control refuses, or answered what S3 Control cannot, the
 * engine's tests could pass against it and fail on AWS.
 */
import {
  CreateJobCommand,
  type CreateJobCommandInput,
  DescribeJobCommand,
  type JobDescriptor,
  ListJobsCommand,
  S3ControlClient,
  UpdateJobStatusCommand,
} from '@aws-sdk/client-s3-control'
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3'
import { afterEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { loadModel, parseXml } from './helpers/botocore-model.js'
import { type FakeS3Control, type S3ControlFakeOptions, start } from './helpers/s3control.js'
import { allVersions, client, endpoint, newBucket, put, read, sleep } from './helpers/s3.js'
import { sign } from './helpers/sigv4.js'

const s3 = client()
const credentials = {
  accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
  secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
}
const ACCOUNT = '123456789012'
const ROLE = `arn:aws:iam::${ACCOUNT}:role/batch-operations`

const running: FakeS3Control[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()))
})

async function fake(
  options: Partial<S3ControlFakeOptions> = {},
): Promise<{ fake: FakeS3Control; control: S3ControlClient }> {
  const f = await start({ s3Endpoint: endpoint(), credentials, ...options })
  running.push(f)
  return { fake: f, control: new S3ControlClient(f.clientConfig()) }
}

/** A manifest object (rows of bucket, URL-encoded key, version ID) and its location. */
async function manifest(
  bucket: string,
  rows: string[][],
): Promise<{ ObjectArn: string; ETag: string }> {
  const key = `manifests/${randomBytes(4).toString('hex')}.csv`
  const out = await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: rows.map((r) => `${r.join(',')}\n`).join(''),
    }),
  )
  return { ObjectArn: `arn:aws:s3:::${bucket}/${key}`, ETag: out.ETag ?? '' }
}

const encodeKey = (key: string): string => key.split('/').map(encodeURIComponent).join('/')

function copyJob(
  target: string,
  location: { ObjectArn: string; ETag: string },
  reportBucket: string,
  extra: Partial<CreateJobCommandInput> = {},
): CreateJobCommandInput {
  return {
    AccountId: ACCOUNT,
    ConfirmationRequired: false,
    Operation: {
      S3PutObjectCopy: { TargetResource: `arn:aws:s3:::${target}`, MetadataDirective: 'COPY' },
    },
    Manifest: {
      Spec: { Format: 'S3BatchOperations_CSV_20180820', Fields: ['Bucket', 'Key', 'VersionId'] },
      Location: location,
    },
    Report: {
      Enabled: true,
      Bucket: `arn:aws:s3:::${reportBucket}`,
      Prefix: 'reports',
      Format: 'Report_CSV_20180820',
      ReportScope: 'AllTasks',
    },
    Priority: 10,
    RoleArn: ROLE,
    ClientRequestToken: randomBytes(8).toString('hex'),
    Description: 'roll back',
    ...extra,
  }
}

/** Polls DescribeJob until the job is in one of `statuses`. */
async function waitFor(
  control: S3ControlClient,
  jobId: string,
  statuses: string[],
  timeoutMs = 30_000,
): Promise<JobDescriptor> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const { Job } = await control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId: jobId }))
    if (Job?.Status && statuses.includes(Job.Status)) return Job
    if (Date.now() > deadline)
      throw new Error(`job ${jobId} is ${Job?.Status}, not ${statuses.join('|')}`)
    await sleep(50)
  }
}

interface Report {
  manifest: {
    Format: string
    ReportCreationDate: string
    Results: { TaskExecutionStatus: string; Bucket: string; MD5Checksum: string; Key: string }[]
    ReportSchema: string
  }
  rows: Record<string, string[]>
}

async function text(bucket: string, key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
  return (await out.Body?.transformToString()) ?? ''
}

async function report(bucket: string, jobId: string): Promise<Report> {
  const m = JSON.parse(
    await text(bucket, `reports/job-${jobId}/manifest.json`),
  ) as Report['manifest']
  const rows: Record<string, string[]> = {}
  for (const r of m.Results) {
    rows[r.TaskExecutionStatus] = (await text(r.Bucket, r.Key)).split('\n').filter(Boolean)
  }
  return { manifest: m, rows }
}

const tagsOf = async (bucket: string, key: string): Promise<Record<string, string>> =>
  Object.fromEntries(
    ((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))).TagSet ?? []).map(
      (t) => [t.Key, t.Value],
    ),
  )

describe('the API model', () => {
  const model = loadModel()

  it("is botocore's s3control 2018-08-20, with the operations the fake serves", () => {
    expect(model.source).toMatch(/botocore\/data\/s3control\/2018-08-20\/service-2\.json(\.gz)?$/)
    expect(model.model.metadata.protocol).toBe('rest-xml')
    expect(model.namespace).toBe('http://awss3control.amazonaws.com/doc/2018-08-20/')
    expect(model.operation('CreateJob').http).toEqual({
      method: 'POST',
      requestUri: '/v20180820/jobs',
    })
    expect(model.operation('DescribeJob').http).toEqual({
      method: 'GET',
      requestUri: '/v20180820/jobs/{id}',
    })
    expect(model.operation('UpdateJobStatus').http).toEqual({
      method: 'POST',
      requestUri: '/v20180820/jobs/{id}/status',
    })
    expect(model.operation('ListJobs').http).toEqual({
      method: 'GET',
      requestUri: '/v20180820/jobs',
    })
    expect(model.operation('DescribeJob').endpoint?.hostPrefix).toBe('{AccountId}.')
    const update = model.shape('UpdateJobStatusRequest').members ?? {}
    expect(update.RequestedJobStatus).toMatchObject({
      location: 'querystring',
      locationName: 'requestedJobStatus',
    })
    expect(update.AccountId).toMatchObject({ location: 'header', locationName: 'x-amz-account-id' })
    expect(model.shape('RequestedJobStatus').enum).toEqual(['Cancelled', 'Ready'])
    expect(model.shape('JobReportFormat').enum).toContain('Report_CSV_20180820')
    expect(model.shape('JobManifestFieldName').enum).toEqual([
      'Ignore',
      'Bucket',
      'Key',
      'VersionId',
    ])
  })

  it('has patterns that all compile as JavaScript regular expressions', () => {
    const patterns = model.allPatterns()
    expect(patterns.length).toBeGreaterThan(10)
    for (const p of patterns) expect(() => model.regExp(p)).not.toThrow()
    expect(model.regExp(model.shape('IAMRoleArn').pattern ?? '').test(ROLE)).toBe(true)
    expect(
      model.regExp(model.shape('IAMRoleArn').pattern ?? '').test('arn:aws:iam::12:role/x'),
    ).toBe(false)
  })

  it('catches a response the model does not allow', () => {
    const problems = model
      .checkOutput('DescribeJob', {
        Job: {
          JobId: 'abc',
          Status: 'Finished',
          Priority: -1,
          ProgressSummary: { NumberOfTasksFailed: 1.5, TotalNumberOfTasks: '3' },
          FailureReasons: [{ FailureCode: '' }],
          CreationTime: 'yesterday',
          Bogus: true,
        },
      })
      .join('\n')
    expect(problems).toContain('Job.Status: "Finished" is not one of Active, Cancelled')
    expect(problems).toContain('Job.Priority: -1 is below the minimum 0')
    expect(problems).toContain('Job.JobId: 3 characters, fewer than the minimum 5')
    expect(problems).toContain('Job.ProgressSummary.NumberOfTasksFailed: must be an integer')
    expect(problems).toContain('Job.ProgressSummary.TotalNumberOfTasks: must be an integer')
    expect(problems).toContain('Job.FailureReasons[0].FailureCode: 0 characters')
    expect(problems).toContain('Job.CreationTime: must be a timestamp')
    expect(problems).toContain('unknown member Bogus')
    expect(() => model.serializeOutput('CreateJob', { JobId: 'no' })).toThrow(
      /fewer than the minimum 5/,
    )
    expect(() =>
      model.serializeOutput('UpdateJobStatus', { JobId: 'abcde', Status: 'Running' }),
    ).toThrow(/is not one of/)
    // and a good one is serialized in the service's namespace
    const ok = model.serializeOutput('UpdateJobStatus', { JobId: 'abcde-1', Status: 'Ready' })
    expect(ok.body).toContain(
      '<UpdateJobStatusResult xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/">',
    )
    expect(parseXml(ok.body)).toMatchObject({
      UpdateJobStatusResult: { JobId: 'abcde-1', Status: 'Ready' },
    })
  })

  it('makes the fake answer 500, not an invalid response, when its own output is wrong', async () => {
    const { fake: f, control } = await fake()
    const bucket = await newBucket(s3)
    const location = await manifest(bucket, [])
    const { JobId } = await control.send(new CreateJobCommand(copyJob(bucket, location, bucket)))
    f.faults.tamper = (operation, output) => {
      if (operation === 'DescribeJob') (output.Job as Record<string, unknown>).Status = 'Finished'
    }
    const err = await control
      .send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId }))
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'InternalError', $metadata: { httpStatusCode: 500 } })
    expect(f.violations.join('\n')).toMatch(/response of DescribeJob: .*"Finished" is not one of/s)
    f.faults.tamper = undefined
    f.violations.length = 0
  })
})

describe('jobs run on the local S3', () => {
  it('copy each listed version back in place: old content and tags, STANDARD class, a report', async () => {
    const { fake: f, control } = await fake()
    const bucket = await newBucket(s3)
    const reports = await newBucket(s3, 'none')
    const a1 = await put(s3, bucket, 'a.txt', 'one', {
      Tagging: 'stage=1',
      StorageClass: 'STANDARD_IA',
    })
    await put(s3, bucket, 'a.txt', 'two', { Tagging: 'stage=2' })
    const odd = 'dir/b c+ü,1.txt'
    const b1 = await put(s3, bucket, odd, 'bee', { Tagging: 'stage=b' })
    await put(s3, bucket, odd, 'bad')
    const before = await allVersions(s3, bucket)
    const location = await manifest(reports, [
      [bucket, 'a.txt', a1],
      [bucket, encodeKey(odd), b1],
    ])

    const { JobId } = await control.send(new CreateJobCommand(copyJob(bucket, location, reports)))
    if (!JobId) throw new Error('no JobId')
    const job = await waitFor(control, JobId, ['Complete', 'Failed', 'Cancelled'])
    expect(job).toMatchObject({
      Status: 'Complete',
      JobArn: `arn:aws:s3:us-east-1:${ACCOUNT}:job/${JobId}`,
      ProgressSummary: { TotalNumberOfTasks: 2, NumberOfTasksSucceeded: 2, NumberOfTasksFailed: 0 },
      RoleArn: ROLE,
      Priority: 10,
    })
    expect(job.TerminationDate).toBeInstanceOf(Date)

    expect(await read(s3, bucket, 'a.txt')).toBe('one')
    expect(await read(s3, bucket, odd)).toBe('bee')
    expect(await tagsOf(bucket, 'a.txt')).toEqual({ stage: '1' })
    expect(await tagsOf(bucket, odd)).toEqual({ stage: 'b' })
    // the storage class is not inherited from the STANDARD_IA source
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'a.txt' }))
    expect(head.StorageClass ?? 'STANDARD').toBe('STANDARD')
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'a.txt' }))
    expect(listed.Versions?.find((v) => v.IsLatest)?.StorageClass).toBe('STANDARD')
    expect(listed.Versions?.find((v) => v.VersionId === a1)?.StorageClass).toBe('STANDARD_IA')
    // copies add versions; none is lost
    const after = await allVersions(s3, bucket)
    expect(after).toHaveLength(before.length + 2)
    expect(
      f.jobs
        .get(JobId)
        ?.ran.map((t) => t.key)
        .sort(),
    ).toEqual(['a.txt', odd])

    const r = await report(reports, JobId)
    expect(r.manifest).toMatchObject({
      Format: 'Report_CSV_20180820',
      ReportSchema: 'Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage',
    })
    expect(r.manifest.Results).toEqual([
      expect.objectContaining({
        TaskExecutionStatus: 'succeeded',
        Bucket: reports,
        Key: expect.stringMatching(new RegExp(`^reports/job-${JobId}/results/[0-9a-f]{40}\\.csv$`)),
      }),
    ])
    expect(r.rows.succeeded.sort()).toEqual(
      [
        `${bucket},a.txt,${a1},succeeded,200,,Successful`,
        `${bucket},${encodeKey(odd)},${b1},succeeded,200,,Successful`,
      ].sort(),
    )
    expect(f.requests.map((q) => q.operation)).toContain('CreateJob')
    expect(f.requests.every((q) => q.accountId === ACCOUNT)).toBe(true)
    expect(f.violations).toEqual([])
  }, 60_000)

  it('with ConfirmationRequired, waits Suspended until UpdateJobStatus Ready', async () => {
    const { fake: f, control } = await fake()
    const bucket = await newBucket(s3)
    const v1 = await put(s3, bucket, 'k', 'good')
    await put(s3, bucket, 'k', 'bad')
    const location = await manifest(bucket, [[bucket, 'k', v1]])
    const { JobId = '' } = await control.send(
      new CreateJobCommand(copyJob(bucket, location, bucket, { ConfirmationRequired: true })),
    )
    const suspended = await waitFor(control, JobId, ['Suspended'])
    expect(suspended).toMatchObject({
      ConfirmationRequired: true,
      ProgressSummary: { TotalNumberOfTasks: 1 },
    })
    expect(suspended.SuspendedDate).toBeInstanceOf(Date)
    await sleep(300)
    expect((await waitFor(control, JobId, ['Suspended'])).Status).toBe('Suspended')
    expect(await read(s3, bucket, 'k')).toBe('bad')

    const ready = await control.send(
      new UpdateJobStatusCommand({
        AccountId: ACCOUNT,
        JobId,
        RequestedJobStatus: 'Ready',
        StatusUpdateReason: 'go',
      }),
    )
    expect(ready).toMatchObject({ JobId, Status: 'Ready', StatusUpdateReason: 'go' })
    await waitFor(control, JobId, ['Complete'])
    expect(await read(s3, bucket, 'k')).toBe('good')
    // a terminal job takes no new status
    const again = await control
      .send(
        new UpdateJobStatusCommand({ AccountId: ACCOUNT, JobId, RequestedJobStatus: 'Cancelled' }),
      )
      .catch((e: unknown) => e)
    expect(again).toMatchObject({ name: 'JobStatusException', $metadata: { httpStatusCode: 400 } })
    expect(f.violations).toEqual([])
  }, 60_000)

  it('list the failed tasks in the report: injected, missing version, over the copy size limit', async () => {
    const { fake: f, control } = await fake({
      maxCopySourceBytes: 10,
      faults: {
        failKeys: { denied: { code: 'AccessDenied', status: 403, message: 'Access Denied' } },
      },
    })
    const bucket = await newBucket(s3)
    const small = await put(s3, bucket, 'small', 'tiny')
    const denied = await put(s3, bucket, 'denied', 'tiny')
    const big = await put(s3, bucket, 'big', 'more than ten bytes')
    await put(s3, bucket, 'gone', 'x')
    const location = await manifest(bucket, [
      [bucket, 'small', small],
      [bucket, 'denied', denied],
      [bucket, 'big', big],
      [bucket, 'gone', 'no-such-version-id'],
    ])
    const { JobId = '' } = await control.send(
      new CreateJobCommand(
        copyJob(bucket, location, bucket, {
          Report: {
            Enabled: true,
            Bucket: `arn:aws:s3:::${bucket}`,
            Prefix: 'reports',
            Format: 'Report_CSV_20180820',
            ReportScope: 'FailedTasksOnly',
          },
        }),
      ),
    )
    // 3 of 4 failed, but fewer than 1,000 tasks ran: the job completes
    const job = await waitFor(control, JobId, ['Complete', 'Failed'])
    expect(job).toMatchObject({
      Status: 'Complete',
      ProgressSummary: { TotalNumberOfTasks: 4, NumberOfTasksSucceeded: 1, NumberOfTasksFailed: 3 },
    })
    const r = await report(bucket, JobId)
    expect(r.manifest.Results.map((x) => x.TaskExecutionStatus)).toEqual(['failed'])
    const rows = r.rows.failed.sort()
    expect(rows).toHaveLength(3)
    expect(rows[0]).toMatch(
      new RegExp(
        `^${bucket},big,${big},failed,400,InvalidRequest,The specified copy source is larger`,
      ),
    )
    expect(rows[1]).toBe(`${bucket},denied,${denied},failed,403,AccessDenied,Access Denied`)
    expect(rows[2]).toMatch(
      new RegExp(`^${bucket},gone,no-such-version-id,failed,404,(NoSuchVersion|NoSuchKey),`),
    )
    expect(await read(s3, bucket, 'big')).toBe('more than ten bytes')
    expect(f.jobs.get(JobId)?.ran).toHaveLength(4)
    expect(f.violations).toEqual([])
  }, 60_000)

  it('fail when more than half of the tasks failed once the threshold number ran', async () => {
    const { fake: f, control } = await fake({ failureThresholdTasks: 4, concurrency: 1, seed: 7 })
    const bucket = await newBucket(s3)
    const rows: string[][] = []
    for (const k of ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'])
      rows.push([bucket, k, await put(s3, bucket, k, k)])
    f.faults.failKeys = Object.fromEntries(
      ['k1', 'k2', 'k3', 'k4', 'k5'].map((k) => [
        k,
        { code: 'InternalError', status: 500, message: 'boom' },
      ]),
    )
    const location = await manifest(bucket, rows)
    const { JobId = '' } = await control.send(
      new CreateJobCommand(copyJob(bucket, location, bucket)),
    )
    const job = await waitFor(control, JobId, ['Complete', 'Failed'])
    expect(job.Status).toBe('Failed')
    expect(job.FailureReasons?.[0]?.FailureCode).toBe('TaskFailureThresholdExceeded')
    const ran =
      (job.ProgressSummary?.NumberOfTasksSucceeded ?? 0) +
      (job.ProgressSummary?.NumberOfTasksFailed ?? 0)
    // it stops as soon as the rate is over 50 % after 4 tasks: 4 or 5 tasks ran, not 6
    expect(ran).toBeGreaterThanOrEqual(4)
    expect(ran).toBeLessThan(6)
    // tasks ran, so a report was written
    expect((await report(bucket, JobId)).rows.failed.length).toBeGreaterThanOrEqual(3)
    expect(f.violations).toEqual([])
  }, 60_000)

  it('fail as a whole (injected, or a manifest whose ETag does not match), with no task run', async () => {
    const { fake: f, control } = await fake({
      faults: { failJob: { code: 'AccessDenied', reason: 'Reading the manifest is forbidden' } },
    })
    const bucket = await newBucket(s3)
    const v1 = await put(s3, bucket, 'k', 'good')
    await put(s3, bucket, 'k', 'bad')
    const location = await manifest(bucket, [[bucket, 'k', v1]])
    const { JobId = '' } = await control.send(
      new CreateJobCommand(copyJob(bucket, location, bucket)),
    )
    const failed = await waitFor(control, JobId, ['Complete', 'Failed'])
    expect(failed).toMatchObject({
      Status: 'Failed',
      FailureReasons: [
        { FailureCode: 'AccessDenied', FailureReason: 'Reading the manifest is forbidden' },
      ],
      ProgressSummary: { NumberOfTasksSucceeded: 0, NumberOfTasksFailed: 0 },
    })
    const { JobId: second = '' } = await control.send(
      new CreateJobCommand(
        copyJob(bucket, { ...location, ETag: '"0123456789abcdef0123456789abcdef"' }, bucket),
      ),
    )
    const mismatch = await waitFor(control, second, ['Complete', 'Failed'])
    expect(mismatch.Status).toBe('Failed')
    expect(mismatch.FailureReasons?.[0]?.FailureReason).toMatch(/ETag/)
    expect(await read(s3, bucket, 'k')).toBe('bad')
    // no task ran: no report
    const listed = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: 'reports/' }),
    )
    expect(listed.Versions ?? []).toEqual([])
    expect(f.violations).toEqual([])
  }, 60_000)

  it('stay Active for as many polls as a slow job is told to', async () => {
    const { fake: f, control } = await fake({ faults: { holdActivePolls: 5 } })
    const bucket = await newBucket(s3)
    const v1 = await put(s3, bucket, 'k', 'good')
    const location = await manifest(bucket, [[bucket, 'k', v1]])
    const { JobId = '' } = await control.send(
      new CreateJobCommand(copyJob(bucket, location, bucket)),
    )
    const seen: string[] = []
    for (;;) {
      const { Job } = await control.send(new DescribeJobCommand({ AccountId: ACCOUNT, JobId }))
      seen.push(Job?.Status ?? '')
      if (Job?.Status === 'Complete') break
      if (seen.length > 500) throw new Error(`never completed: ${seen.join(' ')}`)
      await sleep(20)
    }
    expect(seen.filter((s) => s === 'Active').length).toBeGreaterThanOrEqual(5)
    const statuses = [...new Set(seen)]
    expect(statuses.indexOf('Active')).toBeLessThan(statuses.indexOf('Complete'))
    expect(f.jobs.get(JobId)?.activePolls).toBeGreaterThanOrEqual(5)
    expect(f.violations).toEqual([])
  }, 60_000)

  it('can be cancelled, listed by status, and are not created twice for one request token', async () => {
    const { fake: f, control } = await fake()
    const bucket = await newBucket(s3)
    const v1 = await put(s3, bucket, 'k', 'good')
    await put(s3, bucket, 'k', 'bad')
    const location = await manifest(bucket, [[bucket, 'k', v1]])
    const input = copyJob(bucket, location, bucket, { ConfirmationRequired: true })
    const { JobId = '' } = await control.send(new CreateJobCommand(input))
    expect((await control.send(new CreateJobCommand(input))).JobId).toBe(JobId)
    const reused = await control
      .send(new CreateJobCommand({ ...input, Priority: 11 }))
      .catch((e: unknown) => e)
    expect(reused).toMatchObject({ name: 'IdempotencyException' })
    await waitFor(control, JobId, ['Suspended'])
    const listed = await control.send(
      new ListJobsCommand({ AccountId: ACCOUNT, JobStatuses: ['Suspended'] }),
    )
    expect(listed.Jobs?.map((j) => [j.JobId, j.Operation, j.Status])).toEqual([
      [JobId, 'S3PutObjectCopy', 'Suspended'],
    ])
    const cancelled = await control.send(
      new UpdateJobStatusCommand({
        AccountId: ACCOUNT,
        JobId,
        RequestedJobStatus: 'Cancelled',
        StatusUpdateReason: 'no',
      }),
    )
    expect(cancelled.Status).toBe('Cancelled')
    expect((await waitFor(control, JobId, ['Cancelled'])).TerminationDate).toBeInstanceOf(Date)
    expect(await read(s3, bucket, 'k')).toBe('bad')
    const none = await control.send(
      new ListJobsCommand({ AccountId: ACCOUNT, JobStatuses: ['Suspended'] }),
    )
    expect(none.Jobs ?? []).toEqual([])
    const missing = await control
      .send(
        new DescribeJobCommand({
          AccountId: ACCOUNT,
          JobId: '00000000-0000-0000-0000-000000000000',
        }),
      )
      .catch((e: unknown) => e)
    expect(missing).toMatchObject({ $metadata: { httpStatusCode: 404 } })
    expect(f.violations).toEqual([])
  }, 60_000)

  it("need a role that exists and a RoleArn of the model's form", async () => {
    const { fake: f, control } = await fake({ roles: [ROLE] })
    const bucket = await newBucket(s3)
    const location = await manifest(bucket, [])
    const unknown = await control
      .send(
        new CreateJobCommand(
          copyJob(bucket, location, bucket, { RoleArn: `arn:aws:iam::${ACCOUNT}:role/nobody` }),
        ),
      )
      .catch((e: unknown) => e)
    expect(unknown).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })
    const malformed = await control
      .send(
        new CreateJobCommand(copyJob(bucket, location, bucket, { RoleArn: 'batch-operations' })),
      )
      .catch((e: unknown) => e)
    expect(malformed).toMatchObject({ name: 'InvalidRequest', $metadata: { httpStatusCode: 400 } })
    expect((malformed as Error).message).toMatch(
      /RoleArn: "batch-operations" does not match the pattern/,
    )
    expect(f.jobs.size).toBe(0)
    f.violations.length = 0
  }, 60_000)
})

describe('requests the model does not allow are refused', () => {
  /** A signed request straight to the fake, as no SDK would send it. */
  async function raw(
    f: FakeS3Control,
    method: string,
    pathAndQuery: string,
    body = '',
    headers: Record<string, string> = { 'x-amz-account-id': ACCOUNT },
    signed = true,
  ): Promise<{ status: number; body: string; code?: string; message?: string }> {
    const [path, rawQuery = ''] = pathAndQuery.split('?')
    const host = new URL(f.origin).host
    const all = { host, ...headers, ...(body ? { 'content-type': 'application/xml' } : {}) }
    const final = signed
      ? sign({ method, path, rawQuery, headers: all, body }, credentials, 'us-east-1', 's3')
      : all
    return new Promise((resolve, reject) => {
      const req = request(`${f.origin}${pathAndQuery}`, { method, headers: final }, (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString()))
        res.on('end', () => {
          expect(res.headers['content-type']).toBe('application/xml')
          const xml = parseXml(text) as { Error?: { Code?: string; Message?: string } }
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            code: xml.Error?.Code,
            message: xml.Error?.Message,
          })
        })
      })
      req.on('error', reject)
      req.end(body)
    })
  }

  const NS = 'http://awss3control.amazonaws.com/doc/2018-08-20/'
  const createBody = (inner: string, ns = NS): string =>
    `<?xml version="1.0" encoding="UTF-8"?><CreateJobRequest xmlns="${ns}">${inner}</CreateJobRequest>`
  const good =
    '<Operation><S3PutObjectCopy><TargetResource>arn:aws:s3:::b</TargetResource></S3PutObjectCopy></Operation>' +
    '<Report><Enabled>false</Enabled></Report><Priority>1</Priority>' +
    `<RoleArn>${ROLE}</RoleArn><ClientRequestToken>t</ClientRequestToken>`

  it.each([
    [
      'a missing required member (RoleArn)',
      'POST',
      '/v20180820/jobs',
      createBody(good.replace(/<RoleArn>.*<\/RoleArn>/, '')),
      'CreateJobRequest.RoleArn: is required',
    ],
    [
      'a missing required header (x-amz-account-id)',
      'GET',
      '/v20180820/jobs/abcdef',
      '',
      'DescribeJobRequest.AccountId: is required',
      {},
    ],
    [
      'a bad enum in the query',
      'POST',
      '/v20180820/jobs/abcdef/status?requestedJobStatus=Running',
      '',
      '"Running" is not one of Cancelled, Ready',
    ],
    [
      'a missing required query parameter',
      'POST',
      '/v20180820/jobs/abcdef/status',
      '',
      'UpdateJobStatusRequest.RequestedJobStatus: is required',
    ],
    [
      'a too-long string (Description, max 256)',
      'POST',
      '/v20180820/jobs',
      createBody(`${good}<Description>${'d'.repeat(257)}</Description>`),
      'CreateJobRequest.Description: 257 characters, more than the maximum 256',
    ],
    [
      'a too-short job ID (min 5)',
      'GET',
      '/v20180820/jobs/abc',
      '',
      'DescribeJobRequest.JobId: 3 characters, fewer than the minimum 5',
    ],
    [
      'an account ID not of its pattern',
      'GET',
      '/v20180820/jobs/abcdef',
      '',
      'does not match the pattern ^\\d{12}$',
      { 'x-amz-account-id': '1234' },
    ],
    [
      'an integer out of range (Priority < 0)',
      'POST',
      '/v20180820/jobs',
      createBody(good.replace('<Priority>1</Priority>', '<Priority>-1</Priority>')),
      'CreateJobRequest.Priority: -1 is below the minimum 0',
    ],
    [
      'a number that is not one',
      'POST',
      '/v20180820/jobs',
      createBody(good.replace('<Priority>1</Priority>', '<Priority>high</Priority>')),
      'CreateJobRequest.Priority: must be an integer',
    ],
    [
      'a boolean that is not one',
      'POST',
      '/v20180820/jobs',
      createBody(good.replace('<Enabled>false</Enabled>', '<Enabled>no</Enabled>')),
      'CreateJobRequest.Report.Enabled: must be true or false',
    ],
    [
      'an unknown element',
      'POST',
      '/v20180820/jobs',
      createBody(`${good}<Colour>red</Colour>`),
      'unknown element <Colour>',
    ],
    [
      'the wrong XML namespace',
      'POST',
      '/v20180820/jobs',
      createBody(good, 'http://example.com/'),
      'must be in the namespace',
    ],
    [
      'XML that is not well-formed',
      'POST',
      '/v20180820/jobs',
      '<CreateJobRequest><Priority>1</CreateJobRequest>',
      'XML is not well-formed',
    ],
    [
      'an unknown query parameter',
      'GET',
      '/v20180820/jobs?colour=red',
      '',
      "unknown query parameter 'colour'",
    ],
    [
      'a bad enum in a query list',
      'GET',
      '/v20180820/jobs?jobStatuses=Running',
      '',
      '"Running" is not one of Active',
    ],
    [
      'an unknown operation path',
      'POST',
      '/v20180820/nothing',
      '',
      'no S3 Control operation is POST /v20180820/nothing',
    ],
    [
      'an unknown method on a known path',
      'DELETE',
      '/v20180820/jobs',
      '',
      'no S3 Control operation is DELETE /v20180820/jobs',
    ],
  ])(
    '%s: 400 and the error XML',
    // (a rest parameter: jest takes a sixth declared parameter for a done callback)
    async (...row: unknown[]) => {
      const [, method, path, body, problem, headers] = row as [
        string,
        string,
        string,
        string,
        string,
        Record<string, string> | undefined,
      ]
      const { fake: f } = await fake()
      const res = await raw(f, method, path, body, headers)
      expect(res.status).toBe(400)
      expect(res.code).toBe('InvalidRequest')
      expect(res.message).toContain(problem)
      expect(res.body).toMatch(
        /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>InvalidRequest<\/Code><Message>/,
      )
      expect(f.violations.join('\n')).toContain(problem)
      expect(f.jobs.size).toBe(0)
    },
  )

  it('refuses a request that is not signed, or signed with another key, with 403', async () => {
    const { fake: f } = await fake()
    const unsigned = await raw(
      f,
      'GET',
      '/v20180820/jobs',
      '',
      { 'x-amz-account-id': ACCOUNT },
      false,
    )
    expect([unsigned.status, unsigned.code]).toEqual([403, 'AccessDenied'])
    const other = new S3ControlClient({
      ...f.clientConfig(),
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: 'not-the-secret' },
    })
    const err = await other
      .send(new ListJobsCommand({ AccountId: ACCOUNT }))
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } })
  })

  it('accepts what the SDK sends, and refuses through the SDK what the model does not allow', async () => {
    const { fake: f, control } = await fake()
    const listed = await control.send(
      new ListJobsCommand({ AccountId: ACCOUNT, JobStatuses: ['Active', 'New'], MaxResults: 5 }),
    )
    expect(listed.Jobs ?? []).toEqual([])
    expect(f.violations).toEqual([])
    const bucket = await newBucket(s3)
    const location = await manifest(bucket, [])
    const long = await control
      .send(
        new CreateJobCommand(copyJob(bucket, location, bucket, { Description: 'd'.repeat(257) })),
      )
      .catch((e: unknown) => e)
    expect(long).toMatchObject({ name: 'InvalidRequest', $metadata: { httpStatusCode: 400 } })
    const wrongAccount = await control
      .send(new DescribeJobCommand({ AccountId: '210987654321', JobId: 'abcdef' }))
      .catch((e: unknown) => e)
    expect(wrongAccount).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })
    // the SDK put the account in front of the host, and the fake checked it matches the header
    expect(f.requests.at(-1)).toMatchObject({ operation: 'DescribeJob', accountId: '210987654321' })
  })
})
