import * as core from '@actions/core'
import { describe } from './copy.js'
import { PlanError, RestoreError, errorMessage } from './errors.js'
import { parseSettings } from './inputs.js'
import type { Logger } from './log.js'
import { buildManifest, changedCount, undoVersionIds } from './manifest.js'
import { Outputs } from './names.js'
import { buildPlan } from './plan.js'
import { executePlan, plannedOutcome } from './restore.js'
import { createS3Client } from './s3client.js'
import { writeSummary, type RunReport } from './summary.js'

const log: Logger = { info: core.info, warning: core.warning, debug: core.debug }

/** The action: read inputs, plan, restore (unless dry run), set outputs, write the summary. */
export async function run(): Promise<void> {
  const report: RunReport = {}
  try {
    const settings = parseSettings((name) => core.getInput(name, { trimWhitespace: false }))
    const s3 = createS3Client(settings.s3)
    const plan = await core.group('Resolving versions', async () => {
      const plan = await buildPlan(s3, settings, log)
      for (const item of plan.items) {
        core.info(
          `${item.key}: ${item.action} (current: ${describe(item.current)}; target: ${describe(item.wanted)})`,
        )
      }
      return plan
    })
    const outcomes = settings.dryRun
      ? plan.items.map(plannedOutcome)
      : await core.group('Restoring', () =>
          executePlan(s3, plan, settings.copy, { concurrency: 4 }, log),
        )
    const manifest = buildManifest(settings.bucket, settings.target, settings.dryRun, outcomes)
    report.manifest = manifest
    core.setOutput(Outputs.Manifest, JSON.stringify(manifest))
    core.setOutput(Outputs.Changed, String(changedCount(outcomes)))
    core.setOutput(Outputs.UndoVersionIds, undoVersionIds(outcomes))
  } catch (e) {
    annotate(e)
    report.error = errorMessage(e)
    core.setFailed(errorMessage(e))
  } finally {
    await writeSummary(report).catch((e: unknown) =>
      core.warning(`Could not write the job summary: ${errorMessage(e)}`),
    )
  }
}

/** One error annotation per key that failed. */
function annotate(e: unknown): void {
  if (e instanceof PlanError) {
    for (const p of e.problems)
      core.error(`${p.key}: ${p.problem}`, { title: `s3-rollback: ${p.key}` })
  } else if (e instanceof RestoreError) {
    core.error(`${e.failedKey}: ${errorMessage(e.cause)}`, { title: `s3-rollback: ${e.failedKey}` })
  }
}
