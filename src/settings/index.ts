import { InputError } from '../lib/errors.js'
import { parseChain } from './chain.js'
import { Inputs } from './names.js'
import {
  isHttpUrl,
  lines,
  parseBoolean,
  parseChoice,
  parseCount,
  parseInstant,
  parseSize,
} from './parse.js'
import { parsePrefix } from './prefix.js'
import { parseEngine } from './batch.js'
import { checkTargetInputs, contextOf, parseSnapshotName, parseStore } from './snapshot.js'
import type {
  CopySettings,
  Environment,
  InputReader,
  Mode,
  Settings,
  Target,
  VerifySettings,
} from './types.js'
import { MODES, parseVerify, windowStart } from './verify.js'

export type * from './types.js'

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
  const access = parseAccess(read)
  const { bucket } = access
  const keys = parseKeys(read(Inputs.Keys))
  const mode = parseChoice(Inputs.Mode, get(Inputs.Mode) || 'restore', MODES)
  checkTargetInputs(read, mode)
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
    toTime: mode === 'snapshot' ? now.toISOString() : get(Inputs.ToTime),
    versionIds: read(Inputs.VersionIds),
  })
  const target = parseAnyTarget(read, mode, keys, now, verify)
  const targetKeys = target.kind === 'versions' ? [...target.versions.keys()] : keys
  const fromFile = target.kind === 'plan' || target.kind === 'snapshot'
  if (targetKeys.length === 0 && prefix === undefined && !fromFile) {
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
    expectedBucketOwner: access.expectedBucketOwner,
    s3: access.s3,
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
    snapshotStore: access.snapshotStore,
    snapshot:
      mode === 'snapshot' ? parseSnapshotName(Inputs.Snapshot, get(Inputs.Snapshot)) : undefined,
    context: contextOf(env),
    engine: parseEngine(read, access.snapshotStore, bucket),
  }
}

/** The target of any mode: now (snapshot), a plan, a snapshot, the window's start, or the inputs. */
function parseAnyTarget(
  read: InputReader,
  mode: Mode,
  keys: string[],
  now: Date,
  verify: VerifySettings | undefined,
): Target {
  const get = (name: string): string => read(name).trim()
  if (mode === 'snapshot') return { kind: 'time', at: now, text: now.toISOString() }
  if (get(Inputs.PlanFile) !== '') return { kind: 'plan', file: get(Inputs.PlanFile) }
  const snapshot =
    mode === 'verify' && get(Inputs.Snapshot) !== '' ? Inputs.Snapshot : Inputs.ToSnapshot
  if (get(snapshot) !== '') {
    return { kind: 'snapshot', ref: parseSnapshotName(snapshot, get(snapshot)) }
  }
  if (verify?.atWindowStart) return windowStart(verify, now)
  return parseTarget(get(Inputs.ToTime), read(Inputs.VersionIds), keys, now)
}

/** What reaching a bucket and its snapshot store takes (the CLI's snapshot list/show, diff). */
export interface Access {
  bucket: string
  expectedBucketOwner?: string
  s3: Settings['s3']
  snapshotStore: Settings['snapshotStore']
}

export function parseAccess(read: InputReader): Access {
  const get = (name: string): string => read(name).trim()
  const bucket = parseBucket(get(Inputs.Bucket))
  return {
    bucket,
    expectedBucketOwner: parseAccountId(get(Inputs.ExpectedBucketOwner)),
    s3: {
      region: get(Inputs.Region) || undefined,
      endpoint: parseEndpoint(get(Inputs.EndpointUrl)),
      forcePathStyle: parseBoolean(Inputs.ForcePathStyle, get(Inputs.ForcePathStyle), false),
    },
    snapshotStore: parseStore(get(Inputs.SnapshotStore), bucket),
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

function parseTarget(toTime: string, versionIds: string, keys: string[], now: Date): Target {
  const hasVersions = versionIds.trim() !== ''
  if (toTime !== '' && hasVersions) {
    throw new InputError(
      Inputs.VersionIds,
      versionIds.trim(),
      `to be empty when '${Inputs.ToTime}' is set: give exactly one target`,
    )
  }
  if (toTime !== '') {
    const at = parseInstant(Inputs.ToTime, toTime)
    if (at > now) {
      throw new InputError(
        Inputs.ToTime,
        toTime,
        `a time in the past (it is now ${now.toISOString()}): a rollback goes back to a state ` +
          'that existed',
      )
    }
    return { kind: 'time', at, text: toTime }
  }
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
