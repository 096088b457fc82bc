import { describe, expect, it } from '@jest/globals'
import { parseCsv } from '../src/engine/batch/report.js'
import { writerOf } from '../src/engine/batch/split.js'
import type { PlanItem } from '../src/engine/plan/decide.js'
import { BatchJobError } from '../src/engine/errors.js'
import { parseSettings } from '../src/settings/index.js'
import type { VersionEntry } from '../src/s3/listing.js'

const GiB = 1024 ** 3
const copy = { multipartThreshold: 5 * GiB, partSize: 512 * 1024 ** 2, partConcurrency: 8 }
const version = (extra: Partial<VersionEntry> = {}): VersionEntry => ({
  key: 'k',
  versionId: 'v1',
  isDeleteMarker: false,
  isLatest: false,
  lastModified: new Date('2021-12-01T00:00:00Z'),
  size: 10,
  eTag: '"d41d8cd98f00b204e9800998ecf8427e"',
  ...extra,
})
const restore = (wanted: Partial<VersionEntry> = {}, more: Partial<PlanItem> = {}): PlanItem => ({
  key: 'k',
  action: 'restore',
  wanted: version(wanted),
  ...more,
})

describe('who writes a key under engine: batch-operations', () => {
  it.each<[string, PlanItem, 'job' | 'runner']>([
    ['a small single-part version', restore(), 'job'],
    ['exactly 5 GiB', restore({ size: 5 * GiB }), 'job'],
    ['over 5 GiB', restore({ size: 5 * GiB + 1 }), 'runner'],
    ['uploaded in parts (its ETag ends in -N)', restore({ eTag: '"abc-3"' }), 'runner'],
    ['a restored GLACIER copy', restore({ storageClass: 'GLACIER' }), 'runner'],
    ['STANDARD_IA', restore({ storageClass: 'STANDARD_IA' }), 'job'],
    [
      'an SSE-C source',
      restore({}, { source: { sseCustomerAlgorithm: 'AES256' } as PlanItem['source'] }),
      'runner',
    ],
    ['a delete marker to add', { key: 'k', action: 'delete' }, 'runner'],
  ])('%s → %s', (_name, item, writer) => {
    expect(writerOf(item, copy)).toBe(writer)
  })

  it('keeps what needs a multipart copy (above multipart-threshold) for the runner', () => {
    const small = { ...copy, multipartThreshold: 1024 ** 2 }
    expect(writerOf(restore({ size: 1024 ** 2 }), small)).toBe('job')
    expect(writerOf(restore({ size: 1024 ** 2 + 1 }), small)).toBe('runner')
  })
})

describe('engine inputs', () => {
  const parse = (inputs: Record<string, string>) => {
    const all: Record<string, string> = {
      bucket: 'b1',
      keys: 'k',
      'to-time': '2021-12-13T15:00:00Z',
      ...inputs,
    }
    return parseSettings((n) => all[n] ?? '')
  }
  const batch = {
    engine: 'batch-operations',
    'batch-role-arn': 'arn:aws:iam::111122223333:role/path/s3-rollback-batch',
    'batch-account-id': '111122223333',
  }

  it('defaults to the runner, and reads the batch inputs', () => {
    expect(parse({}).engine).toEqual({ kind: 'runner' })
    // the runner passes every input's default (and a reusable workflow may pass a role anyway)
    expect(parse({ 'batch-priority': '10', 'batch-role-arn': 'x' }).engine).toEqual({
      kind: 'runner',
    })
    expect(parse({ ...batch, 'poll-interval': '2' }).engine).toEqual({
      kind: 'batch-operations',
      roleArn: batch['batch-role-arn'],
      accountId: '111122223333',
      prefix: { bucket: 'b1', prefix: '.s3-rollback/batch/' },
      priority: 10,
      putBack: true,
      timeoutMs: 21600_000,
      pollIntervalMs: 2000,
    })
    expect(parse({ ...batch, 'batch-prefix': 's3://ops/jobs/' }).engine).toMatchObject({
      prefix: { bucket: 'ops', prefix: 'jobs/' },
    })
  })

  it.each([
    [
      { engine: 'lambda' },
      /Input 'engine' has an invalid value "lambda": expected one of runner, batch-operations/,
    ],
    [
      { ...batch, 'batch-account-id': '' },
      /Input 'batch-account-id' is missing: expected the 12-digit ID/,
    ],
    [
      { ...batch, 'batch-role-arn': 'arn:aws:iam::111122223333:user/me' },
      /expected an IAM role ARN/,
    ],
    [
      { ...batch, 'batch-role-arn': 'arn:aws:iam::999999999999:role/r' },
      /expected a role of account 111122223333/,
    ],
    [
      { ...batch, 'batch-prefix': 'ops/jobs/' },
      /Input 'batch-prefix' has an invalid value "ops\/jobs\/"/,
    ],
    [{ ...batch, 'batch-put-back': 'maybe' }, /Input 'batch-put-back' .* true or false/],
    [{ ...batch, 'batch-timeout': '0' }, /Input 'batch-timeout' .* a number of seconds/],
  ])('refuses %j', (inputs, message) => {
    expect(() => parse(inputs)).toThrow(message)
  })
})

describe('the completion report', () => {
  it('reads quoted CSV fields with commas, quotes and line breaks', () => {
    const text =
      'b,a%2Cb.csv,v1,succeeded,200,,Successful\n' +
      'b,c.csv,v2,failed,403,AccessDenied,"Access Denied, ""really""\nsecond line"\r\n'
    expect(parseCsv(text)).toEqual([
      ['b', 'a%2Cb.csv', 'v1', 'succeeded', '200', '', 'Successful'],
      ['b', 'c.csv', 'v2', 'failed', '403', 'AccessDenied', 'Access Denied, "really"\nsecond line'],
    ])
    expect(parseCsv('')).toEqual([])
  })

  it('names the failed tasks of a job, the first 20 of them', () => {
    const tasks = Array.from({ length: 22 }, (_, i) => ({
      key: `k${i}`,
      errorCode: 'SlowDown',
      message: 'Please reduce your request rate.',
    }))
    const e = new BatchJobError(
      { jobId: 'job-1', status: 'Complete', reasons: [], failedTasks: tasks },
      'left 22 key(s) not restored',
    )
    expect(e.message).toMatch(
      /^Batch Operations job job-1 left 22 key\(s\) not restored \(status Complete\); failed tasks:\n {2}k0: SlowDown Please reduce your request rate\./,
    )
    expect(e.message).toContain('(2 more failed tasks)')
    expect(e.message).not.toContain('k20:')
  })
})
