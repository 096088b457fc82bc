/**
 * Verify mode: proves, without changing any key, that a rollback would work. Checks the bucket
 * (versioning, MFA delete, lifecycle rules), each key's guaranteed rollback window and its
 * version at the target, and optionally runs a restore drill into a scratch prefix.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { readBucketFacts, type BucketFacts } from '../s3/bucket.js'
import { eachLimit } from '../lib/pool.js'
import { untilCancelled, type Cancellation } from '../lib/cancel.js'
import { runDrill } from './drill.js'
import { DAY_MS, formatDays } from '../settings/duration.js'
import type { ResolvedTarget, Settings } from '../settings/types.js'
import { checkKey, shortest, type Checked } from './key-checks.js'
import { describeRule, type WindowLimit } from './lifecycle.js'
import type { Logger } from '../lib/log.js'
import type { KeyReport, VerifyReport } from './types.js'
import { heldTarget, type ResolvedSettings } from '../engine/index.js'

export type * from './types.js'

/** True when the run should fail: a rollback would not work, or the drill left something behind. */
export function verificationFailed(report: VerifyReport): boolean {
  return !report.restorable || (report.drill?.leftBehind.length ?? 0) > 0
}

/**
 * Runs every check; never writes outside the drill prefix. Throws StepError when the bucket
 * cannot be read at all (no such bucket, no credentials, no connection), SnapshotError when
 * the snapshot to check cannot be found.
 */
export async function verify(
  s3: S3Client,
  asked: Settings,
  log: Logger,
  options: { now?: Date; cancel?: Cancellation } = {},
): Promise<VerifyReport> {
  const now = options.now ?? new Date()
  const v = asked.verify
  if (!v) throw new Error("verify() needs settings with mode 'verify'")
  const { bucket, expectedBucketOwner } = asked
  const settings = await snapshotKeys(s3, asked)
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
  if (asked.destination) bucketProblems.push(...(await destinationProblems(s3, asked, log)))
  for (const problem of bucketProblems) log.warning(problem)
  const bucketLimits = bucketWindowLimits(facts)
  const keys = await log.group(`Checking ${settings.keys.length} key(s)`, async () => {
    const reports: Checked[] = new Array(settings.keys.length)
    let done = 0
    await eachLimit(untilCancelled(settings.keys.keys(), options.cancel), 8, async (i) => {
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
    const into = `s3://${asked.destination?.bucket ?? bucket}/${v.drillPrefix}`
    drill = await log.group(`Drill into ${into}`, () =>
      drillKeys(s3, settings, v.drillPrefix, keys, { log, cancel: options.cancel }),
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
    ...(asked.destination ? { destination: asked.destination } : {}),
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

/**
 * A restore into a destination needs that bucket with versioning Enabled (as a restore in place
 * needs its bucket): what keeps it from taking one, as problems.
 */
async function destinationProblems(
  s3: S3Client,
  settings: Settings,
  log: Logger,
): Promise<string[]> {
  const { destination, expectedBucketOwner } = settings
  if (!destination) return []
  const uri = `s3://${destination.bucket}/${destination.prefix}`
  return log.group(`Checking the destination ${uri}`, async () => {
    const facts = await readBucketFacts(s3, destination.bucket, expectedBucketOwner)
    log.info(`destination versioning: ${facts.versioning}`)
    const problems = facts.problems.map((p) => `destination ${destination.bucket}: ${p}`)
    if (facts.versioning === 'Suspended' || facts.versioning === 'Off') {
      problems.push(
        `destination bucket ${destination.bucket} has versioning ` +
          `${facts.versioning === 'Off' ? 'never enabled' : 'Suspended'}: a restore into it needs it Enabled`,
      )
    }
    return problems
  })
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

function targetOf(target: ResolvedTarget): VerifyReport['target'] {
  if (target.kind === 'time') return { toTime: target.at.toISOString() }
  if (target.origin) return { snapshot: target.origin.ref, snapshotId: target.origin.id }
  return { versionIds: Object.fromEntries(target.versions) }
}

/**
 * The settings to verify: with a snapshot, every key it recorded with a version (a key it
 * recorded as absent has nothing that could expire), at that version.
 */
async function snapshotKeys(s3: S3Client, asked: Settings): Promise<ResolvedSettings> {
  const { settings } = await heldTarget(s3, asked)
  const { target } = settings
  if (target.kind !== 'versions' || !target.origin) return settings
  const versions = new Map([...target.versions].filter(([, v]) => v !== null))
  return {
    ...settings,
    prefix: undefined,
    keys: [...versions.keys()],
    target: { ...target, versions },
  }
}

/** Drills every restorable key with a copyable version; records outcomes on the key reports. */
async function drillKeys(
  s3: S3Client,
  settings: Settings,
  prefix: string,
  keys: Checked[],
  run: { log: Logger; cancel?: Cancellation },
): Promise<{ prefix: string; leftBehind: string[] }> {
  const { log } = run
  const items = keys.flatMap((k) =>
    k.state === 'restorable' && k.source && k.versionId
      ? [{ key: k.key, versionId: k.versionId, source: k.source }]
      : [],
  )
  const { bucket, destination, expectedBucketOwner } = settings
  const request = destination
    ? { bucket: destination.bucket, from: bucket, prefix, expectedBucketOwner, items }
    : { bucket, prefix, expectedBucketOwner, items }
  const drill = await runDrill(s3, request, { copy: settings.copy, cancel: run.cancel }, log)
  for (const outcome of drill.outcomes) {
    const k = keys.find((x) => x.key === outcome.key)
    if (!k) continue
    k.drill = outcome
    if (outcome.result !== 'copied') k.problems.push(`drill ${outcome.result}: ${outcome.error}`)
  }
  return { prefix: drill.prefix, leftBehind: drill.leftBehind }
}
