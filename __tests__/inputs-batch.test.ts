import { describe, expect, it } from '@jest/globals'
import { parseSettings } from '../src/settings/index.js'
import { inputReader } from './helpers/builders.js'

describe('engine inputs', () => {
  const parse = (inputs: Record<string, string>) => {
    const all: Record<string, string> = {
      bucket: 'b1',
      keys: 'k',
      'to-time': '2021-12-13T15:00:00Z',
      ...inputs,
    }
    return parseSettings(inputReader(all))
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
