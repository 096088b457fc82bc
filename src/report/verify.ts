/** Pure presentation of a VerifyReport, shared by the job summary and the CLI. */
import { formatDays } from '../settings/duration.js'
import type { KeyReport, VerifyReport } from '../verify/index.js'
import { verificationFailed } from '../verify/index.js'

export const KEY_HEADER = [
  'Key',
  'State',
  'Version at target',
  'Last modified',
  'Storage class',
  'Window',
  'Drill',
  'Result',
]

/** One row per key. */
export function keyRows(report: VerifyReport): string[][] {
  return report.keys.map((k) => [
    k.key,
    k.state,
    k.versionId ?? '(none)',
    k.lastModified ?? '—',
    k.storageClass ?? '—',
    formatDays(k.windowDays),
    drillCell(k),
    k.problems.length === 0 ? 'ok' : 'FAIL',
  ])
}

function drillCell(k: KeyReport): string {
  const d = k.drill
  if (!d) return '—'
  if (d.result === 'copied') return `copied, checked by ${d.check}${d.removed ? ', removed' : ''}`
  return d.result + (d.removed ? ', removed' : '')
}

/** Bucket-level facts as label/value rows. */
export function bucketRows(report: VerifyReport): string[][] {
  const target =
    'toTime' in report.target
      ? `${report.target.toTime}${report.atWindowStart ? ` (now − ${report.minWindow})` : ''}`
      : 'the given version IDs'
  return [
    ['Versioning', report.versioning],
    ['MFA delete', report.mfaDelete],
    [
      'Lifecycle rules',
      report.lifecycleRules?.join('; ') || (report.lifecycleRules ? 'none' : 'unreadable'),
    ],
    ['Guaranteed window', formatDays(report.window)],
    ['Required (min-window)', report.minWindow],
    ['Target', target],
    ...(report.drill ? [['Drill prefix', report.drill.prefix]] : []),
  ]
}

/** One line: the verdict. */
export function verdict(report: VerifyReport): string {
  const where = `s3://${report.bucket}`
  if (!verificationFailed(report)) {
    return (
      `Restorable: every key of ${where} can be rolled back to the target; guaranteed window ` +
      `${formatDays(report.window)} (at least ${report.minWindow} required)`
    )
  }
  return `NOT restorable: ${report.problems.length} problem(s) in ${where}`
}

/** The `window` output: whole days as a number (`30`), or `unlimited`. */
export function windowOutput(days: number | null): string {
  return days === null ? 'unlimited' : String(days)
}
