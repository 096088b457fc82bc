// The built CLI (dist/cli/index.js) under each supported Node line, Node 22 and Node 24 (the
// action's runtime), fetched from the npm registry by scripts/node.sh: it runs, and prints no
// runtime warning on stderr (the AWS SDK's NodeVersionSupportWarning, an ExperimentalWarning, a
// DeprecationWarning, …). Node 20, past its end of life, is the control: there the CLI says so
// in one line of its own (in place of the AWS SDK's eight-line warning), and the same check
// finds it.
import type { S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { runCli, type CliRun } from './helpers/cli.js'
import { nodeBinary, type NodeBinary } from './helpers/node.js'
import {
  added,
  allVersions,
  client,
  endpoint,
  modifiedAt,
  newBucket,
  put,
  sleep,
} from './helpers/s3.js'

/** Lines that name a warning: Node's `(node:PID) Warning: …`, ours `s3-rollback: warning: …`. */
const warningLines = (stderr: string): string[] =>
  stderr.split('\n').filter((line) => /warning/i.test(line))

const FETCH = 300_000 // a first fetch of a Node binary from the npm registry
const RUN = 30_000

let s3: S3Client
let bucket: string
let at: string
let good: string
beforeAll(async () => {
  s3 = client()
  bucket = await newBucket(s3)
  good = await put(s3, bucket, 'usa.csv', 'usa good')
  at = await modifiedAt(s3, bucket, 'usa.csv', good)
  await sleep(20)
  await put(s3, bucket, 'usa.csv', 'usa bad')
})
afterAll(() => s3?.destroy())

/** restore --dry-run of usa.csv to the good instant, checking that nothing was written. */
async function dryRun(node: string): Promise<CliRun> {
  const before = await allVersions(s3, bucket)
  const run = await runCli(
    [
      'restore',
      '--bucket',
      bucket,
      '--key',
      'usa.csv',
      '--to-time',
      at,
      '--dry-run',
      '--endpoint-url',
      endpoint(),
      '--force-path-style',
    ],
    undefined,
    node,
  )
  expect(added(before, await allVersions(s3, bucket))).toEqual([])
  return run
}

describe.each([22, 24])('the built CLI under Node %i', (major) => {
  let node: NodeBinary
  beforeAll(async () => {
    node = await nodeBinary(major)
  }, FETCH)

  it('is that Node', () => {
    expect(node.version).toMatch(new RegExp(`^v${major}\\.`))
  })

  it(
    '--help: usage on stdout, no warning on stderr',
    async () => {
      const run = await runCli(['--help'], undefined, node.path)
      expect(run.code).toBe(0)
      expect(run.stdout).toContain('index.js restore [flags]')
      expect(warningLines(run.stderr)).toEqual([])
    },
    RUN,
  )

  it(
    'restore --dry-run against the local S3: the plan, nothing written, no warning',
    async () => {
      const run = await dryRun(node.path)
      expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 })
      expect(run.stdout).toContain(`Dry run: plan for rolling back s3://${bucket} to ${at}`)
      expect(run.stdout).toMatch(
        new RegExp(`^usa\\.csv\\s+\\S+\\s+${good}\\s+—\\s+8 B\\s+would restore$`, 'm'),
      )
      expect(run.stderr).toContain('== Resolving versions') // stderr was read: progress goes there
      expect(warningLines(run.stderr)).toEqual([])
    },
    RUN,
  )
})

describe('control: Node 20 (end of life)', () => {
  it(
    "the same dry run prints one line about the Node, not the AWS SDK's warning; the check finds it",
    async () => {
      const node = await nodeBinary(20)
      expect(node.version).toMatch(/^v20\./)
      const run = await dryRun(node.path)
      expect(run.code).toBe(0)
      expect(warningLines(run.stderr)).toEqual([
        expect.stringMatching(/^s3-rollback: warning: Node v20\.\S+ is past its end of life/),
      ])
      expect(run.stderr).not.toContain('NodeVersionSupportWarning')
    },
    FETCH,
  )
})
