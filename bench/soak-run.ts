/**
 * The randomized fault soak, shared by `npm run soak` (bench/soak.ts) and
 * __tests__/soak.int.test.ts. Each run seeds a fresh bucket, runs the bundled CLI
 * (dist/cli/index.js) once through fault proxies with a seeded schedule (random faults, SIGKILL,
 * faults that exhaust the SDK's retries on a key or in a phase, an outage during the put-back),
 * then twice more without faults, and checks the invariants against the real server (never
 * through the proxies):
 *  1. no version or delete marker is lost;
 *  2. exit 0 ⇒ every selected key is at the target (the content current at T, or absent);
 *  3. non-zero exit ⇒ every selected key's current content is what it was before the run;
 *  4. a clean re-run exits 0 and leaves every key at the target;
 *  5. a second clean re-run writes nothing (no write request, manifest: 0 changed);
 *  6. no multipart upload is left open.
 * Besides: keys outside the selection are never changed (scope), and the harness itself (a hang,
 * a usage error, an exception) is reported as a violation too.
 *
 * Nothing from src/ is imported here (its paths change); the S3 client comes from bench/lib.ts.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  operation,
  startFaultProxy,
  type FaultProxy,
  type Faults,
  type ProxyStats,
} from '../__tests__/helpers/faultproxy.js'
import { allVersions } from '../__tests__/helpers/s3.js'
import { client, endpoint, newBucket, parallel, removeBucket, sleep } from './lib.js'

const MiB = 1024 * 1024
/** The prefix of a prefix run; keys mode picks keys under it too. */
export const PREFIX = 'p/'
/**
 * Options of the runs with big objects. No low threshold: a source uploaded in parts is copied
 * in parts with its own layout; a single-part one with one CopyObject (a single-part source
 * forced into parts could not be proven unchanged by a later run: see docs/semantics.md).
 */
const MULTIPART_FLAGS: string[] = []

export type Mode = 'keys' | 'prefix'
export type ScheduleKind = 'random' | 'kill' | 'key-down' | 'lost-answers' | 'phase'
export type FaultKind = keyof ProxyStats['faults']
const FAULT_KINDS: readonly FaultKind[] = ['resetBefore', 'resetAfter', 'slowDown', 'stall']

export type Invariant =
  'lost' | 'target' | 'put-back' | 'converge' | 'idempotent' | 'uploads' | 'scope' | 'harness'

export const INVARIANTS: Record<Invariant, string> = {
  lost: '1 no version or delete marker lost',
  target: '2 exit 0 => every key at the target',
  'put-back': '3 failure => every key as before the run',
  converge: '4 a clean re-run converges',
  idempotent: '5 a second clean re-run writes nothing',
  uploads: '6 no multipart upload left open',
  scope: '+ keys outside the selection untouched',
  harness: '+ harness (hang, usage error, exception)',
}

export interface Violation {
  run: number
  seed: number
  mode: Mode
  schedule: string
  invariant: Invariant
  detail: string
}

/** What the test (or a reproduction) can fix for one run; the rest is drawn from its seed. */
export interface RunChoice {
  mode?: Mode
  kind?: ScheduleKind
  multipart?: boolean
  /** Plain keys under the prefix (default 20 to 60; awkward and big keys come on top). */
  keys?: number
}

export interface SoakOptions {
  runs: number
  /** Every run's data and schedule derive from this and the run number. */
  seed: number
  /** Modes, taken in turn by run number. */
  modes: readonly Mode[]
  /** Only these run numbers (1-based), e.g. to reproduce one; default all. */
  only?: readonly number[]
  /** The Node binary that runs the bundle (Node 24, the runtime). */
  node: string
  /** The bundled CLI, dist/cli/index.js. */
  cli: string
  /** Runs at once, each with its own proxies (default 1). */
  parallel?: number
  /** A CLI invocation running longer than this is killed and reported (default 180 s). */
  timeoutMs?: number
  /** Fixes parts of a run (for the test); undefined: all drawn at random. */
  choose?: (run: number) => RunChoice | undefined
  /** Called with a line per run as it ends. */
  log?: (line: string) => void
  /** Where to keep each invocation's stdout and stderr (run-N-phase.log); default nowhere. */
  logDir?: string
}

export interface RunResult {
  run: number
  seed: number
  mode: Mode
  kind: ScheduleKind
  schedule: string
  multipart: boolean
  concurrency: number
  /** Keys given to the CLI (keys mode) or under the prefix. */
  keys: number
  /** Of those, keys whose current content is not the target's. */
  toWrite: number
  exit: number | null
  killed: boolean
  /** Multipart uploads a SIGKILLed run left open (for the bucket's lifecycle rule to abort). */
  leftOpenByKill?: number
  /** Entries the faulty run added (before a failure: what the put-back had to undo). */
  added: number
  faults: Record<FaultKind, number>
  /** Write requests (PUT, POST, DELETE) seen by the outermost proxy, by phase. */
  writes: Record<Phase, number>
  /** Requests by operation over the three invocations (outermost proxy). */
  ops: Record<string, number>
  seconds: number
  /** Seconds spent seeding, in each invocation, and listing and reading for the checks. */
  timing: Record<Phase | 'seed' | 'checks', number>
  violations: Violation[]
}

/** The three invocations of a run: with faults, then two clean re-runs. */
export type Phase = 'faulty' | 'rerun' | 'second'

export interface SoakReport {
  runs: RunResult[]
  violations: Violation[]
  seconds: number
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness

/** mulberry32: small, fast, seeded. */
export class Rng {
  private a: number
  constructor(seed: number) {
    this.a = seed >>> 0
  }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0
    let t = this.a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list')
    return items[Math.floor(this.next() * items.length)]
  }
  weighted<T extends string>(weights: Record<T, number>): T {
    const entries = Object.entries(weights) as Array<[T, number]>
    let roll = this.next() * entries.reduce((a, [, w]) => a + w, 0)
    for (const [name, w] of entries) {
      roll -= w
      if (roll < 0) return name
    }
    return entries[entries.length - 1][0]
  }
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items]
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1))
      ;[out[i], out[j]] = [out[j], out[i]]
    }
    return out
  }
  bytes(n: number): Uint8Array {
    const words = new Uint32Array(Math.ceil(n / 4))
    for (let i = 0; i < words.length; i++) words[i] = Math.floor(this.next() * 4294967296)
    return new Uint8Array(words.buffer, 0, n)
  }
}

