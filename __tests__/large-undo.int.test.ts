// An undo of any size goes through: a 3,000-key prefix rollback by the bundled action (1,500 keys
// changed), then its undo-file applied through version-ids-file, puts every key back, deleting no
// version; the same lines inline would not fit in the environment variable the runner passes.
// And the undo command the CLI prints runs as printed, against the local endpoint.
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawn, spawnSync } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { eachLimit } from '../src/lib/pool.js'
import { actionNode, runAction } from './helpers/action.js'
import { runCli } from './helpers/cli.js'
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
  type ListedEntry,
} from './helpers/s3.js'

let s3: S3Client
let temp: string
beforeAll(async () => {
  s3 = client()
  temp = await mkdtemp(join(tmpdir(), 's3-rollback-large-undo-'))
})
afterAll(async () => {
  s3?.destroy()
  if (temp) await rm(temp, { recursive: true, force: true })
})

const local = (): Record<string, string> => ({
  'endpoint-url': endpoint(),
  'force-path-style': 'true',
})

/** The most Linux passes in one environment variable or argument (MAX_ARG_STRLEN). */
const ENV_VALUE_LIMIT = 128 * 1024

const PREFIX = 'data-pipeline/'
/** Keys as long as real pipeline paths (66 characters), so that 1,500 undo lines pass 128 KiB. */
const keyOf = (i: number): string =>
  `${PREFIX}data/score/geojson/high/tracts/usa/tract-${String(i).padStart(6, '0')}.json`

/** The current entry of every key (the version or delete marker that is latest). */
function current(entries: ListedEntry[]): Map<string, ListedEntry> {
  return new Map(entries.filter((e) => e.isLatest).map((e) => [e.key, e]))
}

interface Row {
  key: string
  action: string
  previousVersionId: string | null
  restoredVersionId: string | null
  newVersionId: string | null
}

describe('an undo of a 3,000-key prefix rollback', () => {
  // shared with the undo file's line count below
  let undoLines: string[] = []

  it('goes through version-ids-file and puts every key back, deleting no version', async () => {
    const bucket = await newBucket(s3)
    // at T: 2,900 keys; after T: 1,250 overwritten, 150 deleted, 100 created (3,000 keys)
    const seeded = Array.from({ length: 2_900 }, (_, i) => i)
    await eachLimit(seeded, 32, async (i) => void (await put(s3, bucket, keyOf(i), `good ${i}`)))
    const last = await put(s3, bucket, keyOf(2_899), 'good 2899')
    const at = await modifiedAt(s3, bucket, keyOf(2_899), last)
    await sleep(50)
    const overwritten = seeded.filter((i) => i % 2 === 0 && i < 2_500)
    const deleted = seeded.filter((i) => i % 2 === 1 && i < 300)
    const created = Array.from({ length: 100 }, (_, i) => 2_900 + i)
    await eachLimit(
      overwritten,
      32,
      async (i) => void (await put(s3, bucket, keyOf(i), `bad ${i}`)),
    )
    await eachLimit(deleted, 32, async (i) => {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: keyOf(i) }))
    })
    await eachLimit(created, 32, async (i) => void (await put(s3, bucket, keyOf(i), `new ${i}`)))
    expect(overwritten.length + deleted.length + created.length).toBe(1_500)

    const before = await allVersions(s3, bucket)
    const beforeNow = current(before)
    expect(beforeNow.size).toBe(3_000)

    const rollback = await runAction(
      {
        ...local(),
        bucket,
        prefix: PREFIX,
        'to-time': at,
        'if-missing': 'delete',
        concurrency: '32',
      },
      { RUNNER_TEMP: temp },
    )
    expect(rollback.code).toBe(0)
    expect(rollback.outputs.changed).toBe('1500')
    const undoFile = rollback.outputs['undo-file']
    expect(undoFile.startsWith(temp)).toBe(true)
    expect(rollback.outputs['undo-version-ids']).toBe('') // the manifest leaves out 3,000 keys
    expect(rollback.summary).toContain('version-ids-file: ')

    const text = await readFile(undoFile, 'utf8')
    undoLines = text.split('\n').filter((l) => l !== '')
    // What undoes the run: the line of each key it changed. Inline, as `version-ids`, even these
    // lines alone pass what one environment variable can hold, and the runner could not start
    // the action (E2BIG: "Argument list too long").
    const changedKeys = new Set([...overwritten, ...deleted, ...created].map(keyOf))
    const inline = undoLines
      .filter((l) => changedKeys.has(l.slice(0, l.lastIndexOf('='))))
      .join('\n')
    expect(Buffer.byteLength(`INPUT_VERSION-IDS=${inline}`)).toBeGreaterThan(ENV_VALUE_LIMIT)
    const tooBig = spawnSync(actionNode, ['-e', ''], { env: { 'INPUT_VERSION-IDS': text } })
    expect((tooBig.error as NodeJS.ErrnoException | undefined)?.code).toBe('E2BIG')
    console.log(
      `undo.txt: ${Buffer.byteLength(text)} bytes, ${undoLines.length} lines; ` +
        `inline version-ids of the 1,500 changed keys: ${Buffer.byteLength(inline)} bytes`,
    )

    // the undo: undo-file as version-ids-file, relative to GITHUB_WORKSPACE as a step gives it
    const undoTemp = await mkdtemp(join(temp, 'undo-run-'))
    const undo = await runAction(
      {
        ...local(),
        bucket,
        'version-ids-file': relative(temp, undoFile),
        'if-missing': 'delete',
        concurrency: '32',
      },
      { GITHUB_WORKSPACE: temp, RUNNER_TEMP: undoTemp },
    )
    expect(undo.code).toBe(0)
    expect(undo.outputs.changed).toBe('1500')

    // The data's versions: the snapshot store holds the two runs' records besides.
    const after = (await allVersions(s3, bucket)).filter((e) => !e.key.startsWith('.s3-rollback/'))
    // no version was deleted: every entry before is still there, and each run added one per
    // key it changed (1,500 each)
    expect(added(before, after)).toHaveLength(3_000)
    expect(after.length).toBe(before.length + 3_000)
    const afterNow = current(after)
    expect(afterNow.size).toBe(3_000)
    const rows = new Map(
      (JSON.parse(undo.outputs.manifest) as { keys: Row[] }).keys.map((r) => [r.key, r]),
    )
    const wrong: string[] = []
    for (const [key, was] of beforeNow) {
      const is = afterNow.get(key)
      const row = rows.get(key)
      if (!changedKeys.has(key)) {
        // untouched by the rollback, and not in its undo: the very same current version
        if (is?.versionId !== was.versionId || row !== undefined) wrong.push(key)
      } else if (!is || !row) {
        wrong.push(`${key}: missing`)
      } else if (was.deleteMarker) {
        if (!is.deleteMarker || row.action !== 'deleted') wrong.push(`${key}: not deleted again`)
      } else if (
        is.deleteMarker ||
        is.eTag !== was.eTag ||
        is.size !== was.size ||
        row.restoredVersionId !== was.versionId
      ) {
        wrong.push(`${key}: not a copy of ${was.versionId}`)
      }
    }
    expect(wrong).toEqual([])
  }, 1_200_000)

  it('has an undo file of the changed keys only', () => {
    expect(undoLines.length).toBeGreaterThan(0)
    // undo file lists only changed keys
    expect(undoLines.length).toBe(1_500)
  })
})

