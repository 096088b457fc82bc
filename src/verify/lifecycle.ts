/**
 * Pure rules about S3 lifecycle configurations: which rules apply to an object, and how far back a
 * rollback is guaranteed to reach under them.
 */
import type { LifecycleRule, Tag } from '@aws-sdk/client-s3'
import { ARCHIVE_CLASSES } from '../engine/index.js'

/** What a lifecycle filter is matched against: one version of a key. */
export interface RuleSubject {
  key: string
  /** Size in bytes; undefined when unknown (size conditions then count as matched). */
  size?: number
  /** The version's tags; undefined when unknown (tag conditions then count as matched). */
  tags?: Record<string, string>
}

/**
 * Whether an Enabled rule applies to a version: its prefix (Filter.Prefix, And.Prefix or the
 * legacy top-level Prefix) starts the key, every tag it names is on the version, and the size is
 * strictly between ObjectSizeGreaterThan and ObjectSizeLessThan. An empty filter applies to every
 * object. Unknown tags or size count as a match, so a window is never overstated.
 */
export function ruleApplies(rule: LifecycleRule, subject: RuleSubject): boolean {
  if (rule.Status !== 'Enabled') return false
  const filter = rule.Filter ?? {}
  const and = filter.And ?? {}
  const prefix = filter.Prefix ?? and.Prefix ?? rule.Prefix ?? ''
  if (!subject.key.startsWith(prefix)) return false
  const tags: Tag[] = [...(filter.Tag ? [filter.Tag] : []), ...(and.Tags ?? [])]
  if (subject.tags) {
    for (const tag of tags) {
      if (subject.tags[tag.Key ?? ''] !== (tag.Value ?? '')) return false
    }
  }
  const greater = filter.ObjectSizeGreaterThan ?? and.ObjectSizeGreaterThan
  const less = filter.ObjectSizeLessThan ?? and.ObjectSizeLessThan
  if (subject.size !== undefined) {
    if (greater !== undefined && !(subject.size > greater)) return false
    if (less !== undefined && !(subject.size < less)) return false
  }
  return true
}

/** Whether a rule filters on tags (then the versions' tags must be read to match it). */
export function ruleUsesTags(rule: LifecycleRule): boolean {
  return rule.Filter?.Tag !== undefined || (rule.Filter?.And?.Tags?.length ?? 0) > 0
}

/** One lifecycle action that bounds how far back a rollback can reach. */
export interface WindowLimit {
  ruleId: string
  /** The lifecycle action, e.g. NoncurrentVersionExpiration. */
  action: string
  /** Versions are guaranteed copyable for this many days after they stop being current. */
  days: number
  detail: string
}

/** The guaranteed rollback window of one key under the lifecycle rules that apply to it. */
export interface RollbackWindow {
  /**
   * Days back from now to which every past state of the key is guaranteed to still be
   * restorable by a copy: for every instant t in [now − days, now], the version that was current
   * at t still exists and is not archived. `null`: no rule limits it.
   */
  days: number | null
  limits: WindowLimit[]
  /** Rule effects that do not shorten the window but matter for a rollback. */
  notes: string[]
}

/**
 * The guaranteed window under `rules` (the Enabled rules that apply to the key).
 *
 * The version that was current at an instant t became noncurrent at some s ≥ t (or is still
 * current). S3 counts NoncurrentDays from s and rounds up to the next midnight UTC, so a rule
 * acting N days after s cannot touch it before t + N days: every instant of the last N days stays
 * restorable, and no longer period is guaranteed (a version replaced just after now − N − ε is
 * gone).
 *
 * - NoncurrentVersionExpiration {NoncurrentDays: N}: deletes → window N days.
 * - NewerNoncurrentVersions K with NoncurrentDays N: S3 acts on a version only when it is noncurrent
 *   for N days AND K newer noncurrent versions exist. This keeps more, never less: the window stays
 *   N days. The K newest noncurrent versions reach further back, but how far depends on how often
 *   the key is written, so that is not guaranteed (noted). K without NoncurrentDays keeps a count,
 *   not a time: ten writes in a minute remove everything older → window 0.
 * - NoncurrentVersionTransitions to GLACIER or DEEP_ARCHIVE after N days: the version still
 *   exists but cannot be copied until restored from archive → window N days.
 * - Transitions (current objects) to GLACIER or DEEP_ARCHIVE after D days, or from a Date that has
 *   passed: a version that stayed current longer than D days is archived before it is ever
 *   replaced, however recent the instant it was current at → window 0. A future Date is noted.
 * - Expiration {Days|Date} on a versioned bucket adds a delete marker (no data is deleted; the
 *   version becomes noncurrent, so the rules above apply) → noted.
 * - Expiration {ExpiredObjectDeleteMarker} removes lone delete markers; nothing restorable is lost.
 * - Transitions to STANDARD_IA, ONEZONE_IA, GLACIER_IR stay copyable; INTELLIGENT_TIERING is
 *   copyable unless the bucket's Intelligent-Tiering archive tiers are on (noted).
 */