/** The seed of run `run` of a soak seeded with `seed`. */
export function runSeed(seed: number, run: number): number {
  return createHash('sha256').update(`${seed}:${run}`).digest().readUInt32LE(0)
}

// ---------------------------------------------------------------------------------------------
// Data: what each key holds before and after T

type KeyKind =
  | 'unchanged'
  | 'overwritten'
  | 'deleted'
  | 'recreated'
  | 'created'
  | 'created-deleted'
  | 'touched'
  | 'absent-at-T'

type Step = { put: Uint8Array; multipart: boolean } | { del: true }

interface KeyPlan {
  key: string
  kind: KeyKind
  big: boolean
  before: Step[]
  after: Step[]
  /** Under the prefix (prefix mode selects these). */
  inPrefix: boolean
  /** Given to this run (keys mode: a random subset of the keys under the prefix). */
  selected: boolean
  /** Fingerprint of the content at T (null: absent). */
  target: string | null
}

/** Keys whose names have been trouble for S3 clients and stores; a few go into every run. */
const AWKWARD = [
  'p/with space.txt',
  'p/two  spaces /and trailing dir.txt',
  'p/ünïcödé/naïve café.json',
  'p/日本語/データ.csv',
  'p/emoji 🎉.txt',
  'p/plus+sign+key.csv',
  'p/percent%20literal%2F.txt',
  'p/a&b=c;d,e.txt',
  "p/quote'and(paren)!*.txt",
  'p/tilde~and@at$.txt',
]
/** Keys outside the prefix: never selected, never to change. */
const OUTSIDE = ['q/outside.txt', 'pp/not-under-p.txt', 'p']

const KIND_WEIGHTS: Record<KeyKind, number> = {
  unchanged: 20,
  overwritten: 30,
  deleted: 12,
  recreated: 6,
  created: 12,
  'created-deleted': 5,
  touched: 7,
  'absent-at-T': 8,
}

/** size:md5 of some bytes: what "the same content" means here. */
export function fingerprint(bytes: Uint8Array): string {
  return `${bytes.length}:${createHash('md5').update(bytes).digest('hex')}`
}

function stepsFor(rng: Rng, kind: KeyKind, content: (n: number) => Step): [Step[], Step[]] {
  const versions = (n: number, from = 0): Step[] =>
    Array.from({ length: n }, (_, i) => content(from + i))
  const del: Step = { del: true }
  switch (kind) {
    case 'unchanged':
      return [versions(rng.int(1, 3)), []]
    case 'overwritten':
      return [versions(rng.int(1, 3)), versions(rng.int(1, 2), 10)]
    case 'deleted':
      return [versions(rng.int(1, 2)), [del]]
    case 'recreated':
      return [versions(rng.int(1, 2)), [del, content(10)]]
    case 'created':
      return [[], versions(rng.int(1, 2), 10)]
    case 'created-deleted':
      return [[], [content(10), del]]
    case 'touched': {
      const before = versions(rng.int(1, 2))
      const last = before[before.length - 1]
      return [before, 'put' in last ? [{ put: last.put, multipart: rng.chance(0.5) }] : []]
    }
    case 'absent-at-T':
      return [[content(0), del], [content(10)]]
  }
}

function stateAfter(steps: readonly Step[]): string | null {
  const last = steps[steps.length - 1]
  return last && 'put' in last ? fingerprint(last.put) : null
}

/** The keys of one run and their histories, drawn from the run's seed. */
function layout(rng: Rng, mode: Mode, multipart: boolean, count?: number): KeyPlan[] {
  const plans: KeyPlan[] = []
  const add = (key: string, kind: KeyKind, big: boolean): void => {
    const content = (n: number): Step => {
      if (big) return { put: rng.bytes(11 * MiB + rng.int(0, 4096)), multipart: rng.chance(0.5) }
      const size = rng.int(16, 4096)
      const text = `${key}\nversion ${n} ${rng.int(0, 1e9)}\n`.padEnd(size, String(n % 10))
      return { put: new TextEncoder().encode(text), multipart: false }
    }
    const [before, after] = stepsFor(rng, kind, content)
    const inPrefix = key.startsWith(PREFIX)
    plans.push({ key, kind, big, before, after, inPrefix, selected: false, target: null })
  }
  const kinds = Object.keys(KIND_WEIGHTS) as KeyKind[]
  const n = rng.int(20, 60)
  const plain = count ?? n
  for (let i = 0; i < plain; i++) {
    const dir = ['', 'd1/', 'd2/deep/', 'csv/'][i % 4]
    add(`${PREFIX}${dir}k${String(i).padStart(3, '0')}.json`, rng.weighted(KIND_WEIGHTS), false)
  }
  for (const key of rng.shuffle(AWKWARD).slice(0, rng.int(2, 4))) {
    add(key, rng.pick(kinds), false)
  }
  if (multipart) {
    const big = rng.int(2, 3)
    for (let i = 0; i < big; i++) {
      const kind =
        i === 0 ? 'overwritten' : rng.pick<KeyKind>(['overwritten', 'deleted', 'unchanged'])
      add(`${PREFIX}big/b${i}.bin`, kind, true)
    }
  }
  for (const key of OUTSIDE) add(key, rng.pick<KeyKind>(['overwritten', 'unchanged']), false)
  const share = 0.5 + rng.next() / 2
  for (const plan of plans) {
    plan.target = stateAfter(plan.before)
    plan.selected = plan.inPrefix && (mode === 'prefix' || plan.big || rng.chance(share))
  }
  // Keys mode: at least one selected key to write.
  if (!plans.some((p) => p.selected && needsWrite(p))) {
    const candidate = plans.find((p) => p.inPrefix && needsWrite(p))
    if (candidate) candidate.selected = true
  }
  return plans
}

