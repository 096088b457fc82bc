/** Verify mode, per key: the entry at the target, its readability and class, and its window. */
import type { LifecycleRule, S3Client } from '@aws-sdk/client-s3'
import { errorMessage } from '../lib/errors.js'
import {
  describeRule,
  guaranteedWindow,
  ruleApplies,
  ruleUsesTags,
  type RuleSubject,
  type WindowLimit,
} from './lifecycle.js'
import { keyHistory, type VersionEntry } from '../s3/listing.js'
import { headVersion, tagsOf, type ObjectFacts } from '../s3/objects.js'
import { currentEntry, entryAt, isAbsent } from '../history/select.js'
import type { KeyReport } from './types.js'
import {
  NO_SUCH_KEY,
  archiveOf,
  restoredCopy,
  sameByListing,
  sourceProblem,
  type ResolvedSettings,
} from '../engine/index.js'

/** A key report, plus the source facts a drill needs (removed before the report is returned). */
export type Checked = KeyReport & { source?: ObjectFacts }

/** Checks one key: its entry at the target, that entry's readability and class, its window. */
export async function checkKey(
  s3: S3Client,
  settings: ResolvedSettings,
  key: string,
  rules: readonly LifecycleRule[],
  bucketLimits: WindowLimit[],
  now: Date,
): Promise<Checked> {
  const report: Checked = emptyReport(key)
  const ref = { bucket: settings.bucket, key, expectedBucketOwner: settings.expectedBucketOwner }
  let entries: VersionEntry[]
  try {
    entries = await keyHistory(s3, ref.bucket, key, ref.expectedBucketOwner)
  } catch (e) {
    report.state = 'unreadable'
    report.problems.push(`cannot list its versions: ${errorMessage(e)}`)
    await addWindow(s3, ref, rules, bucketLimits, [], now, report)
    return report
  }
  if (entries.length === 0 && settings.ifMissing !== 'skip') {
    report.state = 'missing'
    report.problems.push(NO_SUCH_KEY)
    await addWindow(s3, ref, rules, bucketLimits, [], now, report)
    return report
  }
  const current = currentEntry(entries)
  const { target } = settings
  const wantedId = target.kind === 'versions' ? target.versions.get(key) : undefined
  const wanted =
    target.kind === 'time'
      ? entryAt(entries, target.at)
      : entries.find((e) => e.versionId === wantedId)
  if (wanted) {
    report.versionId = wanted.versionId
    report.lastModified = wanted.lastModified.toISOString()
  }
  const when = target.kind === 'time' ? `at ${target.at.toISOString()}` : 'in version-ids'
  if (target.kind === 'versions' && wantedId && !wanted) {
    report.state = 'missing'
    report.problems.push(`version ${wantedId} does not exist (${entries.length} entries listed)`)
  } else if (isAbsent(wanted)) {
    // Stricter than a rollback, which leaves a key absent then and now unchanged: without
    // if-missing, a key with nothing to roll back to fails (most often a typo in `keys`).
    if (settings.ifMissing !== 'fail') {
      report.state = 'absent'
      report.action = isAbsent(current)
        ? 'unchanged'
        : settings.ifMissing === 'delete'
          ? 'delete'
          : 'skip'
    } else {
      report.state = wanted ? 'deleted' : 'missing'
      const why =
        target.kind === 'versions'
          ? 'is to be absent (key=)'
          : wanted
            ? `has a delete marker (${wanted.versionId}) current ${when}`
            : `has no version ${when} (it did not exist yet)`
      report.problems.push(`${why}; set 'if-missing' to delete or skip to allow this`)
    }
  } else if (wanted) {
    await checkVersion(s3, ref, wanted, current, report)
  }
  await addWindow(s3, ref, rules, bucketLimits, [wanted, current], now, report)
  return report
}

/**
 * HeadObject of the target version, judged by the same rules as a restore (eligibility.ts):
 * readable, not archived without a restored copy, not SSE-C; current already (by the listing's
 * content check) means a rollback leaves it as is, archived or not.
 */
async function checkVersion(
  s3: S3Client,
  ref: { bucket: string; key: string; expectedBucketOwner?: string },
  wanted: VersionEntry,
  current: VersionEntry | undefined,
  report: Checked,
): Promise<void> {
  const isCurrent = sameByListing(current, wanted)
  let facts: ObjectFacts
  try {
    facts = await headVersion(s3, { ...ref, versionId: wanted.versionId })
  } catch (e) {
    report.state = 'unreadable'
    report.problems.push(`version ${wanted.versionId} cannot be read: ${errorMessage(e)}`)
    return
  }
  report.size = facts.size
  report.storageClass = facts.storageClass ?? wanted.storageClass ?? 'STANDARD'
  const archive = archiveOf(facts)
  const problem = sourceProblem(wanted.versionId, facts)
  report.action = isCurrent ? 'unchanged' : 'restore'
  if (facts.sseCustomerAlgorithm) {
    report.state = 'unreadable'
    report.action = null
    report.problems.push(problem ?? 'SSE-C')
    return
  }
  if (archive && restoredCopy(facts)) {
    report.notes.push(`${archive}, with a restored copy available (${facts.restore})`)
  } else if (archive && isCurrent) {
    report.notes.push(`${archive}; current already, so a rollback leaves it as is`)
  } else if (problem) {
    report.state = 'archived'
    report.action = null
    report.problems.push(problem)
    return
  }
  report.source = archive ? undefined : facts
}

/** The key's guaranteed window under the rules that apply to its target and current versions. */
async function addWindow(
  s3: S3Client,
  ref: { bucket: string; key: string; expectedBucketOwner?: string },
  rules: readonly LifecycleRule[],
  bucketLimits: WindowLimit[],
  entries: Array<VersionEntry | undefined>,
  now: Date,
  report: Checked,
): Promise<void> {
  const versions = entries.filter(
    (e, i): e is VersionEntry =>
      e !== undefined &&
      !e.isDeleteMarker &&
      entries.findIndex((x) => x?.versionId === e.versionId) === i,
  )
  const candidates = rules.filter((r) => ruleApplies(r, { key: ref.key }))
  const needTags = candidates.some(ruleUsesTags)
  const subjects: RuleSubject[] = []
  for (const version of versions) {
    let tags: Record<string, string> | undefined
    if (needTags) {
      try {
        tags = Object.fromEntries(
          new URLSearchParams(await tagsOf(s3, { ...ref, versionId: version.versionId })),
        )
      } catch (e) {
        report.notes.push(
          `tags of ${version.versionId} unreadable (${errorMessage(e)}); tag rules counted`,
        )
      }
    }
    subjects.push({ key: ref.key, size: version.size, tags })
  }
  if (subjects.length === 0) subjects.push({ key: ref.key })
  const applying = candidates.filter((r) => subjects.some((s) => ruleApplies(r, s)))
  const window = guaranteedWindow(applying, now)
  report.rules = applying.map(describeRule)
  report.limits = [...bucketLimits, ...window.limits]
  report.notes.push(...window.notes)
  report.windowDays = shortest(report.limits.map((l) => l.days))
}

function emptyReport(key: string): KeyReport {
  return {
    key,
    state: 'restorable',
    action: null,
    versionId: null,
    lastModified: null,
    size: null,
    storageClass: null,
    windowDays: null,
    rules: [],
    limits: [],
    notes: [],
    drill: null,
    problems: [],
  }
}

/** The shortest of some windows in days; null (unlimited) when none is limited. */
export function shortest(windows: Array<number | null>): number | null {
  const limited = windows.filter((w): w is number => w !== null)
  return limited.length === 0 ? null : Math.min(...limited)
}
