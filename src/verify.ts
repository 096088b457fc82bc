/**
 * Verify mode: proves, without changing any key, that a rollback would work. Checks the bucket
 * (versioning, MFA delete, lifecycle rules), each key's guaranteed rollback window and its
 * version at the target, and optionally runs a restore drill into a scratch prefix.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { readBucketFacts, type BucketFacts } from './bucket-checks.js'
import { runPool } from './copy.js'
import { runDrill, type DrillOutcome } from './drill.js'
import { DAY_MS, formatDays } from './duration.js'
import type { Settings, Target } from './inputs.js'
import { checkKey, shortest, type Checked } from './key-checks.js'
import { describeRule, type WindowLimit } from './lifecycle.js'
import type { Logger } from './log.js'
import type { Action } from './plan.js'

/**
 * The state of a key at the target.
 * restorable: a version is there and can be copied (or is current already);
 * absent: no object at the target, which if-missing (delete or skip) allows;
 * missing: no version at the target (the key did not exist yet, or the version ID is unknown);
 * deleted: a delete marker at the target; archived: the version is in GLACIER or DEEP_ARCHIVE
 * (or an Intelligent-Tiering archive tier) and not restored; unreadable: listing or HeadObject failed.
 */
export type KeyState = 'restorable' | 'absent' | 'missing' | 'deleted' | 'archived' | 'unreadable'

/** The verification of one key. */
export interface KeyReport {
  key: string
  state: KeyState
  /** What a rollback to the target would do; null when it would fail. */
  action: Action | null
  /** The entry at the target (a version, or the delete marker), if any. */
  versionId: string | null
  lastModified: string | null
  size: number | null
  storageClass: string | null
  /** The key's guaranteed rollback window in days (see lifecycle.ts); null: unlimited. */
  windowDays: number | null
  /** The lifecycle rules that apply to the key, described. */
  rules: string[]
  /** The actions that bound the window. */
  limits: WindowLimit[]
  /** Things worth knowing that do not fail the check. */
  notes: string[]
  /** The drill of this key (drill: true only). */
  drill: DrillOutcome | null
  /** Why a rollback of this key would not work; empty when it would. */
  problems: string[]
}

/** The `report` output. */
export interface VerifyReport {
  bucket: string
  checkedAt: string
  target: { toTime: string } | { versionIds: Record<string, string | null> }
  /** True when the target is the start of the window (no to-time or version-ids given). */
  atWindowStart: boolean
  minWindow: string
  minWindowDays: number
  versioning: BucketFacts['versioning']
  mfaDelete: BucketFacts['mfaDelete']
  /** Every lifecycle rule of the bucket, described; null when it could not be read. */
  lifecycleRules: string[] | null
  /** The shortest guaranteed window over all keys, in days; null: unlimited. */
  window: number | null
  /** True when a rollback of every key to the target would work and every window is long enough. */
  restorable: boolean
  keys: KeyReport[]
  /** The drill, when asked for: its prefix and anything its cleanup left behind. */
  drill: { prefix: string; leftBehind: string[] } | null
  /** Every problem, one line each (bucket, keys, drill cleanup). */
  problems: string[]
}

/** True when the run should fail: a rollback would not work, or the drill left something behind. */
export function verificationFailed(report: VerifyReport): boolean {
  return !report.restorable || (report.drill?.leftBehind.length ?? 0) > 0
}