const needsWrite = (p: KeyPlan): boolean => p.target !== stateAfter([...p.before, ...p.after])

async function writeStep(s3: S3Client, bucket: string, key: string, step: Step): Promise<void> {
  if ('del' in step) {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
    return
  }
  if (!step.multipart) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: step.put }))
    return
  }
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))
  const parts = []
  for (let start = 0, n = 1; start < step.put.length; start += 5 * MiB, n++) {
    const body = step.put.subarray(start, Math.min(start + 5 * MiB, step.put.length))
    const out = await s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: n, Body: body }),
    )
    parts.push({ PartNumber: n, ETag: out.ETag })
  }
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: parts },
    }),
  )
}

/** Writes one step of every key per round, so that the versions of a key come in order. */
async function writeSteps(
  s3: S3Client,
  bucket: string,
  plans: readonly KeyPlan[],
  phase: 'before' | 'after',
): Promise<void> {
  const rounds = Math.max(0, ...plans.map((p) => p[phase].length))
  for (let r = 0; r < rounds; r++) {
    const jobs = plans
      .filter((p) => p[phase].length > r)
      .map((p) => () => writeStep(s3, bucket, p.key, p[phase][r]))
    await parallel(jobs, 16)
    await sleep(3) // distinct LastModified (milliseconds) for the versions of one key
  }
}

/** Seeds the bucket; returns T (strictly after every entry before it, before every one after). */
async function seedBucket(
  s3: S3Client,
  bucket: string,
  plans: readonly KeyPlan[],
): Promise<string> {
  await writeSteps(s3, bucket, plans, 'before')
  const early = await listAll(s3, bucket)
  const last = Math.max(...early.map((e) => e.lastModified.getTime()))
  const at = new Date(last + 1)
  await sleep(10)
  await writeSteps(s3, bucket, plans, 'after')
  const known = new Set(early.map(entryId))
  const late = (await listAll(s3, bucket)).filter((e) => !known.has(entryId(e)))
  const tooEarly = late.find((e) => e.lastModified.getTime() <= at.getTime())
  if (tooEarly) {
    throw new Error(`seeding: ${tooEarly.key} written after T has LastModified <= T`)
  }
  return at.toISOString()
}

// ---------------------------------------------------------------------------------------------
// The real server's state

interface Entry {
  key: string
  versionId: string
  deleteMarker: boolean
  isLatest: boolean
  lastModified: Date
  size: number
  eTag: string
}

const entryId = (e: Pick<Entry, 'key' | 'versionId'>): string => `${e.key}\u0000${e.versionId}`

async function listAll(s3: S3Client, bucket: string): Promise<Entry[]> {
  return (await allVersions(s3, bucket)).map((e) => ({
    ...e,
    size: e.size ?? 0,
    eTag: (e.eTag ?? '').replace(/"/g, ''),
  }))
}

/** Every entry of a bucket, and each key's current content (fingerprint; null: absent). */
interface Snapshot {
  ids: Set<string>
  entries: Entry[]
  current: Map<string, string | null>
  currentVersion: Map<string, string>
}

/** Fingerprints of versions (immutable, so cached): the ETag when it is the MD5, else a GET. */
class Fingerprints {
  private readonly cache = new Map<string, string>()
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async of(entry: Entry): Promise<string | null> {
    if (entry.deleteMarker) return null
    if (/^[0-9a-f]{32}$/.test(entry.eTag) && entry.size < 5 * MiB) {
      return `${entry.size}:${entry.eTag}`
    }
    const id = entryId(entry)
    const known = this.cache.get(id)
    if (known) return known
    const out = await this.s3.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: entry.key, VersionId: entry.versionId }),
    )
    const bytes = (await out.Body?.transformToByteArray()) ?? new Uint8Array()
    const print = fingerprint(bytes)
    this.cache.set(id, print)
    return print
  }

  async snapshot(): Promise<Snapshot> {
    const entries = await listAll(this.s3, this.bucket)
    const current = new Map<string, string | null>()
    const currentVersion = new Map<string, string>()
    const latest = entries.filter((e) => e.isLatest)
    await parallel(
      latest.map((e) => async () => {
        current.set(e.key, await this.of(e))
        currentVersion.set(e.key, `${e.deleteMarker ? 'delete marker' : 'version'} ${e.versionId}`)
      }),
      8,
    )
    return { ids: new Set(entries.map(entryId)), entries, current, currentVersion }
  }
}

const shown = (print: string | null | undefined): string =>
  print === null || print === undefined ? 'absent' : print.slice(0, 20)

/** Entries of `before` missing from `after`. */
function lostEntries(before: Snapshot, after: Snapshot): string[] {
  return before.entries
    .filter((e) => !after.ids.has(entryId(e)))
    .map((e) => `${e.key}@${e.versionId}${e.deleteMarker ? ' (delete marker)' : ''}`)
}

interface Mismatch {
  key: string
  text: string
}

/** Keys of `plans` whose current content is not `wanted(plan)`. */
function mismatches(
  plans: readonly KeyPlan[],
  now: Snapshot,
  wanted: (p: KeyPlan) => string | null,
): Mismatch[] {
  return plans
    .filter((p) => (now.current.get(p.key) ?? null) !== wanted(p))
    .map((p) => ({
      key: p.key,
      text:
        `${JSON.stringify(p.key)} (${p.kind}${p.big ? ', big' : ''}): want ${shown(wanted(p))}, ` +
        `current ${shown(now.current.get(p.key))} (${now.currentVersion.get(p.key) ?? 'no entry'})`,
    }))
}

function list(items: ReadonlyArray<string | Mismatch>, max = 6): string {
  const texts = items.map((i) => (typeof i === 'string' ? i : i.text))
  const more = texts.length > max ? `; and ${texts.length - max} more` : ''
  return `${texts.length}: ${texts.slice(0, max).join('; ')}${more}`
}

