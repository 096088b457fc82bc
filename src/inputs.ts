import { randomBytes } from 'node:crypto'
import { parseDuration } from './duration.js'
import { parseChain, type ChainSettings, type Environment } from './chain-settings.js'
import { InputError } from './errors.js'
import { parseCount, parsePrefix } from './inputs-prefix.js'
import { Inputs } from './names.js'

/** What to do with a key that had no object at the target (created later, or deleted then). */
export type IfMissing = 'fail' | 'delete' | 'skip'

/** The state to roll back to. */
export type Target =
  /** The state at an instant: per key, the newest entry with LastModified <= at. */
  | { kind: 'time'; at: Date; text: string }
  /** Explicit versions per key; `null` means "the key should not exist". */
  | { kind: 'versions'; versions: Map<string, string | null> }

/** How to reach S3. Credentials come from the SDK's default chain. */
export interface S3Settings {
  region?: string
  endpoint?: string
  forcePathStyle: boolean
  /** Idle time after which a request is abandoned and retried (default SOCKET_TIMEOUT_MS). */
  socketTimeoutMs?: number
}

/** How restores copy versions. */
export interface CopySettings {
  /** Sources larger than this many bytes use a multipart copy (CopyObject's limit is 5 GiB). */
  multipartThreshold: number
  /** Part size in bytes for multipart copies (raised when 10,000 parts would not cover the object). */
  partSize: number
  /** Parts copied at once in a multipart copy. */
  partConcurrency: number
}

/** Everything the action was asked to do, validated. */
export interface Settings {
  bucket: string
  /** Exact object keys, in the order given. */
  keys: string[]
  target: Target
  ifMissing: IfMissing
  /** Resolve and print the plan; write nothing. */
  dryRun: boolean
  expectedBucketOwner?: string
  s3: S3Settings
  copy: CopySettings
  /** restore (the default) or verify. */
  mode: Mode
  /** What verify mode checks; set only when `mode` is verify. */
  verify?: VerifySettings
  /** The workflow to run after a successful restore; undefined when `workflow` is empty. */
  chain?: ChainSettings
  /**
   * Roll back every key under this prefix to the `to-time` target instead of `keys`
   * ('' = the whole bucket); undefined for a `keys` run.
   */
  prefix?: string
  /** Keys written at once. */
  concurrency: number
}

/** restore: roll the keys back. verify: prove that a rollback would work, changing no key. */
export type Mode = 'restore' | 'verify'

/** The inputs of `mode: verify` (src/verify.ts). */
export interface VerifySettings {
  /** The rollback window that must be guaranteed, in milliseconds. */
  minWindowMs: number
  /** `min-window` as given, such as `7d`. */
  minWindow: string
  /**
   * True when neither to-time nor version-ids was given: the target is then the start of the
   * window, now − min-window.
   */
  atWindowStart: boolean
  /** Copy each target version into `drillPrefix` through the rollback's copy path, then remove it. */
  drill: boolean
  /** Scratch prefix of the drill; ends with `/`. */
  drillPrefix: string
}

/** Reads one raw input by name ('' when unset). */
export type InputReader = (name: string) => string

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB
export const COPY_OBJECT_LIMIT = 5 * GiB
export const MIN_PART_SIZE = 5 * MiB
/** Keys written at once (the `concurrency` input). */
export const DEFAULT_CONCURRENCY = 16
/** Parts copied at once in one multipart copy (the `part-concurrency` input). */
export const DEFAULT_PART_CONCURRENCY = 8

/**
 * Reads and validates every input. Throws InputError naming the first bad input.
 * `now` is the start of the run (verify mode's window ends there); `env` supplies defaults the
 * runner knows (GITHUB_REF, GITHUB_REPOSITORY, GITHUB_API_URL).
 */