/** Runs every check; never writes outside the drill prefix. Throws only on programming errors. */
export async function verify(
  s3: S3Client,
  settings: Settings,
  log: Logger,
  now: Date = new Date(),
): Promise<VerifyReport> {
  const v = settings.verify
  if (!v) throw new Error("verify() needs settings with mode 'verify'")
  const { bucket, expectedBucketOwner } = settings
  const facts = await log.group(`Checking bucket ${bucket}`, async () => {
    const facts = await readBucketFacts(s3, bucket, expectedBucketOwner)
    log.info(`versioning: ${facts.versioning}; MFA delete: ${facts.mfaDelete}`)
    for (const rule of facts.rules ?? []) log.info(`lifecycle rule ${describeRule(rule)}`)
    if (facts.rules?.length === 0) log.info('no lifecycle rules')
    return facts
  })
  const bucketProblems = [...facts.problems]
  if (facts.versioning === 'Suspended' || facts.versioning === 'Off') {
    bucketProblems.push(
      `versioning is ${facts.versioning === 'Off' ? 'not enabled' : 'Suspended'}: a rollback ` +
        'needs it Enabled (with it off, the next write replaces the only copy)',
    )
  }
  for (const problem of bucketProblems) log.warning(problem)
  const bucketLimits = bucketWindowLimits(facts)
  const keys = await log.group(`Checking ${settings.keys.length} key(s)`, async () => {
    const reports: Checked[] = new Array(settings.keys.length)
    let done = 0
    await runPool(settings.keys.length, 8, async (i) => {
      const key = settings.keys[i]
      reports[i] = await checkKey(s3, settings, key, facts.rules ?? [], bucketLimits, now)
      const r = reports[i]
      log.info(
        `[${++done}/${settings.keys.length}] ${r.key}: ${r.state}, window ${formatDays(r.windowDays)}` +
          (r.problems.length > 0 ? ` — ${r.problems.join('; ')}` : ''),
      )
    })
    return reports
  })
  let drill: VerifyReport['drill'] = null
  if (v.drill) {
    drill = await log.group(`Drill into ${v.drillPrefix}`, () =>
      drillKeys(s3, settings, v.drillPrefix, keys, log),
    )
  }
  for (const k of keys) {
    delete k.source
    k.problems.push(...windowProblems(k, v.minWindowMs, v.minWindow))
  }
  const problems = [
    ...bucketProblems,
    ...keys.flatMap((k) => k.problems.map((p) => `${k.key}: ${p}`)),
    ...(drill?.leftBehind ?? []).map((l) => `drill cleanup: ${l}`),
  ]
  return {
    bucket,
    checkedAt: now.toISOString(),
    target: targetOf(settings.target),
    atWindowStart: v.atWindowStart,
    minWindow: v.minWindow,
    minWindowDays: v.minWindowMs / DAY_MS,
    versioning: facts.versioning,
    mfaDelete: facts.mfaDelete,
    lifecycleRules: facts.rules ? facts.rules.map(describeRule) : null,
    window: shortest(keys.map((k) => k.windowDays)),
    restorable: bucketProblems.length === 0 && keys.every((k) => k.problems.length === 0),
    keys,
    drill,
    problems,
  }
}

/** The problem of a key whose guaranteed window is shorter than min-window, naming the rule. */
function windowProblems(k: KeyReport, minWindowMs: number, minWindow: string): string[] {
  if (k.windowDays === null || k.windowDays * DAY_MS >= minWindowMs) return []
  const why = k.limits.filter((l) => l.days === k.windowDays).map((l) => `${l.ruleId} ${l.detail}`)
  return [
    `guaranteed window ${formatDays(k.windowDays)} is shorter than min-window ${minWindow} ` +
      `(${why.join('; ')})`,
  ]
}

/** What about the bucket itself bounds every key's window: versioning off, unreadable rules. */
function bucketWindowLimits(facts: BucketFacts): WindowLimit[] {
  const limits: WindowLimit[] = []
  if (facts.versioning !== 'Enabled') {
    limits.push({
      ruleId: '(bucket)',
      action: 'Versioning',
      days: 0,
      detail: `versioning is ${facts.versioning}`,
    })
  }
  if (!facts.rules) {
    limits.push({
      ruleId: '(bucket)',
      action: 'GetBucketLifecycleConfiguration',
      days: 0,
      detail: 'the lifecycle configuration cannot be read',
    })
  }
  return limits
}

function targetOf(target: Target): VerifyReport['target'] {
  return target.kind === 'time'
    ? { toTime: target.at.toISOString() }
    : { versionIds: Object.fromEntries(target.versions) }
}

/** Drills every restorable key with a copyable version; records outcomes on the key reports. */
async function drillKeys(
  s3: S3Client,
  settings: Settings,
  prefix: string,
  keys: Checked[],
  log: Logger,
): Promise<{ prefix: string; leftBehind: string[] }> {
  const items = keys.flatMap((k) =>
    k.state === 'restorable' && k.source && k.versionId
      ? [{ key: k.key, versionId: k.versionId, source: k.source }]
      : [],
  )
  const drill = await runDrill(
    s3,
    { bucket: settings.bucket, prefix, expectedBucketOwner: settings.expectedBucketOwner, items },
    settings.copy,
    log,
  )
  for (const outcome of drill.outcomes) {
    const k = keys.find((x) => x.key === outcome.key)
    if (!k) continue
    k.drill = outcome
    if (outcome.result !== 'copied') k.problems.push(`drill ${outcome.result}: ${outcome.error}`)
  }
  return { prefix: drill.prefix, leftBehind: drill.leftBehind }
}