async function openUploads(s3: S3Client, bucket: string): Promise<Array<[string, string]>> {
  const uploads: Array<[string, string]> = []
  let KeyMarker: string | undefined
  let UploadIdMarker: string | undefined
  for (;;) {
    const out = await s3.send(
      new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker, UploadIdMarker }),
    )
    for (const u of out.Uploads ?? []) uploads.push([u.Key ?? '', u.UploadId ?? ''])
    if (!out.IsTruncated) return uploads
    KeyMarker = out.NextKeyMarker
    UploadIdMarker = out.NextUploadIdMarker
  }
}

// ---------------------------------------------------------------------------------------------
// Fault schedules

interface Schedule {
  kind: ScheduleKind
  /** Random faults on every request (innermost proxy). */
  background: Faults
  /** Keys whose writes fail (outermost proxy): chosen, or the key of the write after N writes. */
  victim?: { keys: string[] } | { afterWrites: number }
  /**
   * resetBefore: every write request to the victim (but AbortMultipartUpload) fails, the server
   * never sees one.
   * resetAfter: every attempt of the victim's first landing write (copy, put, delete marker,
   * multipart completion) lands and its answer is lost; later writes get through.
   */
  victimFault: 'resetBefore' | 'resetAfter'
  /** From the victim's first fault, for `ms`: listings (or every request) are reset. */
  outage?: { what: 'listings' | 'all'; ms: number }
  kill?: { afterWrites: number } | { afterMs: number }
}

function describeSchedule(s: Schedule): string {
  const parts: string[] = [s.kind]
  const rate = FAULT_KINDS.map((k) => s.background[k] ?? 0).reduce((a, b) => a + b, 0)
  if (rate > 0) {
    const mix = FAULT_KINDS.filter((k) => (s.background[k] ?? 0) > 0)
      .map((k) => `${k} ${((s.background[k] ?? 0) * 100).toFixed(1)}%`)
      .join(' ')
    parts.push(
      `random ${(rate * 100).toFixed(0)}% (${mix}${s.background.stall ? `, stall ${s.background.stallMs} ms` : ''})`,
    )
  }
  if (s.victim) {
    const who =
      'keys' in s.victim
        ? s.victim.keys.map((k) => JSON.stringify(k)).join(',')
        : `the key written after ${s.victim.afterWrites} writes`
    parts.push(`${s.victimFault} on writes to ${who}`)
  }
  if (s.outage) parts.push(`${s.outage.what} outage ${s.outage.ms} ms from its first fault`)
  if (s.kill) {
    parts.push(
      'afterWrites' in s.kill
        ? `SIGKILL after ${s.kill.afterWrites} writes`
        : `SIGKILL after ${s.kill.afterMs} ms`,
    )
  }
  return parts.join('; ')
}

/**
 * Random faults at `rate` of the requests, in a random mix. SlowDown and stalls are capped (a
 * SlowDown makes the adaptive client slow every later request down, a stall holds a request for
 * seconds); what the caps cut goes to the resets, so the total stays `rate`.
 */
function randomFaults(rng: Rng, rate: number, seed: number): Faults {
  const weights = FAULT_KINDS.map(() => rng.next() + 0.05)
  const sum = weights.reduce((a, b) => a + b, 0)
  const [before, after, slow, stalled] = weights.map((w) => (rate * w) / sum)
  const slowDown = Math.min(slow, 0.02)
  const stall = Math.min(stalled, 0.01)
  const cut = slow - slowDown + (stalled - stall)
  return {
    resetBefore: before + cut / 2,
    resetAfter: after + cut / 2,
    slowDown,
    stall,
    stallMs: rng.int(500, 3000),
    maxFaults: 1_000_000,
    seed,
  }
}

const SCHEDULE_WEIGHTS: Record<ScheduleKind, number> = {
  random: 25,
  kill: 15,
  'key-down': 20,
  'lost-answers': 15,
  phase: 25,
}

function schedule(
  rng: Rng,
  wanted: ScheduleKind,
  plans: readonly KeyPlan[],
  seed: number,
): Schedule {
  const writable = plans.filter((p) => p.selected && needsWrite(p)).map((p) => p.key)
  // Without a key to write there is nothing to fail on.
  const kind = writable.length === 0 && wanted !== 'kill' ? 'random' : wanted
  const rate = kind === 'random' ? rng.next() * 0.3 : rng.next() * 0.1
  const base: Schedule = {
    kind,
    background: randomFaults(rng, rate, seed),
    victimFault: 'resetBefore',
  }
  switch (kind) {
    case 'random':
      return base
    case 'kill': {
      const kill = rng.chance(0.6)
        ? { afterWrites: rng.int(0, Math.max(1, writable.length)) }
        : { afterMs: rng.int(100, 3000) }
      const victim =
        rng.chance(0.4) && writable.length > 0 ? { keys: [rng.pick(writable)] } : undefined
      return { ...base, kill, victim }
    }
    case 'key-down':
      return { ...base, victim: { keys: rng.shuffle(writable).slice(0, rng.int(1, 2)) } }
    case 'lost-answers':
      return {
        ...base,
        victimFault: 'resetAfter',
        victim: { keys: [rng.pick(writable)] },
        outage: rng.chance(0.3) ? { what: 'listings', ms: rng.int(500, 6000) } : undefined,
      }
    case 'phase':
      return {
        ...base,
        victimFault: rng.chance(0.5) ? 'resetBefore' : 'resetAfter',
        victim: { afterWrites: rng.int(0, Math.max(0, writable.length - 1)) },
        outage: { what: rng.chance(0.7) ? 'listings' : 'all', ms: rng.int(1500, 8000) },
      }
  }
}

const isWrite = (op: string): boolean => /^(PUT|POST|DELETE)\b/.test(op)
/** Writes that make a new entry (a version or delete marker) when they land. */
const LANDING = new Set(['PUT copy', 'PUT', 'DELETE', 'POST multipart'])

export function writeCount(byOperation: Record<string, number>): number {
  return Object.entries(byOperation)
    .filter(([op]) => isWrite(op))
    .reduce((a, [, n]) => a + n, 0)
}

