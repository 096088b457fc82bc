/**
 * Runner vs batch: how the costs of `engine: runner` and `engine: batch-operations` grow with the
 * number of keys to copy back.
 *
 * For each size in BENCH_BATCH_SCALE (default 1000,5000,20000), two buckets are seeded alike:
 * KEYS keys under p/, one good version each, then (after T) one bad version of every key, so
 * every key must be copied back. One bucket is rolled back to T by the runner engine, the other
 * by the batch engine (which goes first alternates by size), both in this process through
 * `rollback()` (src/engine/rollback.ts) with `concurrency` BENCH_CONCURRENCY (16). The batch
 * engine's S3 Control client (createControlClient) talks to the fake S3 Control of the tests
 * (__tests__/helpers/s3control.ts, started here), whose jobs run their copies against the same
 * local S3 with BENCH_FAKE_CONCURRENCY (16) tasks at once; `poll-interval` is BENCH_POLL (1 s).
 *
 * Measured per run: wall time of rollback(); every request this process's S3 client sent, by
 * operation (each attempt counts), and every S3 Control request; the manifest CSV bytes it
 * uploaded and the report bytes it read back; from the fake's jobs map, the job's time from
 * CreateJob to Complete and from the confirmation (UpdateJobStatus Ready) to Complete; the
 * polling lag (Complete on the fake until a DescribeJob saw it); the S3 requests the fake's job
 * made; and the keys not back at T afterwards (0 = correct).
 *
 * Then a table of AWS list prices per 1,000,000 keys, computed (not measured) from the largest
 * size's requests per key and the prices in PRICES below (see their sources and what is not
 * confirmed). The fake's speed says nothing about AWS's: the job's time on the fake is printed
 * for what it is, and the crossover is stated in terms of the runner's measured copies per second.
 *
 * npm run bench:batch; the output also goes to bench/results/batch-<time>.txt.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import type { S3ControlClient } from '@aws-sdk/client-s3-control'
import type { MiddlewareStack } from '@smithy/types'
import { type FakeJob, type FakeS3Control, start } from '../__tests__/helpers/s3control.js'
import { rollback } from '../src/engine/rollback.js'
import type { Logger } from '../src/lib/log.js'
import { createS3Client } from '../src/s3/client.js'
import { createControlClient } from '../src/s3/control.js'
import { parseSettings } from '../src/settings/index.js'
import {
  client,
  endpoint,
  envInt,
  envList,
  fixed,
  instant,
  isMain,
  mismatches,
  newBucket,
  parallel,
  put,
  removeBucket,
  total,
} from './lib.js'
import { elapsed, machine, transcript, writeResults } from './results-writer.js'

const ACCOUNT = '123456789012'
const ROLE = `arn:aws:iam::${ACCOUNT}:role/s3-rollback-batch`
const PREFIX = 'p/'

/**
 * AWS list prices used for the price table, and where each comes from. Only what a stored copy
 * of AWS's own page shows counts as confirmed; the rest is said to be unconfirmed.
 */
export const PRICES = {
  /** S3 Standard PUT, COPY, POST, LIST requests, per 1,000, us-east-1. */
  putClassPer1000: 0.005,
  /** S3 Standard GET, SELECT and all other requests (HEAD too), per 1,000, us-east-1. */
  getClassPer1000: 0.0004,
  /** S3 Batch Operations, per job. */
  jobFee: 0.25,
  /** S3 Batch Operations, per million objects processed. */
  perMillionObjects: 1.0,
}

