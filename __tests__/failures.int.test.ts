// Wrong inputs and broken environments, through the built CLI and the bundled action: each gives
// its documented exit code (docs: README, Exit codes), a message that names the cause and the
// fix, and writes nothing.
import { PutBucketPolicyCommand, type S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { EXIT } from '../src/cli/exit.js'
import { runAction } from './helpers/action.js'
import { cliLine, runCli } from './helpers/cli.js'
import { allVersions, client, endpoint, modifiedAt, newBucket, put, sleep } from './helpers/s3.js'

let s3: S3Client
/** census.zip and usa.csv, each good then bad; later.csv, created after; plain: no versioning. */
let bucket: string
let plain: string
let at: string
let goodUsa: string

/** A second S3 user of the local RGW, with no rights on our buckets unless a policy gives them. */
const OTHER = { AWS_ACCESS_KEY_ID: 's3rollbackother', AWS_SECRET_ACCESS_KEY: 's3rollbackother1' }

/** Creates OTHER afresh (an earlier run's user, keys and all, is removed first). */
async function createOtherUser(): Promise<void> {
  const dir = process.env.LOCAL_S3_DIR ?? '/tmp/s3-rollback-local-s3'
  const admin = (...args: string[]): Promise<unknown> =>
    promisify(execFile)('radosgw-admin', ['-c', `${dir}/ceph.conf`, '-n', 'client.admin', ...args])
  await admin('user', 'rm', '--uid=s3rollback-other').catch(() => undefined)
  await admin(
    'user',
    'create',
    '--uid=s3rollback-other',
    '--display-name=other',
    `--access-key=${OTHER.AWS_ACCESS_KEY_ID}`,
    `--secret-key=${OTHER.AWS_SECRET_ACCESS_KEY}`,
  )
}

/** A web server that answers every request with a page that is not S3's XML. */
let notS3: Server
let notS3Url = ''

beforeAll(async () => {
  notS3 = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end('<<<html><body>Sign in to the corporate proxy</body>')
  })
  await new Promise<void>((resolve) => notS3.listen(0, '127.0.0.1', resolve))
  notS3Url = `http://127.0.0.1:${(notS3.address() as AddressInfo).port}`
  s3 = client()
  await createOtherUser()
  bucket = await newBucket(s3)
  plain = await newBucket(s3, 'none')
  await put(s3, plain, 'census.zip', 'only')
  await put(s3, bucket, 'census.zip', 'census good')
  goodUsa = await put(s3, bucket, 'usa.csv', 'usa good')
  at = await modifiedAt(s3, bucket, 'usa.csv', goodUsa)
  await sleep(1100)
  await put(s3, bucket, 'census.zip', 'census bad')
  await put(s3, bucket, 'usa.csv', 'usa bad')
  await put(s3, bucket, 'later.csv', 'created after the target')
  await s3.send(
    new PutBucketPolicyCommand({
      Bucket: bucket,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: ['arn:aws:iam:::user/s3rollback-other'] },
            Action: ['s3:ListBucket', 's3:ListBucketVersions', 's3:GetBucketVersioning'],
            Resource: [`arn:aws:s3:::${bucket}`],
          },
          {
            Effect: 'Allow',
            Principal: { AWS: ['arn:aws:iam:::user/s3rollback-other'] },
            Action: ['s3:GetObjectVersion', 's3:GetObjectVersionTagging', 's3:GetObject'],
            Resource: [`arn:aws:s3:::${bucket}/*`],
          },
        ],
      }),
    }),
  )
}, 60_000)
afterAll(async () => {
  s3?.destroy()
  await new Promise((resolve) => notS3?.close(resolve))
})

interface Case {
  /** Action inputs (the CLI gets the same as flags). */
  inputs: () => Record<string, string>
  /** Environment instead of the local S3's credentials. */
  env?: Record<string, string>
  exit: number
  /** What both the CLI's stderr and the action's log must say (input names as flags or inputs). */
  says: RegExp[]
  /** The fix, when the cause is outside the inputs. */
  fix?: RegExp
}

const base = (): Record<string, string> => ({
  bucket,
  keys: 'census.zip',
  'to-time': at,
  'endpoint-url': endpoint(),
  'force-path-style': 'true',
})
const noCredentials = {
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/nonexistent',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
}
const nothingWritten = /Nothing was written/

