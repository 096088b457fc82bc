/**
 * The one decision of what to do with a key, asked by restore, its dry run, saved plans, verify
 * and the drill: which entry the key should have, whether that is already so, and whether the
 * version can be copied at all (`sourceProblem`). Pure: data in, data out. The listing answers
 * most keys; `needsSourceCheck` says when only a HeadObject of the version can.
 */
import type { KeyProblem } from '../errors.js'
import type { VersionEntry } from '../../s3/listing.js'
import type { ObjectFacts } from '../../s3/objects.js'
import type { IfMissing, ResolvedTarget } from '../../settings/types.js'
import { sameBytes } from '../../history/content.js'
import { currentEntry, entryAt, isAbsent } from '../../history/select.js'

/**
 * restore: copy an old version on top; delete: add a delete marker;
 * unchanged: already in the target state; skip: absent at the target, left as is (if-missing: skip).
 */
export type Action = 'restore' | 'delete' | 'unchanged' | 'skip'

/** What to do with one key, decided before anything is written. */
export interface PlanItem {
  /** The key written (in place, the key rolled back; else its key in the destination). */
  key: string
  action: Action
  /** The entry current now; undefined when the key has no history at all. */
  current?: VersionEntry
  /** The version the key should have (restore, or unchanged with an object); undefined = absent. */
  wanted?: VersionEntry
  /** HeadObject of `wanted`, when one was needed (archive classes, dry runs, equal sizes). */
  source?: ObjectFacts
  /**
   * The bucket `wanted` is copied from, when it is not the bucket written (a destination in
   * another bucket); `wanted.key` is always the key copied from.
   */
  from?: string
}

/** Storage classes whose versions must be restored from archive before they can be copied. */
export const ARCHIVE_CLASSES: ReadonlySet<string> = new Set(['GLACIER', 'DEEP_ARCHIVE'])

/**
 * A key without a single version or delete marker, ever, is almost always a typo: refused
 * unless `if-missing: skip` says that keys may be absent.
 */
export const NO_SUCH_KEY =
  'no such key: it has no version and no delete marker, ever (check the spelling: keys are ' +
  "case-sensitive); set 'if-missing' to skip to allow this"

/** How strictly `decide()` treats a key that should be absent. */
export interface DecideRule {
  /** A key with no version at the target: fail, delete (add a delete marker) or skip. */
  ifMissing: IfMissing
  /**
   * Verify's stance: a key with nothing to roll back to is a problem unless `ifMissing` allows
   * it, even when it is absent now as well (a rollback leaves such a key unchanged; a check of
   * what can be restored reports it, as it is most often a typo in `keys`).
   */
  strict?: boolean
}

/** Why a key cannot be rolled back as asked, for callers that report a state per key. */
export interface Refusal extends KeyProblem {
  cause: 'no-such-key' | 'no-such-version' | 'not-yet' | 'deleted' | 'to-be-absent'
  /** The entry at the target, when there is one (a delete marker). */
  wanted?: VersionEntry
}

/**
 * Pure: the one decision of what to do with a key, given its history (newest first) and the
 * target. Restore, its dry run, saved plans, verify and the drill all ask it. A key with no
 * history at all is refused (NO_SUCH_KEY) unless `ifMissing` is skip.
 *
 * `written`: the history of the key the state is restored to, when it is not `key` itself (a
 * destination). Its current entry is what the key has now; `entries` still say what it should
 * have. A destination key whose source never existed is absent at the target.
 */
export function decide(
  key: string,
  entries: readonly VersionEntry[],
  target: ResolvedTarget,
  rule: DecideRule,
  written: { key: string; entries: readonly VersionEntry[] } = { key, entries },
): PlanItem | Refusal {
  const { ifMissing } = rule
  const to = written.key
  if (entries.length === 0 && written.entries.length === 0) {
    if (ifMissing === 'skip') return { key: to, action: 'skip' }
    return { key, problem: NO_SUCH_KEY, cause: 'no-such-key' }
  }
  const current = currentEntry(written.entries)
  let wanted: VersionEntry | undefined
  if (target.kind === 'time') {
    wanted = entryAt(entries, target.at)
  } else {
    const versionId = target.versions.get(key)
    if (versionId !== null && versionId !== undefined) {
      wanted = entries.find((e) => e.versionId === versionId)
      if (!wanted) {
        const problem = `version ${versionId} does not exist (${entries.length} entries listed)`
        return { key, problem, cause: 'no-such-version' }
      }
    }
  }
  if (isAbsent(wanted)) {
    if (isAbsent(current) && !(rule.strict && ifMissing === 'fail')) {
      return { key: to, action: 'unchanged', current }
    }
    if (ifMissing === 'fail') {
      return absentRefusal(key, target, wanted, entries.length === 0 ? to : undefined)
    }
    return { key: to, action: ifMissing === 'delete' ? 'delete' : 'skip', current }
  }
  if (!wanted) return { key: to, action: 'unchanged', current }
  if (sameByListing(current, wanted)) return { key: to, action: 'unchanged', current, wanted }
  return { key: to, action: 'restore', current, wanted }
}