const SOURCES = [
  'Prices: what was found, and what is not confirmed (searched 2026-11; prices change).',
  '- Batch Operations $0.25 per job and $1.00 per million objects processed: AWS S3 pricing page',
  '  https://aws.amazon.com/s3/pricing/ ("S3 Batch Operations pricing"), in a stored copy shown',
  '  for the Middle East (UAE) Region, which adds: "You are charged for S3 Batch Operations jobs,',
  '  objects, manifests, and requests in addition to any charges associated with the operation',
  '  that S3 Batch Operations performs on your behalf, including data transfer, requests, and',
  '  other charges." The us-east-1 figures were NOT seen on an AWS page; assumed the same (a',
  '  third-party page quoting Yelp Engineering also gives $0.25 per job:',
  '  https://sysdesign-wiki.pages.dev/systems/s3-batch-operations/).',
  '- PUT, COPY, POST, LIST $0.005 and GET/HEAD $0.0004 per 1,000 (S3 Standard, us-east-1): NOT',
  "  confirmed on AWS's page (the stored copies found show unrendered price placeholders, or the",
  '  UAE Region: $0.0055 and $0.00044); the us-east-1 figures are from third-party pages:',
  '  https://awsi.click/en/articles/s3-request-pricing-get-put-difference/ and',
  '  https://c3x.dev/blog/s3-request-fees-explained. The same AWS page copy says "LIST requests',
  '  for any storage class are charged at the same rate as S3 Standard PUT, COPY, and POST',
  '  requests" and "DELETE and CANCEL requests are free".',
  '- S3 Control requests (CreateJob, DescribeJob, UpdateJobStatus): no price found; not priced.',
  "- The job's own requests: priced as one CopyObject per key (what the job is asked to do). The",
  "  fake also makes a HeadObject per task; what AWS's job reads internally, and whether it is",
  '  billed, is not known here and is not priced.',
].join('\n')

/** Requests of the PUT, COPY, POST, LIST price class; DELETE and CANCEL are free. */
const PUT_CLASS = new Set([
  'CopyObject',
  'PutObject',
  'ListObjectVersions',
  'ListObjectsV2',
  'ListObjects',
  'UploadPartCopy',
  'UploadPart',
  'CreateMultipartUpload',
  'CompleteMultipartUpload',
  'PutObjectTagging',
  'PutObjectRetention',
  'PutObjectLegalHold',
])
const FREE = new Set(['DeleteObject', 'DeleteObjects', 'AbortMultipartUpload'])

/** Everything printed, for the results file. */
const { printed, say, show } = transcript()

/** One request as the instrumented client saw it. */
interface Sent {
  name: string
  /** When its answer came (ms since the epoch). */
  at: number
  /** DescribeJob: the job's status in the answer. */
  status?: string
}

/** What the instrumented client recorded. */
interface Recorded {
  counts: Record<string, number>
  sent: Sent[]
  /** Bytes of the CSV manifests uploaded (PutObject of a key ending in .csv under manifest-). */
  manifestBytes: number
  /** Bytes of GetObject answers (the batch engine reads its completion reports). */
  readBytes: number
}

/**
 * Counts every request a client sends (each attempt, after the SDK's retry step), by operation,
 * and notes the manifest bytes put, the bytes got, and the job status each DescribeJob answered.
 */
function instrument<I extends object, O extends object>(target: {
  middlewareStack: MiddlewareStack<I, O>
}): Recorded {
  const rec: Recorded = { counts: {}, sent: [], manifestBytes: 0, readBytes: 0 }
  target.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context.commandName ?? 'unknown').replace(/Command$/, '')
      rec.counts[name] = (rec.counts[name] ?? 0) + 1
      const input = args.input as { Key?: string; Body?: unknown }
      if (
        name === 'PutObject' &&
        /\/manifest-[^/]*\.csv$/.test(input.Key ?? '') &&
        typeof input.Body === 'string'
      ) {
        rec.manifestBytes += Buffer.byteLength(input.Body)
      }
      const result = await next(args)
      const sent: Sent = { name, at: Date.now() }
      if (name === 'DescribeJob') {
        sent.status = (result.output as { Job?: { Status?: string } }).Job?.Status
      }
      if (name === 'GetObject') {
        const headers = (result.response as { headers?: Record<string, string> }).headers
        rec.readBytes += Number(headers?.['content-length'] ?? 0)
      }
      rec.sent.push(sent)
      return result
    },
    { step: 'finalizeRequest', name: 'benchRecordRequests', priority: 'low' },
  )
  return rec
}

/** Seconds of each log group (the engine's phases), in order. */
interface Phase {
  name: string
  seconds: number
}

function phaseLogger(phases: Phase[]): Logger {
  return {
    info: () => {},
    warning: (m) => process.stderr.write(`warning: ${m}\n`),
    debug: () => {},
    group: async (name, fn) => {
      const started = Date.now()
      try {
        return await fn()
      } finally {
        phases.push({ name, seconds: (Date.now() - started) / 1000 })
      }
    },
  }
}

