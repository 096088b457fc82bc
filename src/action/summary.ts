import * as core from '@actions/core'
import type { ChainReport } from '../chain/index.js'
import {
  HEADER,
  chainLine,
  closingLine,
  planLine,
  recordLine,
  slowDownLine,
  concurrencyLine,
  writersLine,
  prefixTotals,
  summaryRows,
  summaryTitle,
} from '../report/rollback.js'
import type { Manifest } from '../engine/index.js'
import { cancelLine, type CancelReport } from '../report/cancel.js'

/** What the job summary reports; filled in as the run goes, written in `finally`. */
export interface RunReport {
  manifest?: Manifest
  /** Why the run failed, when it did. */
  error?: string
  /** The downstream workflow run, once chaining started. */
  chain?: ChainReport
  /** The `with:` block of a step that undoes the run (the run wrote). */
  undo?: string
  /** Set when a signal cancelled the run. */
  cancelled?: CancelReport
  /** The run record saved in the snapshot store (also for a run that failed and was put back). */
  record?: string
  /** 503 SlowDown answers S3 gave, and how many the SDK retried. */
  slowDowns?: { answers: number; retried: number }
  /** The most writes in flight at once, and the ceiling (once the run wrote). */
  concurrency?: { reached: number; ceiling: number }
}

/** Writes the job summary (when the runner provides one). */
export async function writeSummary(report: RunReport): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const summary = core.summary.addHeading('s3-rollback', 2)
  if (report.cancelled) summary.addRaw(cancelLine(report.cancelled), true).addBreak()
  if (report.manifest) {
    const { manifest } = report
    summary.addRaw(summaryTitle(manifest), true).addBreak()
    summary.addRaw(closingLine(manifest), true).addBreak()
    for (const line of [planLine(manifest), writersLine(manifest)]) {
      if (line) summary.addRaw(line, true).addBreak()
    }
    if (manifest.summary) summary.addRaw(prefixTotals(manifest.summary), true).addBreak()
    summary.addTable([
      HEADER.map((data) => ({ data, header: true })),
      ...summaryRows(manifest.keys, manifest.dryRun),
    ])
  }
  if (report.undo) {
    summary.addRaw(
      'To undo: upload the <code>undo-file</code> output as an artifact, and run this action',
      true,
    )
    summary.addCodeBlock(report.undo, 'yaml')
  }
  if (report.slowDowns?.answers) summary.addRaw(slowDownLine(report.slowDowns), true).addBreak()
  if (report.concurrency) summary.addRaw(concurrencyLine(report.concurrency), true).addBreak()
  if (report.record) summary.addRaw(recordLine(report.record), true).addBreak()
  if (report.chain) summary.addRaw(chainLine(report.chain), true)
  if (report.error) summary.addCodeBlock(report.error)
  await summary.write()
}
