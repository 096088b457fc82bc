import * as core from '@actions/core'
import type { Manifest, PrefixSummary } from './manifest.js'
import type { KeyOutcome } from './restore.js'

/** What the job summary reports; filled in as the run goes, written in `finally`. */
export interface RunReport {
  manifest?: Manifest
  /** Plan rows shown when a run fails before its manifest exists. */
  error?: string
}

const HEADER = ['Key', 'Before', 'Restored', 'New version', 'Size', 'Action']

/** One row per key (a pure function, so the table can be tested without the toolkit). */
export function summaryRows(keys: readonly KeyOutcome[]): string[][] {
  return keys.map((k) => [
    k.key,
    k.previousVersionId ?? '(none)',
    k.restoredVersionId ?? '(none)',
    k.newVersionId ?? '—',
    k.size === null ? '—' : formatBytes(k.size),
    k.action,
  ])
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`
}

export function summaryTitle(manifest: Manifest): string {
  const target =
    'toTime' in manifest.target ? `to ${manifest.target.toTime}` : 'to the given version IDs'
  const verb = manifest.dryRun ? 'Dry run: plan for rolling back' : 'Rolled back'
  return `${verb} s3://${manifest.bucket} ${target}`
}

/** One line of totals for a prefix run (its keys may be too many for a table). */
export function prefixTotals(t: PrefixSummary): string {
  const where = t.prefix === '' ? 'the whole bucket' : `prefix ${t.prefix}`
  const listed = t.keysOmitted ? `; every key is listed in ${t.manifestFile}` : ''
  return (
    `${where}: ${t.keys} keys, ${t.versions} versions: ${t.restored} restored, ` +
    `${t.deleted} deleted, ${t.unchanged} unchanged, ${t.skipped} skipped; ` +
    `${t.written} written${listed}`
  )
}

/** Writes the job summary (when the runner provides one). */
export async function writeSummary(report: RunReport): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const summary = core.summary.addHeading('s3-rollback', 2)
  if (report.manifest) {
    const { manifest } = report
    summary.addRaw(summaryTitle(manifest), true).addBreak()
    if (manifest.summary) summary.addRaw(prefixTotals(manifest.summary), true).addBreak()
    summary.addTable([
      HEADER.map((data) => ({ data, header: true })),
      ...summaryRows(manifest.keys),
    ])
  }
  if (report.error) summary.addCodeBlock(report.error)
  await summary.write()
}