/** The key of a path-style request to `bucket` (undefined for bucket-level requests). */
function keyOf(req: IncomingMessage, bucket: string): string | undefined {
  const path = new URL(req.url ?? '/', 'http://x').pathname
  const head = `/${bucket}/`
  if (!path.startsWith(head)) return undefined
  try {
    return decodeURIComponent(path.slice(head.length)) || undefined
  } catch {
    return undefined
  }
}

/** Shared by the closures of one run's proxies. */
interface RunState {
  outageFrom?: number
}

/** The outermost proxy's faults: the victim's writes. */
function victimFaults(s: Schedule, bucket: string, state: RunState): Faults {
  const victim = s.victim
  if (!victim) return {}
  const chosen = new Set('keys' in victim ? victim.keys : [])
  const invocation = new Map<string, string>()
  let writes = 0
  return {
    [s.victimFault]: 1,
    maxFaults: 1_000_000,
    only: (req) => {
      const op = operation(req)
      // Aborting an upload is cleanup, not a write of the key: it gets through.
      if (!isWrite(op) || op === 'DELETE multipart') return false
      const key = keyOf(req, bucket)
      if (key === undefined) return false
      writes++
      if ('afterWrites' in victim && chosen.size === 0 && writes > victim.afterWrites) {
        chosen.add(key)
      }
      if (!chosen.has(key)) return false
      if (s.victimFault === 'resetAfter') {
        // Every attempt of the first landing write to the key (one SDK invocation).
        if (!LANDING.has(op)) return false
        const id = String(req.headers['amz-sdk-invocation-id'] ?? '')
        const first = invocation.get(key) ?? id
        invocation.set(key, first)
        if (id !== first) return false
      }
      state.outageFrom ??= Date.now()
      return true
    },
  }
}

/** The middle proxy's faults: the outage from the victim's first fault on. */
function outageFaults(s: Schedule, state: RunState): Faults {
  const outage = s.outage
  if (!outage) return {}
  return {
    resetBefore: 1,
    maxFaults: 1_000_000,
    only: (req) =>
      state.outageFrom !== undefined &&
      Date.now() - state.outageFrom < outage.ms &&
      (outage.what === 'all' || operation(req) === 'GET list-versions'),
  }
}

// ---------------------------------------------------------------------------------------------
// Proxies and the CLI

/** CLI → outer (victim) → middle (outage) → inner (random) → S3. */
interface Proxies {
  outer: FaultProxy
  middle: FaultProxy
  inner: FaultProxy
}

async function startProxies(): Promise<Proxies> {
  const inner = await startFaultProxy(endpoint())
  const middle = await startFaultProxy(inner.url)
  const outer = await startFaultProxy(middle.url)
  return { outer, middle, inner }
}

function faultsOf(p: Proxies): Record<FaultKind, number> {
  const out = { resetBefore: 0, resetAfter: 0, slowDown: 0, stall: 0 }
  for (const proxy of [p.outer, p.middle, p.inner]) {
    for (const kind of FAULT_KINDS) out[kind] += proxy.stats.faults[kind]
  }
  return out
}

interface CliRun {
  code: number | null
  killed: boolean
  timedOut: boolean
  stdout: string
  stderr: string
}

function runCli(
  options: SoakOptions,
  args: string[],
  env: NodeJS.ProcessEnv,
  outer: FaultProxy,
  kill?: Schedule['kill'],
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.node, [options.cli, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const started = Date.now()
    let stdout = ''
    let stderr = ''
    let killed = false
    let timedOut = false
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setInterval(() => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const elapsed = Date.now() - started
      if (elapsed > (options.timeoutMs ?? 180_000)) {
        timedOut = true
        child.kill('SIGKILL')
      } else if (
        kill &&
        !killed &&
        ('afterMs' in kill
          ? elapsed >= kill.afterMs
          : writeCount(outer.stats.byOperation) >= kill.afterWrites)
      ) {
        killed = true
        child.kill('SIGKILL')
      }
    }, 5)
    child.on('error', (e) => {
      clearInterval(timer)
      reject(e)
    })
    child.on('close', (code, signal) => {
      clearInterval(timer)
      resolve({
        code,
        killed: killed && signal === 'SIGKILL',
        timedOut,
        stdout,
        stderr,
      })
    })
  })
}

/** Keys the manifest (--json) says this run changed. */
function changedInManifest(stdout: string): number {
  const manifest = JSON.parse(stdout) as {
    keys?: Array<{ newVersionId?: string | null }>
    summary?: { written?: number }
  }
  return (
    manifest.summary?.written ??
    (manifest.keys ?? []).filter((k) => k.newVersionId !== null && k.newVersionId !== undefined)
      .length
  )
}

const tail = (text: string, n = 600): string => text.trim().slice(-n).replace(/\s+/g, ' ')

/**
 * The CLI's error line, and what its final states say about the keys in `wrong`: admitted
 * ("NOT put back", "left as is"), or mis-reported (claimed put back or not changed).
 */
function engineSaid(stderr: string, wrong: readonly Mismatch[]): string {
  const lines = stderr.split('\n')
  const at = lines.findIndex((l) => l.startsWith('s3-rollback: '))
  const said = [`engine: ${(at < 0 ? tail(stderr, 300) : lines[at]).slice(0, 300)}`]
  if (wrong.length === 0) return said[0]
  // The final states are part of the error message (after its first line).
  const message = at < 0 ? [] : lines.slice(at + 1)
  const states = wrong.map(
    ({ key }) => message.find((l) => l.trimStart().startsWith(`${key}: `))?.trim() ?? '',
  )
  const admitted = states.filter((l) => /: (NOT put back|left as is)/.test(l)).length
  const unlisted = states.filter((l) => l === '').length
  said.push(
    `final states of these keys: ${admitted} admitted (NOT put back / left as is), ` +
      `${wrong.length - admitted - unlisted} mis-reported, ${unlisted} not listed`,
  )
  for (const state of states.filter((l) => l !== '').slice(0, 2)) said.push(state.slice(0, 300))
  return said.join('; ')
}

