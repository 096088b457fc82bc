import { InputError } from '../lib/errors.js'
import { parseChain } from './chain.js'
import { Inputs } from './names.js'
import {
  isHttpUrl,
  parseBoolean,
  parseChoice,
  parseCount,
  parseInstant,
  parseSize,
} from './parse.js'
import { parsePrefix } from './prefix.js'
import {
  checkListInputs,
  givenVersionIds,
  readKeys,
  readVersionIds,
  type KeyList,
} from './lists.js'
import { parseEngine } from './batch.js'
import { checkDestination, parseDestination, recordStoreOf } from './destination.js'
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
import { parsePlanFile } from './plan-file.js'

export type * from './types.js'
export { parseKeys, parseVersionIds } from './lists.js'

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB
export const COPY_OBJECT_LIMIT = 5 * GiB
export const MIN_PART_SIZE = 5 * MiB
/**
 * The most keys resolved or written at once (the `concurrency` input): a ceiling. Each prefix
 * starts at 16 in flight and grows while the store answers faster (lib/aimd.ts), so on a 50 ms
 * round trip to a region 256 keep about 5,000 requests a second going, past the 3,500 writes a
 * second S3 gives one prefix, and SlowDown halves a prefix's share.
 */
export const DEFAULT_CONCURRENCY = 256
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
  const mode = parseChoice(Inputs.Mode, get(Inputs.Mode) || 'restore', MODES)
  checkListInputs(read)
  checkTargetInputs(read, mode)
  const verify = parseVerify(read, mode, now)
  if (mode === 'verify' && read(Inputs.Prefix).trim() !== '') {
    throw new InputError(
      Inputs.Prefix,
      read(Inputs.Prefix).trim(),
      "to be empty in verify mode (verify checks the listed 'keys')",
    )
  }
  const keyList = readKeys(read, env)
  const { keys } = keyList
  const prefix = parsePrefix(read(Inputs.Prefix), {
    keys,
    toTime: mode === 'snapshot' ? now.toISOString() : get(Inputs.ToTime),
    versionIds: read(Inputs.VersionIds),
    toSnapshot: get(Inputs.ToSnapshot),
  })
  const destination = parseDestination(read, mode)
  const recordStore = recordStoreOf(destination, get(Inputs.SnapshotStore) !== '')
  const target = parseAnyTarget(read, env, mode, keyList, now, verify)
  const targetKeys = target.kind === 'versions' ? [...target.versions.keys()] : keys
  checkDestination({ bucket, prefix, keys: targetKeys }, destination)
  const fromFile = target.kind === 'plan' || target.kind === 'snapshot'
  if (targetKeys.length === 0 && prefix === undefined && !fromFile) {
    throw new InputError(
      Inputs.Keys,
      '',
      `at least one object key, one per line (or a file of them in '${Inputs.KeysFile}')`,
    )
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
    ...(destination ? { destination } : {}),
    ...(recordStore ? { recordStore } : {}),
    snapshot:
      mode === 'snapshot' ? parseSnapshotName(Inputs.Snapshot, get(Inputs.Snapshot)) : undefined,
    context: contextOf(env),
    // the jobs' manifests and reports go beside the run records (a destination's, not the source)
    engine: parseEngine(read, recordStore ?? access.snapshotStore, bucket),
  }
}

/** The target of any mode: now (snapshot), a plan, a snapshot, the window's start, or the inputs. */
function parseAnyTarget(
  read: InputReader,
  env: Environment,
  mode: Mode,
  keys: KeyList,
  now: Date,
  verify: VerifySettings | undefined,
): Target {
  const get = (name: string): string => read(name).trim()
  if (mode === 'snapshot') return { kind: 'time', at: now, text: now.toISOString() }
  if (get(Inputs.PlanFile) !== '')
    return { kind: 'plan', file: parsePlanFile(get(Inputs.PlanFile)) }
  const snapshot =
    mode === 'verify' && get(Inputs.Snapshot) !== '' ? Inputs.Snapshot : Inputs.ToSnapshot
  if (get(snapshot) !== '') {
    return { kind: 'snapshot', ref: parseSnapshotName(snapshot, get(snapshot)) }
  }
  if (verify?.atWindowStart) return windowStart(verify, now)
  return parseTarget(read, env, keys, now)
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

function parseTarget(read: InputReader, env: Environment, keys: KeyList, now: Date): Target {
  const toTime = read(Inputs.ToTime).trim()
  const given = givenVersionIds(read)
  if (toTime !== '' && given) {
    throw new InputError(
      given.input,
      given.value,
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
  if (!given) {
    throw new InputError(
      Inputs.ToTime,
      '',
      `a target: '${Inputs.ToTime}' (an ISO-8601 time with a zone), '${Inputs.VersionIds}' or ` +
        `'${Inputs.VersionIdsFile}'`,
    )
  }
  const versions = readVersionIds(read, env)
  if (keys.keys.length > 0) {
    const listed = new Set(keys.keys)
    const missing = keys.keys.filter((k) => !versions.has(k))
    const extra = [...versions.keys()].filter((k) => !listed.has(k))
    if (missing.length > 0 || extra.length > 0) {
      const odd = [...missing, ...extra]
      throw new InputError(
        keys.input,
        odd.slice(0, 10).join(', ') + (odd.length > 10 ? ` and ${odd.length - 10} more` : ''),
        `the same keys as '${given.input}' (or leave '${keys.input}' empty)`,
      )
    }
  }
  return { kind: 'versions', versions }
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