const CASES: Record<string, Case> = {
  'a mistyped key (no history at all)': {
    inputs: () => ({ ...base(), keys: 'census.zp' }),
    exit: EXIT.failed,
    says: [/census\.zp: no such key: .*check the spelling/, /(--|')if-missing'? to skip/],
  },
  'a bucket that does not exist': {
    inputs: () => ({ ...base(), bucket: 'no-such-bucket-s3rb' }),
    exit: EXIT.failed,
    says: [
      /Checking the bucket s3:\/\/no-such-bucket-s3rb failed: NoSuchBucket \(HTTP 404, request /,
      nothingWritten,
    ],
    fix: /Check the bucket name no-such-bucket-s3rb and the region/,
  },
  'a wrong secret key': {
    inputs: base,
    env: { AWS_ACCESS_KEY_ID: 's3rollback', AWS_SECRET_ACCESS_KEY: 'wrong' },
    exit: EXIT.unreachable,
    says: [/SignatureDoesNotMatch \(HTTP 403/, nothingWritten],
    fix: /Check the AWS credentials/,
  },
  'a wrong access key': {
    inputs: base,
    env: { AWS_ACCESS_KEY_ID: 'nobody', AWS_SECRET_ACCESS_KEY: 'wrong' },
    exit: EXIT.unreachable,
    says: [/InvalidAccessKeyId \(HTTP 403/, nothingWritten],
    fix: /Check the AWS credentials/,
  },
  'no credentials at all': {
    inputs: base,
    env: noCredentials,
    exit: EXIT.unreachable,
    says: [/Could not load credentials from any providers/, nothingWritten],
    fix: /Check the AWS credentials/,
  },
  'a role without s3:GetBucketVersioning': {
    inputs: () => ({ ...base(), bucket: plain }),
    env: OTHER,
    exit: EXIT.unreachable,
    says: [/AccessDenied \(HTTP 403/, nothingWritten],
    fix: /needs s3:GetBucketVersioning on/,
  },
  'a role that may read but not write': {
    inputs: base,
    env: OTHER,
    exit: EXIT.failed,
    says: [/Writing failed at census\.zip: AccessDenied \(HTTP 403/, /census\.zip: not changed/],
    fix: /needs s3:PutObject/,
  },
  'an endpoint that is down': {
    inputs: () => ({ ...base(), 'endpoint-url': 'http://127.0.0.1:9' }),
    exit: EXIT.unreachable,
    says: [/ECONNREFUSED 127\.0\.0\.1:9/, nothingWritten],
    fix: /Check that the S3 endpoint \(http:\/\/127\.0\.0\.1:9\) is right and reachable/,
  },
  'an endpoint that is not S3 (it answers a web page)': {
    inputs: () => ({ ...base(), 'endpoint-url': notS3Url }),
    exit: EXIT.unreachable,
    says: [/XML parse error/, nothingWritten],
    fix: /is right and reachable, and that it is an S3 API/,
  },
  'a host that does not resolve': {
    inputs: () => ({ ...base(), 'endpoint-url': 'http://no-such-host.invalid:7480' }),
    exit: EXIT.unreachable,
    says: [/ENOTFOUND no-such-host\.invalid/, nothingWritten],
    fix: /is right and reachable/,
  },
  'a bucket without versioning': {
    inputs: () => ({ ...base(), bucket: plain }),
    exit: EXIT.failed,
    says: [/has versioning never enabled; a rollback needs it Enabled/],
  },
  'a key that did not exist at the target': {
    inputs: () => ({ ...base(), keys: 'census.zip\nlater.csv' }),
    exit: EXIT.failed,
    says: [
      /later\.csv: has no version at .* \(it did not exist yet\); set (--if-missing|'if-missing') to delete or skip/,
      nothingWritten,
    ],
  },
  'a version ID that does not exist': {
    inputs: () => ({ ...base(), 'to-time': '', keys: '', 'version-ids': 'usa.csv=nope' }),
    exit: EXIT.failed,
    says: [/usa\.csv: version nope does not exist/, nothingWritten],
  },
  'a prefix with no key': {
    inputs: () => ({ ...base(), keys: '', prefix: 'Data/' }),
    exit: EXIT.failed,
    says: [/Data\/: no key has any version under this prefix \(prefixes are case-sensitive\)/],
  },
  'a time in the future': {
    inputs: () => ({ ...base(), 'to-time': '2999-01-01T00:00:00Z' }),
    exit: EXIT.usage,
    says: [
      /(--to-time|Input 'to-time') has an invalid value "2999-01-01T00:00:00Z": expected a time in the past/,
    ],
  },
  'a time without a zone': {
    inputs: () => ({ ...base(), 'to-time': '2021-12-13 15:00' }),
    exit: EXIT.usage,
    says: [
      /to-time'? has an invalid value "2021-12-13 15:00": expected an ISO-8601 time with a zone/,
    ],
  },
  'no bucket': {
    inputs: () => ({ ...base(), bucket: '' }),
    exit: EXIT.usage,
    says: [/(missing flag --bucket|Input 'bucket' is missing): expected a bucket name/],
  },
  'no target': {
    inputs: () => ({ ...base(), 'to-time': '' }),
    exit: EXIT.usage,
    says: [/(missing flag --to-time|Input 'to-time' is missing): expected a target/],
  },
  'two targets': {
    inputs: () => ({ ...base(), 'version-ids': `usa.csv=${goodUsa}` }),
    exit: EXIT.usage,
    says: [
      /version-ids'? has an invalid value .*: expected to be empty when (--to-time|'to-time') is set/,
    ],
  },
  'a bad if-missing': {
    inputs: () => ({ ...base(), 'if-missing': 'maybe' }),
    exit: EXIT.usage,
    says: [/if-missing'? has an invalid value "maybe": expected one of fail, delete, skip/],
  },
  'a version-ids line without =': {
    inputs: () => ({ ...base(), 'to-time': '', keys: '', 'version-ids': 'usa.csv' }),
    exit: EXIT.usage,
    says: [
      /version-ids'? has an invalid value "usa\.csv": expected one key=versionId line per key/,
    ],
  },
  'a key listed twice': {
    inputs: () => ({ ...base(), keys: 'usa.csv\nusa.csv' }),
    exit: EXIT.usage,
    says: [/has an invalid value "usa\.csv": expected each object key once/],
  },
  'keys and a prefix': {
    inputs: () => ({ ...base(), prefix: 'data/' }),
    exit: EXIT.usage,
    says: [
      /has an invalid value "census\.zip": expected to be empty when (--prefix|'prefix') is set/,
    ],
  },
  'a concurrency of 0': {
    inputs: () => ({ ...base(), concurrency: '0' }),
    exit: EXIT.usage,
    says: [/concurrency'? has an invalid value "0": expected a whole number from 1 to 256/],
  },
  'an endpoint that is not a URL': {
    inputs: () => ({ ...base(), 'endpoint-url': '127.0.0.1:7480' }),
    exit: EXIT.usage,
    says: [/endpoint-url'? has an invalid value "127\.0\.0\.1:7480": expected an http\(s\) URL/],
  },
  'a malformed bucket owner': {
    inputs: () => ({ ...base(), 'expected-bucket-owner': '1234' }),
    exit: EXIT.usage,
    says: [
      /expected-bucket-owner'? has an invalid value "1234": expected a 12-digit AWS account ID/,
    ],
  },
}

/** Action inputs as flags: lists become repeated flags, 'true' a switch, '' nothing. */
function flags(inputs: Record<string, string>): string[] {
  return Object.entries(inputs).flatMap(([name, value]) => {
    if (value === '') return []
    if (value === 'true') return [`--${name}`]
    if (name === 'keys') return value.split('\n').flatMap((k) => ['--key', k])
    if (name === 'version-ids') return value.split('\n').flatMap((v) => ['--version-id', v])
    return [`--${name}`, value]
  })
}

describe('wrong inputs and broken environments: exit code, cause, fix, zero writes', () => {
  it.each(Object.entries(CASES))(
    '%s',
    async (_name, c) => {
      const before = await allVersions(s3, bucket)
      const cli = await runCli(['restore', ...flags(c.inputs())], c.env)
      const action = await runAction(c.inputs(), c.env)
      expect(await allVersions(s3, bucket)).toEqual(before)

      expect(`exit ${cli.code}: ${cli.stderr}`).toMatch(new RegExp(`^exit ${c.exit}: `))
      expect(cli.stdout).toBe('')
      for (const pattern of [...c.says, ...(c.fix ? [c.fix] : [])]) {
        expect(cli.stderr).toMatch(pattern)
        expect(action.stdout).toMatch(pattern)
      }
      if (c.fix) expect(cli.stderr).toMatch(/\nTo fix: /)
      if (c.exit === EXIT.usage) expect(cli.stderr).toContain(`Run '${cliLine()} restore --help'`)
      expect(cli.stderr).not.toMatch(/UnknownError|at .*\.js:\d+/)
      // The step fails with the same words, as an error line (and in the job summary).
      expect(action.code).toBe(1)
      expect(action.stdout).toMatch(/^::error/m)
      expect(action.summary).toMatch(c.says[0])
    },
    60_000,
  )

  it('has at least 20 rows', () => {
    expect(Object.keys(CASES).length).toBeGreaterThanOrEqual(20)
  })
})

describe('command-line mistakes', () => {
  it.each([
    [
      ['restore', '--bucket', 'b', '--to-tme', 'x'],
      /unknown flag --to-tme; did you mean --to-time\?/,
    ],
    [['restor', '--bucket', 'b'], /unknown command "restor"; did you mean restore\?/],
    [['restore', '--drill'], /--drill is a flag of verify, not restore/],
    [['verify', '--bucket'], /flag --bucket needs a value/],
    [
      ['restore', '--bucket', 'b', '--key', 'k', '--to-time', 'T', 'extra'],
      /unexpected argument "extra"/,
    ],
  ])('%j: exit 2, says what is wrong', async (argv, message) => {
    const run = await runCli(argv)
    expect(run.code).toBe(EXIT.usage)
    expect(run.stderr).toMatch(message)
    const as = cliLine().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    expect(run.stderr).toMatch(new RegExp(`Run '${as} (restore |verify )?--help' for usage\\.`))
  })

  it('verify names a missing bucket once, with the fix', async () => {
    const run = await runCli(['verify', ...flags({ ...base(), bucket: 'no-such-bucket-s3rb' })])
    expect(run.code).toBe(EXIT.failed)
    expect(run.stderr.match(/NoSuchBucket/g)).toHaveLength(1)
    expect(run.stderr).toMatch(/To fix: Check the bucket name no-such-bucket-s3rb/)
  })
})
