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
import { currentEntry } from '../history/select.js'
import type { KeyReport } from './types.js'
import { youngerThanWindow } from './window-start.js'
import {
  archiveOf,
  decide,
  restoredCopy,
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
  const { decided, ...judged } = judge(key, entries, settings)
  Object.assign(report, judged)
  const current = currentEntry(entries)
  const wanted = decided.wanted
  if (!('problem' in decided) && wanted && !wanted.isDeleteMarker) {
    await checkVersion(s3, ref, wanted, decided.action === 'unchanged', report)
  }
  await addWindow(s3, ref, rules, bucketLimits, [wanted, current], now, report)
  return report
}

/**
 * Pure: what verify reports of a key from its history alone, by `decide()` with verify's strict
 * stance: the entry at the target, the state, what a rollback would do (`restore` and
 * `unchanged` of a version still need the HeadObject checkVersion makes), and the problem.
 */
export function judge(
  key: string,
  entries: readonly VersionEntry[],
  settings: Pick<ResolvedSettings, 'target' | 'ifMissing'> &
    Partial<Pick<ResolvedSettings, 'verify'>>,
): Pick<KeyReport, 'state' | 'action' | 'versionId' | 'lastModified' | 'problems'> & {
  decided: ReturnType<typeof decide>
} {
  const decided = decide(key, entries, settings.target, {
    ifMissing: settings.ifMissing,
    strict: true,
  })
  const wanted = decided.wanted
  const at = {
    versionId: wanted?.versionId ?? null,
    lastModified: wanted?.lastModified.toISOString() ?? null,
  }
  if ('problem' in decided) {
    const state = decided.cause === 'deleted' ? 'deleted' : 'missing'
    const { target, verify } = settings
    const problem =
      decided.cause === 'not-yet' && verify?.atWindowStart && target.kind === 'time'
        ? youngerThanWindow(entries, target.at, verify)
        : decided.problem
    return { decided, ...at, state, action: null, problems: [problem] }
  }
  const state = !wanted || wanted.isDeleteMarker ? 'absent' : 'restorable'
  return { decided, ...at, state, action: decided.action, problems: [] }
}

/**
 * HeadObject of the target version, judged by the same rules as a restore (decide.ts
 * `sourceProblem`): readable, not archived without a restored copy, not SSE-C; current already
 * (`decide()` said unchanged) means a rollback leaves it as is, archived or not.
 */
async function checkVersion(
  s3: S3Client,
  ref: { bucket: string; key: string; expectedBucketOwner?: string },
  wanted: VersionEntry,
  isCurrent: boolean,
  report: Checked,
): Promise<void> {
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