/** Runs a printed command line in a shell, from another directory, as a person would. */
async function shell(line: string): Promise<{ code: number | null; output: string }> {
  const child = spawn('sh', ['-c', line], {
    cwd: tmpdir(),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
      ...(process.env.RUNNER_TEMP ? { RUNNER_TEMP: process.env.RUNNER_TEMP } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, output }
}

describe('the undo command the CLI prints', () => {
  const cli = realpathSync(new URL('../dist/cli/index.js', import.meta.url))
  const flags = (): string[] => ['--endpoint-url', endpoint(), '--force-path-style']
  const undoLine = (stdout: string): string => {
    const line = stdout.split('\n').find((l) => l.startsWith('To undo: '))
    if (!line) throw new Error(`no undo command in:\n${stdout}`)
    return line.slice('To undo: '.length)
  }

  /** a.csv and b.csv good at `at`, then a.csv bad and c.csv created. */
  async function corrupted(): Promise<{ bucket: string; at: string }> {
    const bucket = await newBucket(s3)
    await put(s3, bucket, 'p/a.csv', 'good a')
    const b = await put(s3, bucket, 'p/b.csv', 'good b')
    const at = await modifiedAt(s3, bucket, 'p/b.csv', b)
    await sleep(20)
    await put(s3, bucket, 'p/a.csv', 'bad a')
    await put(s3, bucket, 'p/c.csv', 'new c')
    return { bucket, at }
  }

  it('listed keys: inline --version-id flags, with the endpoint; it runs as printed', async () => {
    const { bucket, at } = await corrupted()
    const keys = ['--keys', 'p/a.csv,p/c.csv', '--if-missing', 'delete']
    const run = await runCli(['restore', '--bucket', bucket, ...keys, '--to-time', at, ...flags()])
    expect(run.code).toBe(0)
    const line = undoLine(run.stdout)
    expect(line).toMatch(new RegExp(`^node ${cli} restore --bucket ${bucket} --version-id `))
    expect(line).toContain(`--if-missing delete --endpoint-url ${endpoint()} --force-path-style`)
    expect(await read(s3, bucket, 'p/a.csv')).toBe('good a')
    const undo = await shell(line)
    expect(undo).toMatchObject({ code: 0 })
    expect(await read(s3, bucket, 'p/a.csv')).toBe('bad a')
    expect(await read(s3, bucket, 'p/c.csv')).toBe('new c')
  }, 120_000)

  it('a prefix: --version-ids-file with the undo file; it runs as printed', async () => {
    const { bucket, at } = await corrupted()
    const run = await runCli([
      'restore',
      '--bucket',
      bucket,
      '--prefix',
      'p/',
      '--to-time',
      at,
      '--if-missing',
      'delete',
      ...flags(),
    ])
    expect(run.code).toBe(0)
    const line = undoLine(run.stdout)
    const file = /^Undo lines: (.*)$/m.exec(run.stdout)?.[1] ?? ''
    expect(line).toBe(
      `node ${cli} restore --bucket ${bucket} --version-ids-file ${file} --if-missing delete ` +
        `--endpoint-url ${endpoint()} --force-path-style`,
    )
    const undo = await shell(line)
    expect(undo).toMatchObject({ code: 0 })
    expect(await read(s3, bucket, 'p/a.csv')).toBe('bad a')
    expect(await read(s3, bucket, 'p/b.csv')).toBe('good b')
    expect(await read(s3, bucket, 'p/c.csv')).toBe('new c')
  }, 120_000)
})