// ---------------------------------------------------------------------------------------------
// One run

interface RunContext {
  options: SoakOptions
  s3: S3Client
  proxies: Proxies
  runnerTemp: string
}

async function oneRun(ctx: RunContext, run: number): Promise<RunResult> {
  const { options, s3, proxies } = ctx
  const started = Date.now()
  const seed = runSeed(options.seed, run)
  const rng = new Rng(seed)
  const choice = options.choose?.(run) ?? {}
  const mode = choice.mode ?? options.modes[(run - 1) % options.modes.length]
  const multipart = choice.multipart ?? rng.chance(0.25)
  const plans = layout(rng, mode, multipart, choice.keys)
  const selected = plans.filter((p) => p.selected)
  const outside = plans.filter((p) => !p.selected)
  const sched = schedule(rng, choice.kind ?? rng.weighted(SCHEDULE_WEIGHTS), plans, seed)
  const kind = sched.kind
  const concurrency = rng.pick([2, 4, 8, 16])
  const described = `${describeSchedule(sched)}; concurrency ${concurrency}${multipart ? '; multipart 5MiB' : ''}`
  const result: RunResult = {
    run,
    seed,
    mode,
    kind,
    schedule: described,
    multipart,
    concurrency,
    keys: selected.length,
    toWrite: selected.filter(needsWrite).length,
    exit: null,
    killed: false,
    added: 0,
    faults: { resetBefore: 0, resetAfter: 0, slowDown: 0, stall: 0 },
    writes: { faulty: 0, rerun: 0, second: 0 },
    ops: {},
    seconds: 0,
    timing: { seed: 0, faulty: 0, rerun: 0, second: 0, checks: 0 },
    violations: [],
  }
  const violate = (invariant: Invariant, detail: string): void => {
    result.violations.push({ run, seed, mode, schedule: described, invariant, detail })
  }
  const quiet = (): void => {
    for (const proxy of [proxies.outer, proxies.middle, proxies.inner]) proxy.setFaults({})
  }

  const bucket = await newBucket(s3, 'soak')
  try {
    const seeding = Date.now()
    const at = await seedBucket(s3, bucket, plans)
    result.timing.seed = (Date.now() - seeding) / 1000
    const prints = new Fingerprints(s3, bucket)
    const args = [
      'restore',
      '--bucket',
      bucket,
      '--to-time',
      at,
      '--if-missing',
      'delete',
      '--endpoint-url',
      proxies.outer.url,
      '--force-path-style',
      '--concurrency',
      String(concurrency),
      '--json',
      ...(multipart ? MULTIPART_FLAGS : []),
      ...(mode === 'prefix' ? ['--prefix', PREFIX] : selected.flatMap((p) => ['--key', p.key])),
    ]
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
      RUNNER_TEMP: ctx.runnerTemp,
    }
    const target = (p: KeyPlan): string | null => p.target
    const checkScope = (before: Snapshot, after: Snapshot, phase: string): void => {
      const wrong = mismatches(outside, after, (p) => before.current.get(p.key) ?? null)
      if (wrong.length > 0)
        violate('scope', `${phase}: keys outside the selection changed ${list(wrong)}`)
    }
    const checkLost = (before: Snapshot, after: Snapshot, phase: string): void => {
      const lost = lostEntries(before, after)
      if (lost.length > 0) violate('lost', `${phase}: ${list(lost)}`)
    }
    /** Reports a hang or a usage error; true when the run says nothing about the engine. */
    const harness = (cli: CliRun, phase: string): boolean => {
      if (cli.timedOut) {
        violate('harness', `${phase}: no exit after ${options.timeoutMs ?? 180_000} ms (killed)`)
      } else if (cli.code === 2) {
        violate('harness', `${phase}: usage error: ${tail(cli.stderr)}`)
      }
      return cli.timedOut || cli.code === 2
    }

    /** Runs the CLI, takes the stats, turns faults off, and snapshots the bucket. */
    const invoke = async (
      phase: Phase,
      kill?: Schedule['kill'],
    ): Promise<{ cli: CliRun; ops: Record<string, number>; after: Snapshot }> => {
      const t0 = Date.now()
      const cli = await runCli(options, args, env, proxies.outer, kill)
      result.timing[phase] = (Date.now() - t0) / 1000
      const ops = { ...proxies.outer.stats.byOperation }
      if (phase === 'faulty') result.faults = faultsOf(proxies)
      result.writes[phase] = writeCount(ops)
      for (const [op, n] of Object.entries(ops)) result.ops[op] = (result.ops[op] ?? 0) + n
      quiet()
      if (options.logDir) {
        const name = join(options.logDir, `run-${run}-${phase}.log`)
        const head = `${described}\nexit ${cli.code}${cli.killed ? ' (killed)' : ''}\n`
        await writeFile(name, `${head}\n== stdout\n${cli.stdout}\n== stderr\n${cli.stderr}`)
      }
      if (cli.killed) await sleep(1000) // requests the server had already received finish
      const t1 = Date.now()
      const after = await prints.snapshot()
      result.timing.checks += (Date.now() - t1) / 1000
      return { cli, ops, after }
    }

    // The faulty run.
    const listed = Date.now()
    const before = await prints.snapshot()
    result.timing.checks += (Date.now() - listed) / 1000
    const state: RunState = {}
    proxies.inner.setFaults(sched.background)
    proxies.middle.setFaults(outageFaults(sched, state))
    proxies.outer.setFaults(victimFaults(sched, bucket, state))
    const { cli: faulty, after: afterFaulty } = await invoke('faulty', sched.kill)
    result.exit = faulty.code
    result.killed = faulty.killed
    result.added = afterFaulty.entries.length - before.entries.length
    checkLost(before, afterFaulty, 'faulty run')
    checkScope(before, afterFaulty, 'faulty run')
    if (!harness(faulty, 'faulty run') && !faulty.killed) {
      if (faulty.code === 0) {
        const wrong = mismatches(selected, afterFaulty, target)
        if (wrong.length > 0) violate('target', `exit 0 but not at the target ${list(wrong)}`)
      } else {
        const wrong = mismatches(selected, afterFaulty, (p) => before.current.get(p.key) ?? null)
        if (wrong.length > 0) {
          violate(
            'put-back',
            `exit ${faulty.code}; keys not as before the run ${list(wrong)}; ` +
              engineSaid(faulty.stderr, wrong),
          )
        }
      }
    }

    // A clean re-run converges.
    const { cli: rerun, after: afterRerun } = await invoke('rerun')
    checkLost(afterFaulty, afterRerun, 're-run')
    checkScope(afterFaulty, afterRerun, 're-run')
    if (!harness(rerun, 're-run')) {
      const wrong = mismatches(selected, afterRerun, target)
      if (rerun.code !== 0) {
        violate('converge', `clean re-run exit ${rerun.code}; ${engineSaid(rerun.stderr, [])}`)
      } else if (wrong.length > 0) {
        violate('converge', `clean re-run exit 0, not at the target ${list(wrong)}`)
      }
    }

    // A second clean re-run writes nothing.
    const { cli: second, ops, after: afterSecond } = await invoke('second')
    checkLost(afterRerun, afterSecond, 'second re-run')
    checkScope(afterRerun, afterSecond, 'second re-run')
    if (!harness(second, 'second re-run')) {
      if (second.code !== 0) {
        violate(
          'idempotent',
          `second clean re-run exit ${second.code}; ${engineSaid(second.stderr, [])}`,
        )
      } else {
        const writes = Object.entries(ops)
          .filter(([op]) => isWrite(op))
          .map(([op, n]) => `${op} ${n}`)
        let changed: number | string
        try {
          changed = changedInManifest(second.stdout)
        } catch (e) {
          changed = `unreadable manifest (${(e as Error).message})`
        }
        if (writes.length > 0 || changed !== 0) {
          const fresh = afterSecond.entries.filter((e) => !afterRerun.ids.has(entryId(e)))
          const keys = [...new Set(fresh.map((e) => JSON.stringify(e.key)))]
          violate(
            'idempotent',
            `second clean re-run wrote: ${writes.join(', ') || 'no request'}; manifest changed ` +
              `${changed}; ${fresh.length} new entries${keys.length ? ` on ${list(keys, 4)}` : ''}`,
          )
        }
        const wrong = mismatches(selected, afterSecond, target)
        if (wrong.length > 0) {
          violate('converge', `second clean re-run not at the target ${list(wrong)}`)
        }
      }
    }

    // No multipart upload left open.
    const uploads = await openUploads(s3, bucket)
    if (uploads.length > 0) {
      // A killed process cannot abort what it opened: AbortIncompleteMultipartUpload does.
      if (faulty.killed) result.leftOpenByKill = uploads.length
      else
        violate(
          'uploads',
          `open multipart uploads: ${list(uploads.map(([k]) => JSON.stringify(k)))}`,
        )
      await parallel(
        uploads.map(
          ([Key, UploadId]) =>
            () =>
              s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId })),
        ),
        8,
      )
    }
  } catch (e) {
    quiet()
    violate('harness', `exception: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
  } finally {
    await removeBucket(s3, bucket).catch((e: unknown) => {
      violate('harness', `removing ${bucket}: ${e instanceof Error ? e.message : String(e)}`)
    })
  }
  result.seconds = (Date.now() - started) / 1000
  return result
}

const timing = (r: RunResult): string =>
  (['seed', 'faulty', 'rerun', 'second', 'checks'] as const)
    .map((k) => `${k} ${r.timing[k].toFixed(1)}`)
    .join(' ')

/** One line per run, for the log. */
export function runLine(r: RunResult): string {
  const faults = FAULT_KINDS.filter((k) => r.faults[k] > 0)
    .map((k) => `${k} ${r.faults[k]}`)
    .join(', ')
  const outcome = r.killed ? 'killed' : `exit ${r.exit}`
  const verdict =
    r.violations.length === 0
      ? 'ok'
      : `VIOLATIONS: ${[...new Set(r.violations.map((v) => v.invariant))].join(', ')}`
  return (
    `#${r.run} ${r.mode} ${r.kind}${r.multipart ? ' multipart' : ''} c=${r.concurrency} ` +
    `keys ${r.keys} (to write ${r.toWrite}): ${outcome}, added ${r.added}, ` +
    `faults [${faults || 'none'}], writes ${r.writes.faulty}/${r.writes.rerun}/${r.writes.second}, ` +
    `${r.seconds.toFixed(1)} s (${timing(r)}): ${verdict}`
  )
}

