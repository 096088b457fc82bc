/** The action in `mode: verify`: verify, set outputs, write the summary, fail when not restorable. */
import * as core from '@actions/core'
import { errorMessage } from '../lib/errors.js'
import { failWith, failStep } from './fail.js'
import { parseSettings, type InputReader } from '../settings/index.js'
import type { Logger } from '../lib/log.js'
import type { Cancellation } from '../lib/cancel.js'
import { Outputs } from '../settings/names.js'
import { createS3Client } from '../s3/client.js'
import { verificationFailed, verify, type VerifyReport } from '../verify/index.js'
import { KEY_HEADER, bucketRows, keyRows, verdict, windowOutput } from '../report/verify.js'

export async function runVerify(
  read: InputReader,
  { log, cancel }: { log: Logger; cancel: Cancellation },
): Promise<void> {
  let report: VerifyReport | undefined
  let error: string | undefined
  try {
    const settings = parseSettings(read)
    report = await verify(createS3Client(settings.s3), settings, log, { cancel })
    core.setOutput(Outputs.Report, JSON.stringify(report))
    core.setOutput(Outputs.Restorable, String(report.restorable))
    core.setOutput(Outputs.Window, windowOutput(report.window))
    if (verificationFailed(report)) {
      for (const problem of report.problems) {
        core.error(problem, { title: `s3-rollback verify ${report.bucket}` })
      }
      failStep(`${verdict(report)}:\n${report.problems.map((p) => `  ${p}`).join('\n')}`)
    } else {
      core.info(verdict(report))
    }
  } catch (e) {
    error = failWith(e, read)
  } finally {
    await writeVerifySummary(report, error).catch((e: unknown) =>
      core.warning(`Could not write the job summary: ${errorMessage(e)}`),
    )
  }
}

async function writeVerifySummary(report?: VerifyReport, error?: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const summary = core.summary.addHeading('s3-rollback: verify', 2)
  if (report) {
    summary.addRaw(verdict(report), true).addBreak()
    summary.addTable(
      bucketRows(report).map(([label, value]) => [{ data: label, header: true }, value]),
    )
    summary.addTable([KEY_HEADER.map((data) => ({ data, header: true })), ...keyRows(report)])
    if (report.problems.length > 0) summary.addList(report.problems)
  }
  if (error) summary.addCodeBlock(error)
  await summary.write()
}
