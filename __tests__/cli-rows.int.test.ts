// The CLI's table lists the keys a run changes and counts the others (--all lists every key,
// --json keeps every row): a prefix of 40 keys with 3 changes prints 3 rows, not 40.
import type { S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { runCli } from './helpers/cli.js'
import { client, endpoint, newBucket, put, sleep } from './helpers/s3.js'

let s3: S3Client
beforeAll(() => {
  s3 = client()
})
afterAll(() => s3?.destroy())

/** Table rows of a key under the prefix (a line that starts with the key). */
const rowsOf = (stdout: string): string[] =>
  stdout.split('\n').filter((l) => l.startsWith('tiles/'))

describe('s3-rollback restore --prefix: the rows it prints', () => {
  it('lists the changed keys and counts the unchanged ones; --all and --json list every key', async () => {
    const bucket = await newBucket(s3)
    const key = (i: number): string => `tiles/${String(i).padStart(2, '0')}.pbf`
    for (let i = 0; i < 40; i++) await put(s3, bucket, key(i), `good ${i}`)
    await sleep(20)
    const at = new Date().toISOString()
    await sleep(20)
    for (const i of [4, 17, 33]) await put(s3, bucket, key(i), `bad ${i}`)
    const flags = [
      'restore',
      '--bucket',
      bucket,
      '--prefix',
      'tiles/',
      '--to-time',
      at,
      '--endpoint-url',
      endpoint(),
      '--force-path-style',
      '--dry-run',
    ]

    const plain = await runCli(flags)
    expect(plain.code).toBe(0)
    expect(rowsOf(plain.stdout).map((l) => l.split(' ')[0])).toEqual([key(4), key(17), key(33)])
    expect(plain.stdout).toContain(
      'Not listed: 37 unchanged keys (--all lists every key; --json has every row).',
    )

    const all = await runCli([...flags, '--all'])
    expect(all.code).toBe(0)
    expect(rowsOf(all.stdout)).toHaveLength(40)
    expect(all.stdout).not.toContain('Not listed')

    const json = await runCli([...flags, '--json'])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout).keys).toHaveLength(40)
  })

  it('refuses --all on a command that prints no key table', async () => {
    const run = await runCli(['verify', '--bucket', 'b', '--all'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--all is a flag of restore, not verify')
  })
})
