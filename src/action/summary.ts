import * as core from '@actions/core'
import { rollbackPage, type RunReport } from '../report/summary.js'

export type { RunReport } from '../report/summary.js'

/** Writes a page to the job summary (when the runner provides one). */
export async function writePage(page: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  await core.summary.addRaw(page, true).write()
}

/** Writes the job summary of a restore, its dry run, or a run of a saved plan. */
export async function writeSummary(report: RunReport): Promise<void> {
  await writePage(rollbackPage(report))
}
