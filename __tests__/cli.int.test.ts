// The built CLI (dist/cli/index.js) as an operator runs it, against the real local S3.
import type { S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cliLine, runCli } from './helpers/cli.js'
import {
  added,
  allVersions,
  client,
  endpoint,
  modifiedAt,
  newBucket,
  put,
  read,
  sleep,
} from './helpers/s3.js'

let s3: S3Client
beforeAll(() => {
  s3 = client()
})
afterAll(() => s3?.destroy())

const local = (): string[] => ['--endpoint-url', endpoint(), '--force-path-style']

/** usa.csv and census.zip with a good version each, then a bad one; `at` is the good instant. */
async function corrupted(): Promise<{ bucket: string; at: string; good: string; bad: string }> {
  const bucket = await newBucket(s3)
  await put(s3, bucket, 'census.zip', 'census good')
  const good = await put(s3, bucket, 'usa.csv', 'usa good')
  const at = await modifiedAt(s3, bucket, 'usa.csv', good)
  await sleep(20)
  await put(s3, bucket, 'census.zip', 'census bad')
  const bad = await put(s3, bucket, 'usa.csv', 'usa bad')
  return { bucket, at, good, bad }
}

describe('s3-rollback (built CLI)', () => {
  it('--help lists the commands and exit codes; COMMAND --help every flag and examples', async () => {
    const run = await runCli(['--help'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`${cliLine()} restore [flags]`)
    expect(run.stdout).toMatch(/Exit codes:\n {2}0 {2}Done/)
    const restore = await runCli(['restore', '--help'])
    expect(restore.code).toBe(0)
    expect(restore.stdout).toContain(`${cliLine()} restore --bucket B --prefix P --to-time T`)
    expect(restore.stdout).toContain('--concurrency N')
    expect(restore.stdout).toContain('(default: 256)')
    expect(restore.stdout).toContain('Examples:')
    expect(restore.stdout).not.toContain('--drill-prefix')
    const version = await runCli(['--version'])
    expect(version).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^s3-rollback \d+\.\d+\.\d+\n$/),
    })
  })

  it.each([
    [['--bucket', 'b'], 'missing command before --bucket', ''],
    [['undo'], 'unknown command "undo"', ''],
    [['verify', '--bucket', 'b-1', '--keys', 'a', '--colour'], 'unknown flag --colour', 'verify '],
  ])('bad usage %j exits 2', async (args, message, command) => {
    const run = await runCli(args)
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(message)
    expect(run.stderr).toContain(`Run '${cliLine()} ${command}--help' for usage.`)
    expect(run.stdout).toBe('')
  })

  it('restore: rolls back and prints a table; progress goes to stderr', async () => {
    const { bucket, at, good, bad } = await corrupted()
    const run = await runCli([
      'restore',
      '--bucket',
      bucket,
      '--keys',
      'usa.csv,census.zip',
      '--to-time',
      at,
      ...local(),
    ])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`Rolled back s3://${bucket} to ${at}`)
    expect(run.stdout).toMatch(/^Key\s+Before\s+Restored\s+New version\s+Size\s+Action$/m)
    expect(run.stdout).toMatch(
      new RegExp(`^usa\\.csv\\s+${bad}\\s+${good}\\s+\\S+\\s+8 B\\s+restored$`, 'm'),
    )
    expect(run.stderr).toContain('== Resolving versions')
    expect(await read(s3, bucket, 'usa.csv')).toBe('usa good')
    expect(await read(s3, bucket, 'census.zip')).toBe('census good')
  })

  it('restore --dry-run --json prints the manifest and writes nothing', async () => {
    const { bucket, at, good } = await corrupted()
    const before = await allVersions(s3, bucket)
    const run = await runCli([
      'restore',
      '--bucket',
      bucket,
      '--key',
      'usa.csv',
      '--to-time',
      at,
      '--dry-run',
      '--json',
      ...local(),
    ])
    expect(run.code).toBe(0)
    const manifest = JSON.parse(run.stdout)
    expect(manifest).toMatchObject({ bucket, dryRun: true })
    expect(manifest.keys[0]).toMatchObject({ key: 'usa.csv', restoredVersionId: good })
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })

  it('restore that cannot be done exits 1 and writes nothing', async () => {
    const { bucket, at } = await corrupted()
    await put(s3, bucket, 'later.csv', 'created after the target')
    const before = await allVersions(s3, bucket)
    const run = await runCli([
      'restore',
      '--bucket',
      bucket,
      '--keys',
      'usa.csv,later.csv',
      '--to-time',
      at,
      ...local(),
    ])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('Nothing was written: 1 key(s) cannot be rolled back')
    expect(run.stderr).toContain('later.csv: has no version at')
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })

  it('verify: a table and a verdict; exit 0 when restorable', async () => {
    const { bucket, at } = await corrupted()
    const run = await runCli([
      'verify',
      '--bucket',
      bucket,
      '--keys',
      'usa.csv,census.zip',
      '--to-time',
      at,
      '--drill',
      '--drill-prefix',
      'drill/',
      ...local(),
    ])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^Versioning\s+Enabled$/m)
    expect(run.stdout).toMatch(
      /^usa\.csv\s+restorable\s+\S+\s+\S+\s+STANDARD\s+unlimited\s+copied, checked by size and ETag, removed\s+ok$/m,
    )
    expect(run.stdout).toContain(`Restorable: every key of s3://${bucket} can be rolled back`)
    expect(run.stderr).toMatch(/\[2\/2\] /)
    expect(run.stderr).toContain('Drill cleanup: removed 2 scratch versions')
  })

  it('verify --json: exit 1 and the report when a rollback would not work', async () => {
    const bucket = await newBucket(s3, 'Suspended')
    await put(s3, bucket, 'usa.csv', 'only copy')
    const run = await runCli([
      'verify',
      '--bucket',
      bucket,
      '--key',
      'usa.csv',
      '--min-window',
      '1m',
      '--json',
      ...local(),
    ])
    expect(run.code).toBe(1)
    const report = JSON.parse(run.stdout)
    expect(report).toMatchObject({ bucket, restorable: false, versioning: 'Suspended', window: 0 })
  })

  it.each([
    [['restore', '--to-time', 'yesterday'], '--to-time has an invalid value "yesterday"'],
    [['restore', '--to-time', '2021-12-13T15:00:00Z', '--part-size', '1MiB'], '--part-size'],
    [['verify', '--min-window', 'a week'], '--min-window has an invalid value "a week"'],
    [['verify', '--drill', '--drill-prefix', 'no-slash'], '--drill-prefix has an invalid value'],
    [['restore', '--to-time', '2021-12-13T15:00:00Z', '--drill'], '--drill is a flag of verify'],
  ])('bad flag value %j: exit 2, names the flag, writes nothing', async (args, message) => {
    const { bucket } = await corrupted()
    const before = await allVersions(s3, bucket)
    const [command, ...rest] = args
    const run = await runCli([command, '--bucket', bucket, '--key', 'usa.csv', ...rest, ...local()])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(message)
    expect(run.stdout).toBe('')
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })

  it('--profile picks credentials from the default chain (shared config files)', async () => {
    const { bucket, at } = await corrupted()
    const dir = await mkdtemp(join(tmpdir(), 's3-rollback-profile-'))
    try {
      const credentials = join(dir, 'credentials')
      await writeFile(
        credentials,
        `[ops]\naws_access_key_id = ${process.env.AWS_ACCESS_KEY_ID}\n` +
          `aws_secret_access_key = ${process.env.AWS_SECRET_ACCESS_KEY}\n`,
      )
      const env = {
        AWS_SHARED_CREDENTIALS_FILE: credentials,
        AWS_CONFIG_FILE: join(dir, 'none'),
        AWS_EC2_METADATA_DISABLED: 'true',
      }
      const args = ['verify', '--bucket', bucket, '--key', 'usa.csv', '--to-time', at, ...local()]
      const withProfile = await runCli([...args, '--profile', 'ops'], env)
      expect({ code: withProfile.code, stderr: withProfile.stderr }).toMatchObject({ code: 0 })
      const without = await runCli(args, env)
      expect(without.code).toBe(3)
      expect(without.stderr).toContain(
        `Checking the bucket s3://${bucket} failed: Could not load credentials from any providers`,
      )
      expect(without.stderr).toContain('To fix: Check the AWS credentials')
      expect(without.stdout).toBe('')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
