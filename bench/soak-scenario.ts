/**
 * What each soak run writes, drawn from its seed: seeded randomness, the keys (plain, awkward,
 * big, outside the prefix) and their histories before and after T, and seeding the bucket.
 */
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { createHash } from 'node:crypto'
import { parallel, sleep } from './lib.js'
import { entryId, fingerprint, listAll } from './soak-checks.js'
import { MiB, PREFIX, type Mode } from './soak-types.js'

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

export interface KeyPlan {
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
export function layout(rng: Rng, mode: Mode, multipart: boolean, count?: number): KeyPlan[] {
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

export const needsWrite = (p: KeyPlan): boolean =>
  p.target !== stateAfter([...p.before, ...p.after])

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

/**
 * Seeds the buckets with the same histories (a staged run: the source and the destination);
 * returns T (strictly after every entry before it, in every bucket, before every one after).
 */
export async function seedBucket(
  s3: S3Client,
  buckets: string | readonly string[],
  plans: readonly KeyPlan[],
): Promise<string> {
  const all = typeof buckets === 'string' ? [buckets] : buckets
  const early = new Map<string, Set<string>>()
  let last = 0
  for (const bucket of all) {
    await writeSteps(s3, bucket, plans, 'before')
    const entries = await listAll(s3, bucket)
    early.set(bucket, new Set(entries.map(entryId)))
    last = Math.max(last, ...entries.map((e) => e.lastModified.getTime()))
  }
  const at = new Date(last + 1)
  await sleep(10)
  for (const bucket of all) {
    await writeSteps(s3, bucket, plans, 'after')
    const known = early.get(bucket) ?? new Set()
    const late = (await listAll(s3, bucket)).filter((e) => !known.has(entryId(e)))
    const tooEarly = late.find((e) => e.lastModified.getTime() <= at.getTime())
    if (tooEarly) {
      throw new Error(`seeding: ${tooEarly.key} written after T has LastModified <= T`)
    }
  }
  return at.toISOString()
}
