import { describe, expect, it } from '@jest/globals'
import { exitCodeOf, EXIT } from '../src/cli/exit.js'
import { InputError, StepError, diagnose, errorMessage } from '../src/lib/errors.js'
import { PlanError, RestoreError } from '../src/engine/errors.js'
import { explain, rootCause } from '../src/lib/explain.js'

/** An error shaped as the AWS SDK shapes a service error (RGW sends no message: UnknownError). */
function s3Error(
  code: string,
  status: number,
  operation?: string,
  message = 'UnknownError',
): Error {
  return Object.assign(new Error(message), {
    name: code,
    Code: code,
    $fault: 'client',
    $metadata: { httpStatusCode: status, requestId: 'tx0001', attempts: 1 },
    ...(operation ? { $operation: operation } : {}),
  })
}

/** A system error as the SDK's HTTP handler passes it on, after its retries. */
function netError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, $metadata: { attempts: 8 } })
}

describe('errorMessage', () => {
  it.each([
    [s3Error('NoSuchBucket', 404), 'NoSuchBucket (HTTP 404, request tx0001)'],
    [
      s3Error('SlowDown', 503, undefined, 'Please reduce your request rate.'),
      'SlowDown: Please reduce your request rate. (HTTP 503, request tx0001)',
    ],
    [
      netError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9'),
      'connect ECONNREFUSED 127.0.0.1:9 (after 8 attempts)',
    ],
    [new Error('plain'), 'plain'],
    ['text', 'text'],
  ])('%s → %s', (e, message) => {
    expect(errorMessage(e)).toBe(message)
  })
})

describe('explain: the kind of an error and what to do', () => {
  it.each([
    [s3Error('NoSuchBucket', 404), 'no-bucket', /Check the bucket name b1 and the region/],
    [s3Error('PermanentRedirect', 301), 'no-bucket', /region/],
    [s3Error('InvalidAccessKeyId', 403), 'credentials', /Check the AWS credentials/],
    [s3Error('SignatureDoesNotMatch', 403), 'credentials', /AWS_SECRET_ACCESS_KEY/],
    [s3Error('ExpiredToken', 400), 'credentials', /configure-aws-credentials/],
    [
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
      'credentials',
      /AWS_PROFILE/,
    ],
    [
      s3Error('AccessDenied', 403, 'GetBucketVersioning'),
      'denied',
      /needs s3:GetBucketVersioning on b1/,
    ],
    [s3Error('AccessDenied', 403, 'CopyObject'), 'denied', /needs s3:PutObject .*GetObjectVersion/],
    [s3Error('AccessDenied', 403, 'ListObjectVersions'), 'denied', /s3:ListBucketVersions/],
    [s3Error('AccessDenied', 403), 'denied', /Check the role's IAM policy on b1/],
    [netError('ECONNREFUSED', 'connect'), 'network', /endpoint \(http:\/\/h:1\) is right/],
    [netError('ENOTFOUND', 'getaddrinfo'), 'network', /reachable/],
    [Object.assign(new Error('timeout'), { name: 'TimeoutError' }), 'network', /reachable/],
    [
      Object.assign(new Error('@aws-sdk XML parse error: unexpected end of input.'), {
        $metadata: { httpStatusCode: 200 },
      }),
      'network',
      /and that it is an S3 API/,
    ],
    [s3Error('SlowDown', 503), 'server', /run again later/],
    [s3Error('InternalError', 500), 'server', /re-run is safe/],
    [new Error('a bug'), 'unexpected', undefined],
  ])('%s → %s', (e, kind, fix) => {
    const explained = explain(e, { bucket: 'b1', endpoint: 'http://h:1' })
    expect(explained.kind).toBe(kind)
    if (fix) expect(explained.fix).toMatch(fix)
    else expect(explained.fix).toBeUndefined()
  })

  it('looks through wrappers to the S3 error', () => {
    const cause = s3Error('AccessDenied', 403, 'HeadObject')
    const step = new StepError('planning', 'a.csv', cause)
    expect(rootCause(step)).toBe(cause)
    expect(step.message).toBe(
      'Planning a.csv failed: AccessDenied (HTTP 403, request tx0001).\nNothing was written.',
    )
    expect(explain(step).fix).toMatch(/s3:GetObjectVersion/)
  })
})

describe('exit codes', () => {
  const restoreError = (cause: unknown): RestoreError =>
    new RestoreError({
      cause,
      failedKey: 'a.csv',
      finalStates: [{ key: 'a.csv', state: 'not changed' }],
    })
  it.each([
    [new InputError('bucket', '', 'a name'), EXIT.usage],
    [new PlanError([{ key: 'a', problem: 'no such key' }]), EXIT.failed],
    [new StepError('checking the bucket', 's3://b', s3Error('NoSuchBucket', 404)), EXIT.failed],
    [restoreError(s3Error('AccessDenied', 403, 'CopyObject')), EXIT.failed],
    [restoreError(netError('ECONNRESET', 'read ECONNRESET')), EXIT.failed],
    [new StepError('listing', 's3://b/p/', s3Error('SlowDown', 503)), EXIT.unreachable],
    [
      new StepError('checking the bucket', 's3://b', s3Error('AccessDenied', 403)),
      EXIT.unreachable,
    ],
    [new StepError('listing', 's3://b', netError('ECONNREFUSED', 'x')), EXIT.unreachable],
    [new Error('a bug'), EXIT.unexpected],
  ])('%s → %i', (e, code) => {
    expect(exitCodeOf(e)).toBe(code)
  })

  it('a failed write still says how to fix its cause', () => {
    const e = restoreError(s3Error('AccessDenied', 403, 'CopyObject'))
    expect(diagnose(e, { bucket: 'b1' })).toMatchObject({ kind: 'refused', code: 'AccessDenied' })
    expect(diagnose(e, { bucket: 'b1' }).fix).toMatch(/s3:PutObject/)
  })
})
