import { describe, expect, it } from '@jest/globals'
import { formatTable } from '../src/cli/table.js'
import type { KeyReport, VerifyReport } from '../src/verify/index.js'
import { bucketRows, keyRows, verdict, windowOutput } from '../src/report/verify.js'

const key = (k: Partial<KeyReport>): KeyReport => ({
  key: 'usa.csv',
  state: 'restorable',
  action: 'restore',
  versionId: 'v1',
  lastModified: '2021-12-13T14:00:00.000Z',
  size: 8,
  storageClass: 'STANDARD',
  windowDays: 30,
  rules: [],
  limits: [],
  notes: [],
  drill: null,
  problems: [],
  ...k,
})

const report = (r: Partial<VerifyReport>): VerifyReport => ({
  bucket: 'justice40-data',
  checkedAt: '2021-12-20T00:00:00.000Z',
  target: { toTime: '2021-12-13T15:00:00.000Z' },
  atWindowStart: true,
  minWindow: '7d',
  minWindowDays: 7,
  versioning: 'Enabled',
  mfaDelete: 'Disabled',
  lifecycleRules: [],
  window: 30,
  restorable: true,
  keys: [key({})],
  drill: null,
  problems: [],
  ...r,
})

describe('verify report presentation', () => {
  it('one row per key, with the drill and the result', () => {
    const rows = keyRows(
      report({
        keys: [
          key({
            drill: {
              key: 'usa.csv',
              scratchKey: 'd/usa.csv',
              result: 'copied',
              check: 'size and ETag',
              removed: true,
            },
          }),
          key({
            key: 'gone.csv',
            state: 'missing',
            versionId: null,
            lastModified: null,
            storageClass: null,
            windowDays: null,
            problems: ['has no version'],
          }),
        ],
      }),
    )
    expect(rows).toEqual([
      [
        'usa.csv',
        'restorable',
        'v1',
        '2021-12-13T14:00:00.000Z',
        'STANDARD',
        '30d',
        'copied, checked by size and ETag, removed',
        'ok',
      ],
      ['gone.csv', 'missing', '(none)', '—', '—', 'unlimited', '—', 'FAIL'],
    ])
  })

  it('bucket rows name the target and the window', () => {
    expect(bucketRows(report({ lifecycleRules: null }))).toEqual([
      ['Versioning', 'Enabled'],
      ['MFA delete', 'Disabled'],
      ['Lifecycle rules', 'unreadable'],
      ['Guaranteed window', '30d'],
      ['Required (min-window)', '7d'],
      ['Target', '2021-12-13T15:00:00.000Z (now − 7d)'],
    ])
  })

  it('a verdict, failing also when the drill left something behind', () => {
    expect(verdict(report({}))).toMatch(/^Restorable: every key of s3:\/\/justice40-data/)
    expect(verdict(report({ restorable: false, problems: ['a', 'b'] }))).toBe(
      'NOT restorable: 2 problem(s) in s3://justice40-data',
    )
    expect(
      verdict(
        report({ drill: { prefix: 'd/', leftBehind: ['d/x@1: delete failed'] }, problems: ['x'] }),
      ),
    ).toMatch(/^NOT restorable/)
  })

  it('window output: whole days or unlimited', () => {
    expect([windowOutput(null), windowOutput(0), windowOutput(30)]).toEqual([
      'unlimited',
      '0',
      '30',
    ])
  })

  it('text tables pad columns', () => {
    expect(
      formatTable(
        ['Key', 'State'],
        [
          ['usa.csv', 'ok'],
          ['a', 'missing'],
        ],
      ),
    ).toBe('Key      State\n-------  -------\nusa.csv  ok\na        missing')
  })
})
