/**
 * Shared helpers of the benchmarks (scripts that print numbers; not tests). They run against
 * the local S3 from scripts/local-s3.sh: S3_ENDPOINT_URL and the AWS_* variables.
 */
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { spawn } from 'node:child_process'
import {
  client,
  endpoint,
  newBucket as newTestBucket,
  put,
  settings,
  sleep,
} from '../__tests__/helpers/s3.js'

// The local S3's client, endpoint, writes and settings are the integration tests' own.
export { client, endpoint, put, settings, sleep }

/** A new versioned bucket, named bench-<label>-<random>. */
export function newBucket(s3: S3Client, label: string): Promise<string> {
  return newTestBucket(s3, 'Enabled', `bench-${label}`)
}

/**
 * Removes a benchmark bucket with every version in it (cleanup of the shared local S3). With
 * `concurrency` > 1, first one pass over the listing with that many DeleteObjects in flight (RGW
 * takes seconds per 1,000 versions, so 100,000 keys' worth takes long one at a time).
 */
export async function removeBucket(s3: S3Client, bucket: string, concurrency = 1): Promise<void> {
  if (concurrency > 1) await deleteVersions(s3, bucket, concurrency)
  for (;;) {
    const out = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1000 }))
    const ids = [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key ?? '',
      VersionId: v.VersionId,
    }))
    if (ids.length === 0) break
    await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: ids, Quiet: true } }),
    )
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }))
}

/** One pass over a bucket's listing, deleting each page with `concurrency` requests in flight. */
async function deleteVersions(s3: S3Client, bucket: string, concurrency: number): Promise<void> {
  const inFlight = new Set<Promise<void>>()
  let failure: unknown
  let keyMarker: string | undefined
  let versionIdMarker: string | undefined
  for (;;) {
    const out = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        MaxKeys: 1000,
        KeyMarker: keyMarker,
        VersionIdMarker: versionIdMarker,
      }),
    )
    const ids = [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key ?? '',
      VersionId: v.VersionId,
    }))
    if (ids.length > 0) {
      const sent: Promise<void> = s3
        .send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: ids, Quiet: true } }))
        .then(
          () => undefined,
          (e: unknown) => {
            failure ??= e
          },
        )
        .finally(() => inFlight.delete(sent))
      inFlight.add(sent)
      if (inFlight.size >= concurrency) await Promise.race(inFlight)
    }
    if (!out.IsTruncated || failure !== undefined) break
    keyMarker = out.NextKeyMarker
    versionIdMarker = out.NextVersionIdMarker
  }
  await Promise.all(inFlight)
  if (failure !== undefined) throw failure
}

/** Whether the module at `url` (its import.meta.url) is the script node was started with. */
export const isMain = (url: string): boolean => url === `file://${process.argv[1]}`

/** Runs jobs with at most `limit` at a time. */
export async function parallel(jobs: Array<() => Promise<unknown>>, limit: number): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, jobs.length) }, async () => {
      while (next < jobs.length) await jobs[next++]()
    }),
  )
}

/** A moment strictly between writes: waits, takes the time, waits again. */
export async function instant(): Promise<string> {
  await sleep(1100)
  const at = new Date().toISOString()
  await sleep(1100)
  return at
}

export interface Timed {
  seconds: number
  /** Peak resident set size of the command, from /usr/bin/time -v. */
  maxRssMiB: number
  /** CPU time of the command (user + system, its children included), from /usr/bin/time -v. */
  cpuSeconds: number
  stdout: string
  stderr: string
  code: number | null
}

/** Runs a command under /usr/bin/time -v: wall time, peak RSS and CPU time. */
export function timed(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn('/usr/bin/time', ['-v', command, ...args], { env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)
      const user = /User time \(seconds\): ([\d.]+)/.exec(stderr)
      const system = /System time \(seconds\): ([\d.]+)/.exec(stderr)
      const cpuSeconds = user && system ? Number(user[1]) + Number(system[1]) : NaN
      const maxRssMiB = rss ? Number(rss[1]) / 1024 : NaN
      resolve({ seconds, maxRssMiB, cpuSeconds, stdout, stderr, code })
    })
  })
}

/** Fails loudly with the command's output. */
export function check(run: Timed, what: string): Timed {
  if (run.code !== 0) {
    throw new Error(`${what} failed (exit ${run.code}):\n${run.stdout}\n${run.stderr.slice(-4000)}`)
  }
  return run
}

/** Env for Debian's awscli (/usr/bin/aws) and rclone: local endpoint, no custom CA bundle. */
export function toolEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra }
  delete env.AWS_CA_BUNDLE // points at a system bundle that rclone's SDK cannot load
  return env
}