/** Runs the soak: `parallel` workers, each with its own proxies, take the runs in turn. */
export async function soak(options: SoakOptions): Promise<SoakReport> {
  const started = Date.now()
  const s3 = client()
  const runnerTemp = await mkdtemp(join(tmpdir(), 's3-rollback-soak-'))
  const todo = Array.from({ length: options.runs }, (_, i) => i + 1).filter(
    (run) => !options.only || options.only.includes(run),
  )
  const runs: RunResult[] = []
  const worker = async (): Promise<void> => {
    const proxies = await startProxies()
    try {
      for (let run = todo.shift(); run !== undefined; run = todo.shift()) {
        const result = await oneRun({ options, s3, proxies, runnerTemp }, run)
        runs.push(result)
        options.log?.(runLine(result))
      }
    } finally {
      await Promise.all([proxies.outer.close(), proxies.middle.close(), proxies.inner.close()])
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.parallel ?? 1) }, worker))
  } finally {
    await rm(runnerTemp, { recursive: true, force: true })
    s3.destroy()
  }
  runs.sort((a, b) => a.run - b.run)
  return {
    runs,
    violations: runs.flatMap((r) => r.violations),
    seconds: (Date.now() - started) / 1000,
  }
}

// ---------------------------------------------------------------------------------------------
// The figures

