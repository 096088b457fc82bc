// The rough edges a new user met in the bundled action (issue 20): `node dist/index.js` as the
// runner runs it, against the real local S3 and, for chaining, the fake GitHub of the chain
// tests. Build the bundle first: npm run bundle.
import type { S3Client } from '@aws-sdk/client-s3'
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runAction, type ActionRun } from './helpers/action.js'
import { startFaultProxy, isCopyOf, type FaultProxy } from './helpers/faultproxy.js'
import { FakeGitHub, lifecycle } from './helpers/github.js'
import { added, allVersions, client, endpoint, newBucket, put, read, sleep } from './helpers/s3.js'

const TOKEN = 'ghs_edgesTokenThatMustNeverBeLogged'

let s3: S3Client
let scratch: string
let proxy: FaultProxy | undefined
let fake: FakeGitHub | undefined
beforeAll(async () => {
  s3 = client()
  scratch = await mkdtemp(join(tmpdir(), 's3-rollback-edges-action-'))
})
afterEach(async () => {
  await proxy?.close()
  proxy = undefined
  const violations = fake?.violations ?? []
  await fake?.close()
  fake = undefined
  expect(violations).toEqual([])
})
afterAll(async () => {
  s3?.destroy()
  await rm(scratch, { recursive: true, force: true })
})

const local = (): Record<string, string> => ({
  'endpoint-url': endpoint(),
  'force-path-style': 'true',
})

/** `n` keys under data/, each with a good version then a bad one; `at` is the good instant. */
async function corrupted(n = 2): Promise<{ bucket: string; at: string; keys: string[] }> {
  const bucket = await newBucket(s3)
  const keys = Array.from({ length: n }, (_, i) => `data/k${i}.csv`)
  for (const key of keys) await put(s3, bucket, key, `good ${key}`)
  const newest = (await allVersions(s3, bucket)).reduce(
    (t, e) => (e.lastModified > t ? e.lastModified : t),
    new Date(0),
  )
  await sleep(1100)
  for (const key of keys) await put(s3, bucket, key, `bad ${key}`)
  return { bucket, at: newest.toISOString(), keys }
}

/** The annotations of a run: the `::error` lines of its log. */
const errors = (run: ActionRun): string[] =>
  run.stdout.split('\n').filter((l) => l.startsWith('::error'))

describe('2. a plan-file that cannot be read', () => {
  it('fails the step naming the input, the value and the form; nothing is written', async () => {
    const { bucket } = await corrupted()
    const before = await allVersions(s3, bucket)
    const run = await runAction({ ...local(), bucket, 'plan-file': 'no-such.plan' })
    expect(run.code).toBe(1)
    expect(errors(run)).toEqual([
      expect.stringMatching(
        /^::error::Input 'plan-file' has an invalid value "no-such\.plan": expected the path of a readable plan file .*ENOENT/,
      ),
    ])
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })
})