export function guaranteedWindow(rules: readonly LifecycleRule[], now: Date): RollbackWindow {
  const limits: WindowLimit[] = []
  const notes: string[] = []
  for (const rule of rules) {
    const ruleId = rule.ID || '(no ID)'
    const expire = rule.NoncurrentVersionExpiration
    if (expire?.NoncurrentDays !== undefined) {
      const keep = expire.NewerNoncurrentVersions
      limits.push({
        ruleId,
        action: 'NoncurrentVersionExpiration',
        days: expire.NoncurrentDays,
        detail: `deletes noncurrent versions ${plural(expire.NoncurrentDays, 'day')} after they are replaced`,
      })
      if (keep !== undefined) {
        notes.push(
          `${ruleId}: keeps the ${keep} newest noncurrent versions past ${expire.NoncurrentDays} ` +
            'days; how far back they reach depends on how often the key is written',
        )
      }
    } else if (expire?.NewerNoncurrentVersions !== undefined) {
      limits.push({
        ruleId,
        action: 'NoncurrentVersionExpiration',
        days: 0,
        detail: `keeps only the ${expire.NewerNoncurrentVersions} newest noncurrent versions, whatever their age`,
      })
    }
    for (const t of rule.NoncurrentVersionTransitions ?? []) {
      if (!t.StorageClass || !ARCHIVE_CLASSES.has(t.StorageClass)) {
        if (t.StorageClass === 'INTELLIGENT_TIERING') notes.push(intelligentTiering(ruleId))
        continue
      }
      limits.push({
        ruleId,
        action: 'NoncurrentVersionTransition',
        days: t.NoncurrentDays ?? 0,
        detail:
          `moves noncurrent versions to ${t.StorageClass} ${plural(t.NoncurrentDays ?? 0, 'day')} after ` +
          'they are replaced (a copy then needs a restore from archive first)',
      })
    }
    for (const t of rule.Transitions ?? []) {
      if (!t.StorageClass || !ARCHIVE_CLASSES.has(t.StorageClass)) {
        if (t.StorageClass === 'INTELLIGENT_TIERING') notes.push(intelligentTiering(ruleId))
        continue
      }
      if (t.Date && t.Date.getTime() > now.getTime()) {
        notes.push(
          `${ruleId}: on ${t.Date.toISOString().slice(0, 10)} current objects move to ` +
            `${t.StorageClass}; the window drops to 0 then`,
        )
        continue
      }
      const when = t.Date
        ? `since ${t.Date.toISOString().slice(0, 10)}`
        : `after ${plural(t.Days ?? 0, 'day')}`
      limits.push({
        ruleId,
        action: 'Transition',
        days: 0,
        detail:
          `moves current objects to ${t.StorageClass} ${when}: a version that stayed current ` +
          'that long is archived before it is replaced',
      })
    }
    const expiration = rule.Expiration
    if (expiration?.Days !== undefined || expiration?.Date !== undefined) {
      const when =
        expiration.Date !== undefined
          ? `on ${expiration.Date.toISOString().slice(0, 10)}`
          : `${plural(expiration.Days ?? 0, 'day')} after they are written`
      notes.push(
        `${ruleId}: current objects get a delete marker ${when} (no version is deleted; a ` +
          'rollback to a later time finds the key absent)',
      )
    }
    if (expiration?.ExpiredObjectDeleteMarker) {
      notes.push(`${ruleId}: removes delete markers that have no older versions (harmless)`)
    }
  }
  const days = limits.length === 0 ? null : Math.min(...limits.map((l) => l.days))
  return { days, limits, notes }
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`
}

function intelligentTiering(ruleId: string): string {
  return (
    `${ruleId}: moves versions to INTELLIGENT_TIERING; if the bucket's archive access tiers are ` +
    'on, old versions may need a restore before a copy'
  )
}

/** A one-line description of a rule: filter, status and actions. */
export function describeRule(rule: LifecycleRule): string {
  const filter = rule.Filter ?? {}
  const and = filter.And ?? {}
  const parts: string[] = []
  const prefix = filter.Prefix ?? and.Prefix ?? rule.Prefix
  if (prefix) parts.push(`prefix ${prefix}`)
  for (const tag of [...(filter.Tag ? [filter.Tag] : []), ...(and.Tags ?? [])]) {
    parts.push(`tag ${tag.Key}=${tag.Value}`)
  }
  const greater = filter.ObjectSizeGreaterThan ?? and.ObjectSizeGreaterThan
  const less = filter.ObjectSizeLessThan ?? and.ObjectSizeLessThan
  if (greater !== undefined) parts.push(`size > ${greater}`)
  if (less !== undefined) parts.push(`size < ${less}`)
  const actions: string[] = []
  const nve = rule.NoncurrentVersionExpiration
  if (nve) {
    const keep = nve.NewerNoncurrentVersions
    actions.push(
      `NoncurrentVersionExpiration ${nve.NoncurrentDays ?? '-'}d` +
        (keep !== undefined ? ` (keep ${keep})` : ''),
    )
  }
  for (const t of rule.NoncurrentVersionTransitions ?? []) {
    actions.push(`NoncurrentVersionTransition ${t.StorageClass} ${t.NoncurrentDays ?? 0}d`)
  }
  for (const t of rule.Transitions ?? []) {
    actions.push(
      `Transition ${t.StorageClass} ${t.Date ? t.Date.toISOString().slice(0, 10) : `${t.Days ?? 0}d`}`,
    )
  }
  const e = rule.Expiration
  if (e?.Days !== undefined) actions.push(`Expiration ${e.Days}d`)
  if (e?.Date !== undefined) actions.push(`Expiration ${e.Date.toISOString().slice(0, 10)}`)
  if (e?.ExpiredObjectDeleteMarker) actions.push('ExpiredObjectDeleteMarker')
  const scope = parts.length > 0 ? parts.join(' and ') : 'all objects'
  return `${rule.ID || '(no ID)'} [${rule.Status}] ${scope}: ${actions.join(', ') || 'no versioning action'}`
}
