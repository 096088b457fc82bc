import { describe, expect, it } from '@jest/globals'
import { parseCsv } from '../src/engine/batch/report.js'
import { BatchJobError } from '../src/engine/errors.js'

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