describe('4. verify of a bucket younger than min-window', () => {
  it("names 'to-time' and 'min-window' as the fixes", async () => {
    const bucket = await newBucket(s3)
    await put(s3, bucket, 'census.zip', 'new')
    const run = await runAction({ ...local(), mode: 'verify', bucket, keys: 'census.zip' })
    expect(run.code).toBe(1)
    expect(errors(run)).toEqual([
      expect.stringMatching(
        /^::error title=s3-rollback verify .*::census\.zip: has no version at .*, the start of 'min-window' 7d \(it did not exist yet: .*give 'to-time' .* or a shorter 'min-window'/,
      ),
    ])
  })
})

describe('5. snapshot mode', () => {
  it("keeps the action's own syntax: to-snapshot: NAME", async () => {
    const { bucket } = await corrupted()
    const run = await runAction({
      ...local(),
      mode: 'snapshot',
      snapshot: 'last-good',
      bucket,
      prefix: 'data/',
    })
    expect(run.code).toBe(0)
    // the summary's step to roll back to it is in the action's syntax (a `with:` block)
    expect(run.summary).toMatch(/^ {2}to-snapshot: "?\d{8}T\d{6}Z-[0-9a-f]{6}"?$/m)
    expect(run.summary).not.toContain('--to-snapshot')
  })
})

describe('6. one annotation per failure', () => {
  it('an S3 error while writing: one annotation, with the put-back and the fix', async () => {
    const { bucket, at } = await corrupted(1)
    proxy = await startFaultProxy(endpoint(), {
      accessDenied: 1,
      only: (req) => isCopyOf(req, 'data/k0.csv'),
    })
    const run = await runAction({
      bucket,
      keys: 'data/k0.csv',
      'to-time': at,
      'endpoint-url': proxy.url,
      'force-path-style': 'true',
    })
    expect(run.code).toBe(1)
    expect(errors(run)).toEqual([
      expect.stringMatching(
        /^::error title=s3-rollback%3A data\/k0\.csv::Writing failed at data\/k0\.csv: AccessDenied.*put back.*To fix: /,
      ),
    ])
  })

  it('an S3 error before writing: one annotation', async () => {
    const { bucket, at } = await corrupted(1)
    const run = await runAction({
      bucket,
      keys: 'data/k0.csv',
      'to-time': at,
      'endpoint-url': 'http://127.0.0.1:9',
      'force-path-style': 'true',
    })
    expect(run.code).toBe(1)
    expect(errors(run)).toEqual([
      expect.stringMatching(/^::error title=.*::Checking the bucket .* failed: .*ECONNREFUSED/),
    ])
  })

  it('two keys that cannot be rolled back: two annotations', async () => {
    const { bucket, at } = await corrupted(1)
    const run = await runAction({
      ...local(),
      bucket,
      keys: 'data/k0.csv\nnope-1.csv\nnope-2.csv',
      'to-time': at,
    })
    expect(run.code).toBe(1)
    expect(errors(run)).toEqual([
      expect.stringMatching(/^::error title=s3-rollback%3A nope-1\.csv::nope-1\.csv: no such key/),
      expect.stringMatching(/^::error title=s3-rollback%3A nope-2\.csv::nope-2\.csv: no such key/),
    ])
    expect(run.stdout).toContain('Nothing was written: 2 key(s) cannot be rolled back')
  })

  it('verify: one annotation per problem', async () => {
    const { bucket, at } = await corrupted(1)
    const run = await runAction({
      ...local(),
      mode: 'verify',
      bucket,
      keys: 'data/k0.csv\nnope.csv',
      'to-time': at,
    })
    expect(run.code).toBe(1)
    expect(errors(run)).toEqual([
      expect.stringMatching(/^::error title=s3-rollback verify .*::nope\.csv: no such key/),
    ])
    expect(run.stdout).toContain('NOT restorable: 1 problem(s)')
  })
})

describe('9. what a run leaves in RUNNER_TEMP', () => {
  it('only the files its outputs name', async () => {
    const { bucket, at } = await corrupted()
    const temp = join(scratch, 'runner-temp')
    await mkdir(temp)
    const env = { RUNNER_TEMP: temp }
    const runs: Record<string, string>[] = [
      { keys: 'data/k0.csv', 'to-time': at, 'dry-run': 'true' },
      { keys: 'data/nope.csv', 'to-time': at, 'dry-run': 'true' },
      { prefix: 'data/', 'to-time': at, 'dry-run': 'true' },
      { keys: 'data/k0.csv', 'to-time': at },
      { prefix: 'data/', 'to-time': at },
    ]
    const named: string[] = []
    for (const inputs of runs) {
      const run = await runAction({ ...local(), bucket, ...inputs }, env)
      for (const output of ['plan-file', 'manifest-file', 'undo-file']) {
        if (run.outputs[output]) named.push(run.outputs[output].slice(temp.length + 1))
      }
    }
    const left: string[] = []
    for (const dir of await readdir(temp)) {
      for (const file of await readdir(join(temp, dir))) left.push(`${dir}/${file}`)
    }
    expect(left.sort()).toEqual(named.sort())
    expect(named).toHaveLength(2 + 2 + 2) // 2 plans, 2 manifests, 2 undo files
  })
})

describe('10. a plan applied a second time', () => {
  it('says it was already applied, writes nothing and succeeds', async () => {
    const { bucket, at, keys } = await corrupted()
    const dry = await runAction(
      { ...local(), bucket, prefix: 'data/', 'to-time': at, 'dry-run': 'true' },
      { RUNNER_TEMP: scratch },
    )
    const plan = join(scratch, `${bucket}.plan`)
    await copyFile(dry.outputs['plan-file'], plan)
    const first = await runAction({ ...local(), bucket, 'plan-file': plan })
    expect(first.outputs.changed).toBe('2')
    for (const key of keys) expect(await read(s3, bucket, key)).toBe(`good ${key}`)
    const before = await allVersions(s3, bucket)
    const again = await runAction({ ...local(), bucket, 'plan-file': plan })
    expect(again.code).toBe(0)
    expect(errors(again)).toEqual([])
    expect(again.outputs.changed).toBe('0')
    expect(again.outputs['plan-digest']).toBe(dry.outputs['plan-digest'])
    expect(again.stdout).toContain(
      `The saved plan ${dry.outputs['plan-digest']} was already applied: its 2 key(s) to write are as it wants them; nothing was written.`,
    )
    expect(again.summary).toContain('was already applied')
    expect(added(before, await allVersions(s3, bucket))).toEqual([])
  })
})

describe('11. the chained workflow cannot be reached after a restore', () => {
  const chained = async (
    apiUrl: string,
    extra: Record<string, string> = {},
  ): Promise<{ run: ActionRun; bucket: string }> => {
    const { bucket, at } = await corrupted(1)
    const run = await runAction(
      {
        ...local(),
        bucket,
        keys: 'data/k0.csv',
        'to-time': at,
        workflow: 'combine-tilefy.yml',
        'workflow-inputs': '{"year": "2021", "note": "re-run after rollback"}',
        'github-token': TOKEN,
        ...extra,
      },
      {
        GITHUB_API_URL: apiUrl,
        GITHUB_REF: 'refs/heads/main',
        GITHUB_REPOSITORY: 'usds/justice40-tool',
      },
    )
    expect(await read(s3, bucket, 'data/k0.csv')).toBe('good data/k0.csv')
    return { run, bucket }
  }

  it('no answer at all: says the data was rolled back and how to dispatch it by hand', async () => {
    const down = await new FakeGitHub({ token: TOKEN }).start()
    const url = down.url
    await down.close()
    const { run, bucket } = await chained(url, { 'wait-timeout': '2' })
    expect(run.code).toBe(1)
    const [error] = errors(run)
    const message = decodeURIComponent(error.replace(/%0A/g, '\n'))
    expect(errors(run)).toHaveLength(1)
    expect(message).toMatch(
      /^::error::Listing runs of combine-tilefy\.yml failed: no response \(.*ECONNREFUSED/,
    )
    expect(message).toContain(
      `The rollback itself is done: 1 key(s) of s3://${bucket} rolled back (1 restored, 0 deleted).`,
    )
    expect(message).toContain('combine-tilefy.yml was not dispatched. Dispatch it by hand:')
    const host = new URL(url).host
    expect(message).toContain(
      `  gh workflow run combine-tilefy.yml --repo ${host}/usds/justice40-tool --ref main -f year=2021 -f 'note=re-run after rollback'`,
    )
    expect(message).toContain(
      `or in GitHub: Actions → combine-tilefy.yml → Run workflow (http://${host}/usds/justice40-tool/actions/workflows/combine-tilefy.yml)`,
    )
    expect(run.summary).toContain('The rollback itself is done')
    const lines = run.stdout.split('\n')
    expect(lines.filter((l) => l.includes(TOKEN))).toEqual([`::add-mask::${TOKEN}`])
  })

  it('a dispatch without a clear answer: check the runs before dispatching by hand', async () => {
    fake = await new FakeGitHub({ token: TOKEN, workflow: { inputs: ['year', 'note'] } }).start()
    fake.fail({
      operationId: 'actions/create-workflow-dispatch',
      times: 1,
      status: 502,
      body: { message: 'Bad Gateway' },
    })
    const { run } = await chained(fake.url)
    expect(run.code).toBe(1)
    const message = errors(run)[0].replace(/%0A/g, '\n')
    expect(message).toContain('combine-tilefy.yml may have been dispatched')
    expect(message).toContain(
      `look for its run at ${fake.url}/usds/justice40-tool/actions/workflows/combine-tilefy.yml`,
    )
    expect(message).toContain('gh workflow run combine-tilefy.yml')
  })

  it('a run that failed: says the data was rolled back and links the run', async () => {
    fake = await new FakeGitHub({
      token: TOKEN,
      workflow: { inputs: ['year', 'note'] },
      lifecycle: (t) => lifecycle(t, [[0, 'completed', 'failure']]),
    }).start()
    const { run, bucket } = await chained(fake.url)
    expect(run.code).toBe(1)
    const message = errors(run)[0].replace(/%0A/g, '\n')
    expect(message).toMatch(/concluded failure: http/)
    expect(message).toContain(`The rollback itself is done: 1 key(s) of s3://${bucket}`)
    expect(message).not.toContain('gh workflow run')
  })
})
