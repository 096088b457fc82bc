// The guard of the only code that removes versions: it must refuse, before sending anything,
// keys outside the drill prefix and versions the drill did not create.
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { DrillLedger, assertDeletable, deleteScratchVersion } from '../src/verify/drill-cleanup.js'

const s3mock = mockClient(S3Client)
const s3 = new S3Client({ region: 'us-east-1' })
const PREFIX = '.s3-rollback-drill/run-1/'

beforeEach(() => {
  s3mock.reset()
  s3mock.on(DeleteObjectCommand).resolves({})
})

describe('DrillLedger', () => {
  it.each(['', 'no-slash', 'x'])('refuses the prefix %j', (prefix) => {
    expect(() => new DrillLedger(prefix)).toThrow(/end with '\/'/)
  })

  it.each([
    ['data/usa.csv', 'not a scratch key'],
    ['.s3-rollback-drill/run-2/usa.csv', 'not a scratch key'],
    ['.s3-rollback-drill/run-1', 'not a scratch key'],
    [PREFIX, 'not a scratch key'],
  ])('refuses to record %j', (key, message) => {
    expect(() => new DrillLedger(PREFIX).record(key, 'v1')).toThrow(message)
  })

  it.each(['', 'null'])('refuses to record the version ID %j', (versionId) => {
    expect(() => new DrillLedger(PREFIX).record(`${PREFIX}usa.csv`, versionId)).toThrow(
      'only real version IDs',
    )
  })
})

describe('assertDeletable', () => {
  const ledger = new DrillLedger(PREFIX)
  ledger.record(`${PREFIX}data/usa.csv`, 'scratch-1')

  it.each([
    ['data/usa.csv', 'scratch-1', 'not a scratch key'],
    ['.s3-rollback-drill/other/data/usa.csv', 'scratch-1', 'not a scratch key'],
    [`${PREFIX}data/usa.csv`, 'real-version', 'did not create it'],
    [`${PREFIX}data/census.zip`, 'scratch-1', 'did not create it'],
  ])('refuses %s@%s', (key, versionId, message) => {
    expect(() => assertDeletable(ledger, key, versionId)).toThrow(message)
  })

  it('allows a version the drill recorded', () => {
    expect(() => assertDeletable(ledger, `${PREFIX}data/usa.csv`, 'scratch-1')).not.toThrow()
  })
})

describe('deleteScratchVersion', () => {
  it('sends nothing for a version the drill did not create', async () => {
    const ledger = new DrillLedger(PREFIX)
    ledger.record(`${PREFIX}usa.csv`, 'scratch-1')
    await expect(
      deleteScratchVersion(s3, ledger, 'b-1', { key: 'usa.csv', versionId: 'scratch-1' }),
    ).rejects.toThrow('not a scratch key')
    await expect(
      deleteScratchVersion(s3, ledger, 'b-1', { key: `${PREFIX}usa.csv`, versionId: 'v-real' }),
    ).rejects.toThrow('did not create it')
    expect(s3mock.commandCalls(DeleteObjectCommand)).toHaveLength(0)
  })

  it('deletes exactly the recorded version', async () => {
    const ledger = new DrillLedger(PREFIX)
    ledger.record(`${PREFIX}usa.csv`, 'scratch-1')
    await deleteScratchVersion(s3, ledger, 'b-1', {
      key: `${PREFIX}usa.csv`,
      versionId: 'scratch-1',
    })
    const calls = s3mock.commandCalls(DeleteObjectCommand)
    expect(calls.map((c) => c.args[0].input)).toEqual([
      {
        Bucket: 'b-1',
        Key: `${PREFIX}usa.csv`,
        VersionId: 'scratch-1',
        ExpectedBucketOwner: undefined,
      },
    ])
  })
})