function formatTable(header: string[], rows: Array<Array<string | number>>): string {
  const all = [header, ...rows.map((r) => r.map(String))]
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  return [
    line(all[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...all.slice(1).map(line),
  ].join('\n')
}

const percent = (n: number, of: number): string =>
  of === 0 ? 'n/a' : `${((100 * n) / of).toFixed(1)} %`

/** The figures of a soak, as printed and written to bench/results/. */
export function summarize(
  report: SoakReport,
  options: Pick<SoakOptions, 'seed' | 'modes' | 'choose'>,
): string {
  const { runs, violations } = report
  const count = <T>(items: readonly T[], test: (item: T) => boolean): number =>
    items.filter(test).length
  const failed = runs.filter((r) => !r.killed && r.exit !== 0)
  const putBack = failed.filter((r) => r.added > 0)
  const multipart = runs.filter((r) => r.multipart)
  const sum = (op: string): number => runs.reduce((a, r) => a + (r.ops[op] ?? 0), 0)
  const faults = Object.fromEntries(
    FAULT_KINDS.map((k) => [k, runs.reduce((a, r) => a + r.faults[k], 0)]),
  ) as Record<FaultKind, number>
  const kinds = Object.keys(SCHEDULE_WEIGHTS) as ScheduleKind[]
  const lines: string[] = []
  lines.push(
    `soak: ${runs.length} runs, SOAK_SEED=${options.seed}, modes ${options.modes.join('+')}, ` +
      `${report.seconds.toFixed(0)} s (${(report.seconds / Math.max(1, runs.length)).toFixed(1)} s a run)`,
  )
  lines.push('')
  lines.push(
    formatTable(
      ['runs', 'keys', 'prefix', 'total'],
      [
        [
          'all',
          count(runs, (r) => r.mode === 'keys'),
          count(runs, (r) => r.mode === 'prefix'),
          runs.length,
        ],
        ...kinds.map((k) => [
          `schedule ${k}`,
          count(runs, (r) => r.kind === k && r.mode === 'keys'),
          count(runs, (r) => r.kind === k && r.mode === 'prefix'),
          count(runs, (r) => r.kind === k),
        ]),
        [
          'exited non-zero',
          count(failed, (r) => r.mode === 'keys'),
          count(failed, (r) => r.mode === 'prefix'),
          `${failed.length} (${percent(failed.length, runs.length)})`,
        ],
        [
          '  of which had written (put-back ran)',
          count(putBack, (r) => r.mode === 'keys'),
          count(putBack, (r) => r.mode === 'prefix'),
          putBack.length,
        ],
        [
          'killed (SIGKILL)',
          count(runs, (r) => r.killed && r.mode === 'keys'),
          count(runs, (r) => r.killed && r.mode === 'prefix'),
          count(runs, (r) => r.killed),
        ],
        [
          '  uploads a kill left open (lifecycle rule)',
          sumOf(
            runs.filter((r) => r.mode === 'keys'),
            (r) => r.leftOpenByKill ?? 0,
          ),
          sumOf(
            runs.filter((r) => r.mode === 'prefix'),
            (r) => r.leftOpenByKill ?? 0,
          ),
          sumOf(runs, (r) => r.leftOpenByKill ?? 0),
        ],
        [
          'with big objects (half uploaded in parts)',
          count(multipart, (r) => r.mode === 'keys'),
          count(multipart, (r) => r.mode === 'prefix'),
          multipart.length,
        ],
      ],
    ),
  )
  const codes = new Map<string, number>()
  for (const r of runs) {
    const code = r.killed ? 'killed' : String(r.exit)
    codes.set(code, (codes.get(code) ?? 0) + 1)
  }
  lines.push('')
  lines.push(
    `exit codes of the faulty runs: ${[...codes].map(([c, n]) => `${c}: ${n}`).join(', ')}`,
  )
  lines.push(
    `multipart requests (all invocations): CreateMultipartUpload ${sum('POST create-multipart')}, ` +
      `UploadPartCopy ${sum('PUT part-copy')}, CompleteMultipartUpload ${sum('POST multipart')}, ` +
      `AbortMultipartUpload ${sum('DELETE multipart')}`,
  )
  const totalFaults = FAULT_KINDS.reduce((a, k) => a + faults[k], 0)
  lines.push(
    `faults injected: ${totalFaults} (${FAULT_KINDS.map((k) => `${k} ${faults[k]}`).join(', ')})`,
  )
  const writes = (phase: keyof RunResult['writes']): number =>
    runs.reduce((a, r) => a + r.writes[phase], 0)
  lines.push(
    `write requests: faulty runs ${writes('faulty')}, first clean re-runs ${writes('rerun')}, ` +
      `second clean re-runs ${writes('second')}`,
  )
  lines.push('')
  const invariants = Object.keys(INVARIANTS) as Invariant[]
  lines.push(
    formatTable(
      ['violations by invariant', 'keys', 'prefix', 'total'],
      invariants.map((inv) => [
        INVARIANTS[inv],
        count(violations, (v) => v.invariant === inv && v.mode === 'keys'),
        count(violations, (v) => v.invariant === inv && v.mode === 'prefix'),
        count(violations, (v) => v.invariant === inv),
      ]),
    ),
  )
  const bad = new Set(violations.map((v) => v.run))
  lines.push('')
  lines.push(
    `violations: ${violations.length} in ${bad.size} run(s)${violations.length === 0 ? ' (must be 0: ok)' : ' (must be 0: FAILED)'}`,
  )
  const mode = options.modes.length === 1 ? ` SOAK_MODE=${options.modes[0]}` : ''
  const reproduce = (run: number): string =>
    options.choose
      ? 'rerun the caller: it fixes parts of each run'
      : `SOAK_SEED=${options.seed} SOAK_ONLY=${run}${mode}`
  for (const v of violations) {
    lines.push(
      `- run #${v.run} (${v.mode}; reproduce: ${reproduce(v.run)}; run seed ${v.seed}) ` +
        `[${INVARIANTS[v.invariant]}]\n    schedule: ${v.schedule}\n    ${v.detail}`,
    )
  }
  return lines.join('\n')
}

function sumOf<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((n, item) => n + value(item), 0)
}