type Engine = 'runner' | 'batch'

interface Run {
  keys: number
  engine: Engine
  seconds: number
  written: number
  s3: Recorded
  control?: Recorded
  phases: Phase[]
  /** The batch run's job on the fake. */
  job?: {
    createToComplete: number
    readyToComplete: number
    pollLag: number
    tasks: number
    fakeRequests: Record<string, number>
  }
  wrong: number
}

/** `keys` keys under p/ in each bucket: a good version each, then after T a bad one. */
async function seed(s3: S3Client, buckets: string[], keys: number): Promise<string> {
  const names = Array.from(
    { length: keys },
    (_, i) => `${PREFIX}${String(i).padStart(6, '0')}.json`,
  )
  const round = (body: (key: string) => string): Promise<void> =>
    parallel(
      buckets.flatMap((bucket) => names.map((key) => () => put(s3, bucket, key, body(key)))),
      envInt('BENCH_SEED_CONCURRENCY', 48),
    )
  await round((key) => `${key} good `.padEnd(256, '.'))
  const at = await instant()
  // a different size, so planning needs no HeadObject to tell the versions apart
  await round((key) => `${key} BAD `.padEnd(200, '!'))
  return at
}

async function runOne(
  engine: Engine,
  keys: number,
  bucket: string,
  at: string,
  fake: FakeS3Control,
  fakeRequests: Recorded,
  check: S3Client,
): Promise<Run> {
  const inputs: Record<string, string> = {
    'endpoint-url': endpoint(),
    'force-path-style': 'true',
    bucket,
    prefix: PREFIX,
    'to-time': at,
    concurrency: String(envInt('BENCH_CONCURRENCY', 16)),
    ...(engine === 'batch'
      ? {
          engine: 'batch-operations',
          'batch-role-arn': ROLE,
          'batch-account-id': ACCOUNT,
          'poll-interval': String(envInt('BENCH_POLL', 1)),
        }
      : {}),
  }
  const settings = parseSettings((name) => inputs[name] ?? '')
  const s3 = createS3Client(settings.s3)
  const s3Rec = instrument(s3)
  let control: S3ControlClient | undefined
  let controlRec: Recorded | undefined
  if (engine === 'batch') {
    control = createControlClient(settings.s3)
    controlRec = instrument(control)
  }
  const jobsBefore = new Set(fake.jobs.keys())
  const fakeBefore = { ...fakeRequests.counts }
  const phases: Phase[] = []
  const started = Date.now()
  const manifest = await rollback(s3, settings, phaseLogger(phases), control ? { control } : {})
  const seconds = (Date.now() - started) / 1000
  s3.destroy()
  control?.destroy()
  const run: Run = {
    keys,
    engine,
    seconds,
    written: manifest.summary?.written ?? 0,
    s3: s3Rec,
    control: controlRec,
    phases,
    wrong: await mismatches(check, bucket, PREFIX, at),
  }
  const jobs = [...fake.jobs.values()].filter((j) => !jobsBefore.has(j.id))
  if (engine === 'batch') {
    if (jobs.length !== 1) throw new Error(`expected one job, the run made ${jobs.length}`)
    run.job = jobTimes(jobs[0], controlRec?.sent ?? [], diff(fakeRequests.counts, fakeBefore))
  }
  return run
}

function jobTimes(job: FakeJob, sent: Sent[], fakeRequests: Record<string, number>): Run['job'] {
  const end = job.terminationDate?.getTime() ?? NaN
  const ready = sent.find((s) => s.name === 'UpdateJobStatus')?.at ?? NaN
  const seen = sent.find((s) => s.name === 'DescribeJob' && s.status === 'Complete')?.at ?? NaN
  return {
    createToComplete: (end - job.creationTime.getTime()) / 1000,
    readyToComplete: (end - ready) / 1000,
    pollLag: (seen - end) / 1000,
    tasks: job.ran.length,
    fakeRequests,
  }
}

function diff(now: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(now))
    if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0)
  return out
}