export function parseSettings(
  read: InputReader,
  { now = new Date(), env = process.env }: { now?: Date; env?: Environment } = {},
): Settings {
  const get = (name: string): string => read(name).trim()
  const bucket = parseBucket(get(Inputs.Bucket))
  const keys = parseKeys(read(Inputs.Keys))
  const mode = parseChoice(Inputs.Mode, get(Inputs.Mode) || 'restore', MODES)
  const verify = parseVerify(read, mode, now)
  if (mode === 'verify' && read(Inputs.Prefix).trim() !== '') {
    throw new InputError(
      Inputs.Prefix,
      read(Inputs.Prefix).trim(),
      "to be empty in verify mode (verify checks the listed 'keys')",
    )
  }
  const prefix = parsePrefix(read(Inputs.Prefix), {
    keys,
    toTime: get(Inputs.ToTime),
    versionIds: read(Inputs.VersionIds),
  })
  const target = verify?.atWindowStart
    ? windowStart(verify, now)
    : parseTarget(get(Inputs.ToTime), read(Inputs.VersionIds), keys)
  const targetKeys = target.kind === 'versions' ? [...target.versions.keys()] : keys
  if (targetKeys.length === 0 && prefix === undefined) {
    throw new InputError(Inputs.Keys, '', 'at least one object key, one per line')
  }
  const copy: CopySettings = {
    multipartThreshold: parseSize(Inputs.MultipartThreshold, get(Inputs.MultipartThreshold), {
      fallback: COPY_OBJECT_LIMIT,
      min: 0,
      max: COPY_OBJECT_LIMIT,
    }),
    partSize: parseSize(Inputs.PartSize, get(Inputs.PartSize), {
      fallback: 512 * MiB,
      min: MIN_PART_SIZE,
      max: COPY_OBJECT_LIMIT,
    }),
    partConcurrency: parseCount(Inputs.PartConcurrency, get(Inputs.PartConcurrency), {
      fallback: DEFAULT_PART_CONCURRENCY,
      min: 1,
      max: 64,
    }),
  }
  return {
    bucket,
    keys: targetKeys,
    target,
    ifMissing: parseChoice(Inputs.IfMissing, get(Inputs.IfMissing) || 'fail', [
      'fail',
      'delete',
      'skip',
    ] as const),
    dryRun: parseBoolean(Inputs.DryRun, get(Inputs.DryRun), false),
    expectedBucketOwner: parseAccountId(get(Inputs.ExpectedBucketOwner)),
    s3: {
      region: get(Inputs.Region) || undefined,
      endpoint: parseEndpoint(get(Inputs.EndpointUrl)),
      forcePathStyle: parseBoolean(Inputs.ForcePathStyle, get(Inputs.ForcePathStyle), false),
    },
    copy,
    mode,
    verify,
    chain: parseChain(read, env),
    prefix,
    concurrency: parseCount(Inputs.Concurrency, get(Inputs.Concurrency), {
      fallback: DEFAULT_CONCURRENCY,
      min: 1,
      max: 256,
    }),
  }
}

function parseBucket(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/.test(value)) {
    throw new InputError(Inputs.Bucket, value, 'a bucket name such as justice40-data')
  }
  return value
}

/** Non-empty lines, trimmed; a key may not appear twice. */
export function parseKeys(value: string): string[] {
  const keys = lines(value)
  const seen = new Set<string>()
  for (const key of keys) {
    if (seen.has(key)) {
      throw new InputError(Inputs.Keys, key, 'each object key once (this key is listed twice)')
    }
    seen.add(key)
  }
  return keys
}

function parseTarget(toTime: string, versionIds: string, keys: string[]): Target {
  const hasVersions = versionIds.trim() !== ''
  if (toTime !== '' && hasVersions) {
    throw new InputError(
      Inputs.VersionIds,
      versionIds.trim(),
      `to be empty when '${Inputs.ToTime}' is set: give exactly one target`,
    )
  }
  if (toTime !== '') return { kind: 'time', at: parseInstant(Inputs.ToTime, toTime), text: toTime }
  if (!hasVersions) {
    throw new InputError(
      Inputs.ToTime,
      '',
      `a target: '${Inputs.ToTime}' (an ISO-8601 time with a zone) or '${Inputs.VersionIds}'`,
    )
  }
  const versions = parseVersionIds(versionIds)
  if (keys.length > 0) {
    const missing = keys.filter((k) => !versions.has(k))
    const extra = [...versions.keys()].filter((k) => !keys.includes(k))
    if (missing.length > 0 || extra.length > 0) {
      throw new InputError(
        Inputs.Keys,
        [...missing, ...extra].join(', '),
        `the same keys as '${Inputs.VersionIds}' (or leave '${Inputs.Keys}' empty)`,
      )
    }
  }
  return { kind: 'versions', versions }
}

const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/i