/** rclone remotes `src` (the bucket as it was at `at`) and `dst` (as it is), from env vars. */
export function rcloneEnv(at: string): NodeJS.ProcessEnv {
  const remotes: Record<string, string> = {}
  for (const name of ['SRC', 'DST']) {
    remotes[`RCLONE_CONFIG_${name}_TYPE`] = 's3'
    remotes[`RCLONE_CONFIG_${name}_PROVIDER`] = 'Ceph'
    remotes[`RCLONE_CONFIG_${name}_ENDPOINT`] = endpoint()
    remotes[`RCLONE_CONFIG_${name}_ACCESS_KEY_ID`] = process.env.AWS_ACCESS_KEY_ID ?? ''
    remotes[`RCLONE_CONFIG_${name}_SECRET_ACCESS_KEY`] = process.env.AWS_SECRET_ACCESS_KEY ?? ''
    remotes[`RCLONE_CONFIG_${name}_REGION`] = 'us-east-1'
  }
  remotes.RCLONE_CONFIG_SRC_VERSION_AT = at
  return toolEnv(remotes)
}

/** A number with `digits` decimals. */
export const fixed = (n: number, digits = 2): string =>
  Number.isFinite(n) ? n.toFixed(digits) : 'n/a'

/** Prints rows as an aligned text table (and returns it). */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const all = [header, ...rows.map((r) => r.map(String))]
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i])).join('  ')
  const text = [
    line(all[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...all.slice(1).map(line),
  ].join('\n')
  console.log(text)
  return text
}

/** A positive integer from the environment, or the default. */
export function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name])
  return Number.isFinite(value) && value > 0 ? value : fallback
}

/** A comma-separated list of positive integers from the environment, or the default. */
export function envList(name: string, fallback: number[]): number[] {
  const value = process.env[name]
  if (!value) return fallback
  return value
    .split(',')
    .map((v) => Number(v.trim()))
    .filter((n) => n > 0)
}

/** What one run of bench/action.ts reports. */
export interface ActionRun extends Timed {
  /** Seconds inside rollback() (without process start). */
  inner: number
  requests: Record<string, number>
  summary?: { written: number; restored: number; keys: number; versions: number }
}

/** Runs the action in a child process under /usr/bin/time -v. */
export async function runAction(inputs: Record<string, string>): Promise<ActionRun> {
  const script = new URL('./action.js', import.meta.url).pathname
  const run = check(await timed(process.execPath, [script, JSON.stringify(inputs)]), 'the action')
  const last = run.stdout.trim().split('\n').pop() ?? '{}'
  const report = JSON.parse(last) as {
    seconds: number
    requests: Record<string, number>
    summary?: ActionRun['summary']
  }
  return { ...run, inner: report.seconds, requests: report.requests, summary: report.summary }
}

/** Total of a request count table. */
export const total = (counts: Record<string, number>): number =>
  Object.values(counts).reduce((a, b) => a + b, 0)

/**
 * A prefix of `keys` small objects: `before` versions each up to T, then `after` more versions
 * of every other key. Returns T. Seeds several buckets at once with the same layout.
 */
export async function seedPrefix(
  s3: S3Client,
  buckets: string[],
  options: { keys: number; before: number; after: number; bytes?: number; limit?: number },
): Promise<string> {
  const body = (key: string, n: number): string =>
    `${key} version ${n} `.padEnd(options.bytes ?? 1024, '.')
  const names = Array.from(
    { length: options.keys },
    (_, i) => `p/${String(i).padStart(6, '0')}.json`,
  )
  const jobs = (from: number, to: number, every: number): Array<() => Promise<unknown>> =>
    buckets.flatMap((bucket) =>
      names
        .filter((_, i) => i % every === 0)
        .flatMap((key) =>
          Array.from({ length: to - from }, (_, n) => async () => {
            await put(s3, bucket, key, body(key, from + n))
          }),
        ),
    )
  // Versions of one key are written in order: one round per version.
  for (let n = 0; n < options.before; n++) await parallel(jobs(n, n + 1, 1), options.limit ?? 32)
  const at = await instant()
  for (let n = 0; n < options.after; n++) {
    await parallel(jobs(options.before + n, options.before + n + 1, 2), options.limit ?? 32)
  }
  return at
}

/** Keys under `prefix` whose current state is not the state at `at` (0 when restored). */
export async function mismatches(
  s3: S3Client,
  bucket: string,
  prefix: string,
  at: string,
): Promise<number> {
  const { keyHistories } = await import('../src/s3/listing.js')
  const { currentEntry, entryAt, isAbsent } = await import('../src/history/select.js')
  let wrong = 0
  for await (const { entries } of keyHistories(s3, { bucket, prefix })) {
    const wanted = entryAt(entries, new Date(at))
    const current = currentEntry(entries)
    const ok = isAbsent(wanted)
      ? isAbsent(current)
      : !isAbsent(current) && current?.eTag === wanted?.eTag && current?.size === wanted?.size
    if (!ok) wrong++
  }
  return wrong
}