const KINDS = ['ListObjectVersions', 'CopyObject', 'HeadObject', 'PutObject', 'GetObject']

function others(counts: Record<string, number>): string {
  const rest = Object.entries(counts).filter(([k]) => !KINDS.includes(k))
  return rest.length === 0 ? '0' : rest.map(([k, v]) => `${k} ${v}`).join(', ')
}

function controlText(rec?: Recorded): string {
  if (!rec) return '0'
  const c = rec.counts
  return `${total(c)} (Create ${c.CreateJob ?? 0}, Describe ${c.DescribeJob ?? 0}, Update ${c.UpdateJobStatus ?? 0})`
}

/** PUT-class and GET-class request counts (DELETE and CANCEL are free). */
function classes(counts: Record<string, number>): { put: number; get: number } {
  let putCount = 0
  let get = 0
  for (const [k, v] of Object.entries(counts)) {
    if (FREE.has(k)) continue
    if (PUT_CLASS.has(k)) putCount += v
    else get += v
  }
  return { put: putCount, get }
}

const money = (n: number): string => `$${n.toFixed(2)}`
const thousands = (n: number): string => Math.round(n).toLocaleString('en-US')

export async function batch(): Promise<string> {
  const sizes = envList('BENCH_BATCH_SCALE', [1000, 5000, 20000])
  const s3 = client()
  const fake = await start({
    s3Endpoint: endpoint(),
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    },
    accountId: ACCOUNT,
    roles: [ROLE],
    concurrency: envInt('BENCH_FAKE_CONCURRENCY', 16),
  })
  // the job's own requests: the fake's S3 client is private, reached here only to count them
  const fakeRequests = instrument((fake as unknown as { s3: S3Client }).s3)
  const previous = process.env.AWS_ENDPOINT_URL_S3_CONTROL
  process.env.AWS_ENDPOINT_URL_S3_CONTROL = fake.endpoint
  const runs: Run[] = []
  try {
    for (const [index, keys] of sizes.entries()) {
      const buckets = [await newBucket(s3, `batch${keys}r`), await newBucket(s3, `batch${keys}b`)]
      try {
        const seeded = Date.now()
        const at = await seed(s3, buckets, keys)
        say(`${keys} keys: seeded 2 buckets in ${fixed((Date.now() - seeded) / 1000, 0)} s`)
        const order: Engine[] = index % 2 === 0 ? ['runner', 'batch'] : ['batch', 'runner']
        for (const engine of order) {
          const run = await runOne(
            engine,
            keys,
            buckets[engine === 'runner' ? 0 : 1],
            at,
            fake,
            fakeRequests,
            s3,
          )
          runs.push(run)
          say(
            `  ${engine}: ${fixed(run.seconds, 1)} s, ${run.written} written, ${run.wrong} wrong; ` +
              run.phases
                .map((p) => `${p.name.replace(/ s3:\/\/\S+/, '')} ${fixed(p.seconds, 1)} s`)
                .join('; '),
          )
        }
      } finally {
        for (const bucket of buckets) await removeBucket(s3, bucket)
      }
    }
  } finally {
    if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_S3_CONTROL
    else process.env.AWS_ENDPOINT_URL_S3_CONTROL = previous
    await fake.stop()
    s3.destroy()
  }
  if (fake.violations.length > 0) {
    say(`\nThe fake S3 Control recorded violations:\n${fake.violations.join('\n')}`)
  }

  say(
    `\nRunner vs batch engine: every key copied back (concurrency ${envInt('BENCH_CONCURRENCY', 16)}; ` +
      `the fake's job runs ${envInt('BENCH_FAKE_CONCURRENCY', 16)} tasks at once; poll-interval ${envInt('BENCH_POLL', 1)} s)\n`,
  )
  show(
    [
      'keys',
      'engine',
      'seconds',
      'ListObjectVersions',
      'CopyObject',
      'HeadObject',
      'PutObject',
      'GetObject',
      'other S3',
      'S3 total',
      'S3 Control',
      'manifest CSV bytes',
      'report bytes read',
      'job on fake: CreateJob→Complete s',
      'Ready→Complete s',
      'poll lag s',
      'keys wrong after',
    ],
    runs.map((r) => [
      r.keys,
      r.engine,
      fixed(r.seconds, 1),
      ...KINDS.map((k) => r.s3.counts[k] ?? 0),
      others(r.s3.counts),
      total(r.s3.counts),
      controlText(r.control),
      r.engine === 'batch' ? r.s3.manifestBytes : '-',
      r.engine === 'batch' ? r.s3.readBytes : '-',
      r.job ? fixed(r.job.createToComplete, 1) : '-',
      r.job ? fixed(r.job.readyToComplete, 1) : '-',
      r.job ? fixed(r.job.pollLag, 1) : '-',
      r.wrong,
    ]),
  )
  say(
    "\nThe fake's job made these S3 requests (its own client; not this process's, and not AWS's):",
  )
  for (const r of runs) {
    if (r.job) {
      say(
        `  ${r.keys} keys: ${r.job.tasks} tasks; ` +
          Object.entries(r.job.fakeRequests)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
      )
    }
  }
  const runnerRates = runs
    .filter((r) => r.engine === 'runner')
    .map((r) => {
      const restore = r.phases.find((p) => p.name.startsWith('Restoring'))
      return { keys: r.keys, perSecond: restore ? r.written / restore.seconds : NaN }
    })
  say('\nRunner engine, copies per second in its write phase (copy + confirmation listing):')
  for (const r of runnerRates) say(`  ${r.keys} keys: ${fixed(r.perSecond, 0)} copies/s`)

  // prices per 1,000,000 keys, from the largest size's requests per key
  const largest = Math.max(...runs.map((r) => r.keys))
  const per = (engine: Engine): Run | undefined =>
    runs.find((r) => r.keys === largest && r.engine === engine)
  const million = 1_000_000
  const rows: Array<Array<string | number>> = []
  for (const engine of ['runner', 'batch'] as Engine[]) {
    const r = per(engine)
    if (!r) continue
    const scale = million / r.keys
    // per run, not per key: GetBucketVersioning, the batch engine's manifest PutObject and its
    // report GetObjects (one job here, as at a million keys of one storage class)
    const perRun = (k: string): boolean =>
      k === 'GetBucketVersioning' ||
      (engine === 'batch' && (k === 'PutObject' || k === 'GetObject'))
    const scaled = Object.fromEntries(
      Object.entries(r.s3.counts).map(([k, v]) => [k, perRun(k) ? v : v * scale]),
    )
    const { put: putCount, get: getCount } = classes(scaled)
    const jobCopies = engine === 'batch' ? million : 0
    const requestsCost =
      ((putCount + jobCopies) / 1000) * PRICES.putClassPer1000 +
      (getCount / 1000) * PRICES.getClassPer1000
    const jobFee = engine === 'batch' ? PRICES.jobFee : 0
    const objectsFee = engine === 'batch' ? PRICES.perMillionObjects : 0
    rows.push([
      engine,
      thousands(putCount),
      thousands(jobCopies),
      thousands(getCount),
      money(requestsCost),
      jobFee ? money(jobFee) : '-',
      objectsFee ? money(objectsFee) : '-',
      money(requestsCost + jobFee + objectsFee),
    ])
  }
  say(
    `\nAWS list prices per 1,000,000 keys copied back (computed, not measured: this process's ` +
      `requests per key at ${thousands(largest)} keys, scaled linearly; the job's copies at one ` +
      `CopyObject per key; PUT class $${PRICES.putClassPer1000}/1,000, GET class ` +
      `$${PRICES.getClassPer1000}/1,000, job $${PRICES.jobFee}, objects $${PRICES.perMillionObjects}/million)\n`,
  )
  show(
    [
      'engine',
      "this process's PUT/COPY/LIST requests",
      "job's CopyObject",
      "this process's GET/HEAD requests",
      'request charges',
      'job fee',
      'objects fee',
      'total',
    ],
    rows,
  )
  say(`\n${SOURCES}`)
  return printed.join('\n')
}

if (isMain(import.meta.url)) {
  const host = machine()
  console.log(`machine: ${host}\n`)
  const started = Date.now()
  const text = await batch()
  await writeResults('batch', [host, elapsed(started)], text)
}
