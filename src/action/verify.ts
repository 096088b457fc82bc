/** The action in `mode: verify`: verify, set outputs, write the summary, fail when not restorable. */
import * as core from '@actions/core'
import { errorMessage } from '../lib/errors.js'
import { failWith, failStep } from './fail.js'
import { parseSettings, type InputReader } from '../settings/index.js'
import type { Logger } from '../lib/log.js'
import type { Cancellation } from '../lib/cancel.js'
import { Inputs, Outputs } from '../settings/names.js'
import { createS3Client } from '../s3/client.js'
import { verificationFailed, verify, type VerifyReport } from '../verify/index.js'
import { verdict, windowOutput } from '../report/verify.js'
import { verifyPage } from '../report/verify-page.js'
import { writePage } from './summary.js'

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
    await writePage(verifyPage(report, error, read(Inputs.Bucket).trim())).catch((e: unknown) =>
      core.warning(`Could not write the job summary: ${errorMessage(e)}`),
    )
  }
}