/** An ISO-8601 instant with an explicit zone (Z or ±hh:mm). A time without a zone is ambiguous. */
export function parseInstant(input: string, value: string): Date {
  const m = INSTANT.exec(value)
  const expected =
    'an ISO-8601 time with a zone, such as 2021-12-13T15:00:00Z or 2021-12-13T10:00:00-05:00'
  if (!m) throw new InputError(input, value, expected)
  const [, y, mo, d, h, mi, s = '00', frac = '', zone] = m
  const ms = (frac + '000').slice(0, 3)
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${offset}`)
  const fieldsValid =
    +mo >= 1 && +mo <= 12 && +d >= 1 && +d <= daysIn(+y, +mo) && +h < 24 && +mi < 60 && +s < 60
  if (!fieldsValid || Number.isNaN(date.getTime())) throw new InputError(input, value, expected)
  return date
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/**
 * `key=versionId` lines. The split is at the last `=` (keys may contain `=`, version IDs do not).
 * `null` is the version ID of objects written before versioning; an empty version means the key
 * should not exist.
 */
export function parseVersionIds(value: string): Map<string, string | null> {
  const versions = new Map<string, string | null>()
  for (const line of lines(value)) {
    const at = line.lastIndexOf('=')
    const key = at < 0 ? '' : line.slice(0, at).trim()
    if (key === '') {
      throw new InputError(Inputs.VersionIds, line, 'one key=versionId line per key')
    }
    if (versions.has(key)) {
      throw new InputError(Inputs.VersionIds, line, 'each key once (this key is listed twice)')
    }
    const versionId = line.slice(at + 1).trim()
    versions.set(key, versionId === '' ? null : versionId)
  }
  return versions
}

function lines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
}

/** `true`/`false` as the YAML 1.2 core schema spells them (as core.getBooleanInput accepts). */
export function parseBoolean(input: string, value: string, fallback: boolean): boolean {
  if (value === '') return fallback
  if (['true', 'True', 'TRUE'].includes(value)) return true
  if (['false', 'False', 'FALSE'].includes(value)) return false
  throw new InputError(input, value, 'true or false')
}

export function parseChoice<T extends string>(
  input: string,
  value: string,
  choices: readonly T[],
): T {
  if ((choices as readonly string[]).includes(value)) return value as T
  throw new InputError(input, value, `one of ${choices.join(', ')}`)
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kib: KiB,
  mib: MiB,
  gib: GiB,
  tib: 1024 * GiB,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
}

/** A byte size: an integer, optionally with a unit (KiB, MiB, GiB, TiB, KB, MB, GB, TB). */
export function parseSize(
  input: string,
  value: string,
  range: { fallback: number; min: number; max: number },
): number {
  if (value === '') return range.fallback
  const m = /^(\d+)\s*([a-z]*)$/i.exec(value)
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined
  const bytes = m && unit !== undefined ? Number(m[1]) * unit : NaN
  if (!Number.isSafeInteger(bytes) || bytes < range.min || bytes > range.max) {
    throw new InputError(
      input,
      value,
      `a size from ${range.min} bytes to ${range.max / GiB} GiB, such as 5GiB or 104857600`,
    )
  }
  return bytes
}

function parseAccountId(value: string): string | undefined {
  if (value === '') return undefined
  if (!/^\d{12}$/.test(value)) {
    throw new InputError(Inputs.ExpectedBucketOwner, value, 'a 12-digit AWS account ID')
  }
  return value
}

function parseEndpoint(value: string): string | undefined {
  if (value === '') return undefined
  if (!isHttpUrl(value)) {
    throw new InputError(Inputs.EndpointUrl, value, 'an http(s) URL such as http://127.0.0.1:7480')
  }
  return value
}

/** True for an absolute http: or https: URL. */
export function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol)
  } catch {
    return false
  }
}

const MODES = ['restore', 'verify'] as const

/** The verify-mode inputs; in restore mode only checks that no drill was asked for. */
function parseVerify(read: InputReader, mode: Mode, now: Date): VerifySettings | undefined {
  const get = (name: string): string => read(name).trim()
  const drill = parseBoolean(Inputs.Drill, get(Inputs.Drill), false)
  if (mode !== 'verify') {
    if (drill)
      throw new InputError(Inputs.Drill, get(Inputs.Drill), "false unless mode is 'verify'")
    return undefined
  }
  if (drill && parseBoolean(Inputs.DryRun, get(Inputs.DryRun), false)) {
    throw new InputError(Inputs.Drill, get(Inputs.Drill), `false when '${Inputs.DryRun}' is true`)
  }
  const minWindow = get(Inputs.MinWindow) || '7d'
  return {
    minWindowMs: parseDuration(Inputs.MinWindow, minWindow),
    minWindow,
    atWindowStart: get(Inputs.ToTime) === '' && get(Inputs.VersionIds) === '',
    drill,
    drillPrefix: parseDrillPrefix(get(Inputs.DrillPrefix), now),
  }
}

function windowStart(verify: VerifySettings, now: Date): Target {
  const at = new Date(now.getTime() - verify.minWindowMs)
  return { kind: 'time', at, text: at.toISOString() }
}

/**
 * A scratch prefix for drills: ends with `/`, does not start with `/`, at most 512 characters.
 * Empty: `.s3-rollback-drill/<UTC time>-<random>/`, new for every run.
 */
export function parseDrillPrefix(value: string, now: Date): string {
  if (value === '') {
    const stamp = now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')
    return `.s3-rollback-drill/${stamp}-${randomBytes(3).toString('hex')}/`
  }
  if (!value.endsWith('/') || value.startsWith('/') || value.length > 512 || /[\r\n]/.test(value)) {
    throw new InputError(
      Inputs.DrillPrefix,
      value,
      'a key prefix ending in /, such as .s3-rollback-drill/ (not starting with /)',
    )
  }
  return value
}
