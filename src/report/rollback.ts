/** The rows and lines that report a rollback (pure: data in, text out; no toolkit). */
import type { KeyOutcome, Manifest } from '../engine/index.js'
import { formatBytes } from '../lib/bytes.js'

export const HEADER = ['Key', 'Before', 'Restored', 'New version', 'Size', 'Action']

/** A dry run's table says what would happen. */
const WOULD: Record<KeyOutcome['action'], string> = {
  restored: 'would restore',
  deleted: 'would delete',
  unchanged: 'unchanged',
  skipped: 'would skip',
}

/** One row per key (a pure function, so the table can be tested without the toolkit). */
export function summaryRows(keys: readonly KeyOutcome[], dryRun = false): string[][] {
  return keys.map((k) => [
    k.key,
    k.previousVersionId ?? '(none)',
    k.restoredVersionId ?? '(none)',
    k.newVersionId ?? '—',
    k.size === null ? '—' : formatBytes(k.size),
    dryRun ? WOULD[k.action] : k.action,
  ])
}

export { formatBytes }

export function summaryTitle(manifest: Manifest): string {
  const t = manifest.target
  const target =
    'toTime' in t
      ? `to ${t.toTime}`
      : 'snapshot' in t
        ? `to snapshot ${t.snapshot}${t.snapshot === t.snapshotId ? '' : ` (${t.snapshotId})`}`
        : 'to the given version IDs'
  const { destination } = manifest
  if (destination) {
    const from = `s3://${manifest.bucket}/${manifest.summary?.prefix ?? ''}`
    const into = `into s3://${destination.bucket}/${destination.prefix}`
    const verb = manifest.dryRun ? 'Dry run: plan for restoring' : 'Restored'
    return `${verb} ${from} ${target} ${into}`
  }
  const verb = manifest.dryRun ? 'Dry run: plan for rolling back' : 'Rolled back'
  return `${verb} s3://${manifest.bucket} ${target}`
}

/** Keys by what the run did (or, in a dry run, would do) to them. */
export function totalsOf(m: Manifest): Record<KeyOutcome['action'], number> {
  if (m.summary) {
    const { restored, deleted, unchanged, skipped } = m.summary
    return { restored, deleted, unchanged, skipped }
  }
  const totals = { restored: 0, deleted: 0, unchanged: 0, skipped: 0 }
  for (const k of m.keys) totals[k.action]++
  return totals
}

/** The closing line: how many keys changed (or would), stayed and were skipped. */
export function closingLine(m: Manifest): string {
  const t = totalsOf(m)
  const changed = t.restored + t.deleted
  const rest = `${t.unchanged} unchanged, ${t.skipped} skipped`
  if (m.dryRun) {
    return (
      `Dry run, nothing written: would change ${changed} key(s) (${t.restored} to restore, ` +
      `${t.deleted} to delete); ${rest}.`
    )
  }
  return `Changed ${changed} key(s) (${t.restored} restored, ${t.deleted} deleted); ${rest}.`
}

/** engine: batch-operations: which keys went (or would go) to the copy jobs, which here. */
export function writersLine(m: Manifest): string | undefined {
  const w = m.writers
  if (!w) return undefined
  const jobs = w.jobs.map((j) => {
    const state = j.status
      ? `, ${j.status}: ${j.succeeded ?? 0} succeeded, ${j.failed ?? 0} failed`
      : ''
    return `${j.id ? `job ${j.id}` : 'a job'} (${j.storageClass}): ${j.keys} copies${state}`
  })
  const verb = m.dryRun ? 'would write' : 'wrote'
  return (
    `Batch Operations: ${jobs.length > 0 ? jobs.join('; ') : 'no job'}; this process ${verb} ` +
    `${w.runner} key(s) (delete markers, sources over 5 GB or uploaded in parts, archived or SSE-C sources).`
  )
}

/** Where a dry run's plan is, and how to apply exactly it; or which plan a run applied. */
export function planLine(m: Manifest): string | undefined {
  if (m.plan) {
    return (
      `Plan ${m.plan.digest} saved in ${m.plan.file}: apply exactly this plan with ` +
      "'plan-file' (refused if any key changes before then)."
    )
  }
  if (!m.appliedPlan) return undefined
  if (!m.alreadyApplied) return `Applied the saved plan ${m.appliedPlan}.`
  const t = totalsOf(m)
  return t.restored + t.deleted === 0
    ? `The saved plan ${m.appliedPlan} was already applied: its ${m.alreadyApplied} key(s) to ` +
        'write are as it wants them; nothing was written.'
    : `Applied the saved plan ${m.appliedPlan}; ${m.alreadyApplied} of its key(s) were already ` +
        'as it wants them and were not written again.'
}

/** How often S3 asked the run to slow down, and how many of those answers were retried. */
export function slowDownLine(slowDowns: { answers: number; retried: number }): string {
  const { answers, retried } = slowDowns
  const left = answers - retried
  return (
    `S3 answered 503 SlowDown ${answers} time(s) (more requests per second than a prefix takes); ` +
    `${retried} retried with backoff` +
    (left > 0 ? `, ${left} not (the request failed)` : '') +
    '.'
  )
}

/** How many keys the writes had in flight at most, under the `concurrency` ceiling. */
export function concurrencyLine(c: { reached: number; ceiling: number }): string {
  return `Writes: concurrency reached ${c.reached} (ceiling ${c.ceiling}).`
}

/** Where the run record is (`s3-rollback history` lists the records). */
export function recordLine(uri: string): string {
  return `Run record: ${uri}`
}
