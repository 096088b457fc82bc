// Fault paths a real server cannot produce on demand: conditional-write answers, a copy whose
// new version does not match its source. Behaviour is tested against the real S3 elsewhere.
import {
  CopyObjectCommand,
  GetBucketVersioningCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  S3Client,
  S3ServiceException,
  type ObjectVersion,
} from '@aws-sdk/client-s3'
import { beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { RaceError, RestoreError, VerifyError } from '../src/engine/errors.js'
import { parseSettings } from '../src/settings/index.js'
import { silentLogger } from '../src/lib/log.js'
import { rollback } from '../src/engine/rollback.js'
import { inputReader } from './helpers/builders.js'

const s3mock = mockClient(S3Client)
const s3 = new S3Client({ region: 'us-east-1' })
const settings = parseSettings(
  inputReader({ bucket: 'b-1', keys: 'usa.csv', 'to-time': '2021-12-13T15:00:00Z' }),
)

const GOOD = {
  Key: 'usa.csv',
  VersionId: 'good',
  LastModified: new Date('2021-12-01T00:00:00Z'),
  Size: 4,
  ETag: '"e-good"',
  IsLatest: false,
}
const BAD = {
  Key: 'usa.csv',
  VersionId: 'bad',
  LastModified: new Date('2021-12-14T00:00:00Z'),
  Size: 3,
  ETag: '"e-bad"',
  IsLatest: true,
}
const OURS = {
  Key: 'usa.csv',
  VersionId: 'ours',
  LastModified: new Date(),
  Size: 4,
  ETag: '"e-good"',
  IsLatest: true,
}
const OTHER = {
  Key: 'usa.csv',
  VersionId: 'other',
  LastModified: new Date(),
  Size: 5,
  ETag: '"e-other"',
  IsLatest: true,
}

function precondition(): S3ServiceException {
  return new S3ServiceException({
    name: 'PreconditionFailed',
    $fault: 'client',
    $metadata: { httpStatusCode: 412 },
    message: 'At least one of the pre-conditions you specified did not hold',
  })
}

beforeEach(() => {
  s3mock.reset()
  s3mock
    .on(HeadObjectCommand)
    .resolves({ ContentLength: 4, ETag: '"e-good"', ContentType: 'text/csv' })
  s3mock.onAnyCommand().resolves({})
  s3mock
    .on(HeadObjectCommand)
    .resolves({ ContentLength: 4, ETag: '"e-good"', ContentType: 'text/csv' })
})

function listings(...pages: ObjectVersion[][]): void {
  const mock = s3mock.on(ListObjectVersionsCommand)
  let chain = mock
  for (const page of pages) chain = chain.resolvesOnce({ Versions: page, IsTruncated: false })
  chain.resolves({ Versions: pages[pages.length - 1], IsTruncated: false })
}

/** The whole rollback against the mock; a RestoreError or the manifest. */
async function run(warnings: string[] = []): Promise<unknown> {
  s3mock.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' })
  const log = { ...silentLogger, warning: (m: string) => warnings.push(m) }
  return rollback(s3, settings, log, { walk: { pauseMs: 0 } }).catch((e: unknown) => e)
}
const copies = () => s3mock.commandCalls(CopyObjectCommand).map((c) => c.args[0].input)

describe('conditional writes on stores that honour them (AWS)', () => {
  it('sends If-Match with the ETag seen at planning and the listed storage class; no HeadObject', async () => {
    listings(
      [BAD, { ...GOOD, StorageClass: 'STANDARD_IA' } as unknown as ObjectVersion],
      [OURS, BAD, GOOD],
    )
    s3mock.on(CopyObjectCommand).resolves({ VersionId: 'ours' })
    const manifest = (await run()) as { keys: unknown[] }
    expect(manifest.keys[0]).toMatchObject({
      action: 'restored',
      newVersionId: 'ours',
      check: 'size and ETag',
    })
    expect(copies()).toHaveLength(1)
    expect(copies()[0]).toMatchObject({
      CopySource: 'b-1/usa.csv?versionId=good',
      IfMatch: '"e-bad"',
      MetadataDirective: 'COPY',
      TaggingDirective: 'COPY',
      StorageClass: 'STANDARD_IA',
    })
    expect(s3mock.commandCalls(HeadObjectCommand)).toHaveLength(0)
  })

  it('a KMS source whose copy took the bucket default is copied again with its own key', async () => {
    const KMS = 'arn:aws:kms:us-east-1:111122223333:key/k1'
    const ours2 = { ...OURS, VersionId: 'ours2', ETag: '"e-kms2"' }
    listings([BAD, GOOD], [{ ...OURS, ETag: '"e-kms1"' }, BAD, GOOD], [ours2, OURS, BAD, GOOD])
    s3mock.on(HeadObjectCommand, { VersionId: 'good' }).resolves({
      ContentLength: 4,
      ETag: '"e-good"',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KMS,
    })
    s3mock
      .on(HeadObjectCommand, { VersionId: 'ours' })
      .resolves({ ContentLength: 4, ETag: '"e-kms1"', ServerSideEncryption: 'AES256' })
    s3mock.on(HeadObjectCommand, { VersionId: 'ours2' }).resolves({
      ContentLength: 4,
      ETag: '"e-kms2"',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: KMS,
    })
    s3mock
      .on(CopyObjectCommand)
      .resolvesOnce({ VersionId: 'ours' })
      .resolves({ VersionId: 'ours2' })
    const manifest = (await run()) as { keys: Array<{ newVersionId: string; check: string }> }
    expect(manifest.keys[0].newVersionId).toBe('ours2')
    expect(manifest.keys[0].check).toMatch(/with the source's encryption/)
    expect(copies()[1]).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KMS })
  })

  it('sends If-None-Match: * when the key is absent now', async () => {
    const MARKER = {
      Key: 'usa.csv',
      VersionId: 'dm',
      LastModified: new Date('2021-12-14T00:00:00Z'),
      IsLatest: true,
    }
    s3mock
      .on(ListObjectVersionsCommand)
      .resolvesOnce({ Versions: [GOOD], DeleteMarkers: [MARKER] })
      .resolves({ Versions: [OURS, GOOD], DeleteMarkers: [{ ...MARKER, IsLatest: false }] })
    s3mock.on(CopyObjectCommand).resolves({ VersionId: 'ours' })
    await run()
    expect(copies()[0].IfNoneMatch).toBe('*')
    expect(copies()[0].IfMatch).toBeUndefined()
  })

  it('a 412 because another writer got in is a race: nothing is written, nothing retried', async () => {
    listings([BAD, GOOD], [OTHER, BAD, GOOD])
    s3mock.on(CopyObjectCommand).rejects(precondition())
    const error = await run()
    expect(error).toBeInstanceOf(RestoreError)
    expect((error as RestoreError).cause).toBeInstanceOf(RaceError)
    expect((error as Error).message).toMatch(
      /changed by another writer since planning \(now version other/,
    )
    expect(copies()).toHaveLength(1)
  })

  it('a 412 although the key is as planned (Ceph RGW) turns conditions off and writes again', async () => {
    listings([BAD, GOOD], [BAD, GOOD], [OURS, BAD, GOOD])
    s3mock.on(CopyObjectCommand).rejectsOnce(precondition()).resolves({ VersionId: 'ours' })
    const warnings: string[] = []
    await run(warnings)
    expect(copies().map((c) => c.IfMatch)).toEqual(['"e-bad"', undefined])
    expect(warnings.join('\n')).toMatch(/Conditional writes are not honoured/)
  })
})

describe('checking the new version against its source', () => {
  it('a size mismatch fails the run and the key is put back', async () => {
    const WRONG = { ...OURS, Size: 3, ETag: '"e-x"' }
    listings(
      [BAD, GOOD],
      [WRONG, BAD, GOOD],
      [WRONG, BAD, GOOD],
      [{ ...BAD, VersionId: 'back' }, WRONG, BAD, GOOD],
    )
    s3mock
      .on(HeadObjectCommand, { VersionId: 'good' })
      .resolves({ ContentLength: 4, ETag: '"e-good"' })
    s3mock
      .on(HeadObjectCommand, { VersionId: 'ours' })
      .resolves({ ContentLength: 3, ETag: '"e-x"' })
    s3mock.on(CopyObjectCommand).resolvesOnce({ VersionId: 'ours' }).resolves({ VersionId: 'back' })
    const error = await run()
    expect(error).toBeInstanceOf(RestoreError)
    expect((error as RestoreError).cause).toBeInstanceOf(VerifyError)
    expect((error as Error).message).toMatch(/size 3 differs from the source's 4/)
    expect((error as RestoreError).finalStates[0].state).toMatch(/^put back to version bad/)
    expect(copies().map((c) => c.CopySource)).toEqual([
      'b-1/usa.csv?versionId=good',
      'b-1/usa.csv?versionId=bad',
    ])
  })
})