/** A key that should be absent at the target, while `if-missing` is fail. */
function absentRefusal(
  key: string,
  target: ResolvedTarget,
  marker: VersionEntry | undefined,
  /** A destination key whose source key never existed. */
  onlyThere?: string,
): Refusal {
  const allow = "; set 'if-missing' to delete or skip to allow this"
  if (onlyThere !== undefined) {
    const problem = `never existed, while the destination has ${onlyThere}${allow}`
    return { key, problem, cause: 'not-yet' }
  }
  if (target.kind === 'versions') {
    return { key, problem: `is to be absent (key=)${allow}`, cause: 'to-be-absent' }
  }
  const at = `at ${target.at.toISOString()}`
  if (marker) {
    const problem = `has no version ${at} (it was deleted then: delete marker ${marker.versionId})${allow}`
    return { key, problem, cause: 'deleted', wanted: marker }
  }
  return { key, problem: `has no version ${at} (it did not exist yet)${allow}`, cause: 'not-yet' }
}

/**
 * Pure: true when the listing proves the current entry holds the wanted version's bytes: it is
 * that version, or one the content rule (history/content.ts) finds the same (an earlier
 * rollback's copy). What is compared is the content, as `rclone --checksum` does.
 */
export function sameByListing(current: VersionEntry | undefined, wanted: VersionEntry): boolean {
  if (!current || current.isDeleteMarker) return false
  if (current.versionId === wanted.versionId) return true
  return sameBytes(current, wanted, 'listing').same === true
}

/**
 * Pure: whether the listing leaves open that two versions hold the same bytes (the content
 * rule does not find them different: from a listing only sizes can; ETags may be KMS ones or of
 * another part layout). Then only HeadObjects can tell.
 */
export function mayBeSame(current: VersionEntry | undefined, wanted: VersionEntry): boolean {
  if (!current || current.isDeleteMarker) return false
  return sameBytes(current, wanted, 'listing').same !== false
}

/**
 * Pure: whether the listing cannot tell that a version can be copied: archive classes (a
 * restored copy may be available) and Intelligent-Tiering (whose archive tiers only HeadObject
 * shows).
 */
export function needsSourceCheck(wanted: VersionEntry): boolean {
  const cls = wanted.storageClass ?? ''
  return ARCHIVE_CLASSES.has(cls) || cls === 'INTELLIGENT_TIERING'
}

/**
 * Pure: why a version cannot be copied, from its HeadObject; undefined when it can. An archived
 * version can be copied once a restored copy is available; an SSE-C one never by this tool.
 */
export function sourceProblem(versionId: string, facts: ObjectFacts): string | undefined {
  const archive = archiveOf(facts)
  if (archive && !restoredCopy(facts)) {
    return (
      `version ${versionId} is in ${archive} and cannot be copied until it is restored from ` +
      'archive (aws s3api restore-object)'
    )
  }
  if (facts.sseCustomerAlgorithm) {
    return `version ${versionId} is encrypted with a customer key (SSE-C), which this action cannot copy`
  }
  return undefined
}

/** The archive a version sits in (a storage class or an Intelligent-Tiering tier), if any. */
export function archiveOf(facts: ObjectFacts): string | undefined {
  if (facts.storageClass && ARCHIVE_CLASSES.has(facts.storageClass)) return facts.storageClass
  return facts.archiveStatus ? `INTELLIGENT_TIERING ${facts.archiveStatus}` : undefined
}

/** True when an archived version has a restored copy that can be read now. */
export function restoredCopy(facts: ObjectFacts): boolean {
  return facts.restore?.includes('ongoing-request="false"') === true
}
