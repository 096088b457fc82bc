import * as core from '@actions/core'
import type { S3Client } from '@aws-sdk/client-s3'
import { chainOutputs, newChainReport, runChain } from '../chain/index.js'
import { systemClock } from '../lib/clock.js'
import { errorMessage } from '../lib/errors.js'
import { createGitHub } from '../chain/client.js'
import { parseSettings, type InputReader } from '../settings/index.js'
import type { Logger } from '../lib/log.js'
import { Inputs, Outputs } from '../settings/names.js'
import { createS3Client, slowDownsOf } from '../s3/client.js'
import { writeSummary, type RunReport } from './summary.js'
import { slowDownLine } from '../report/rollback.js'
import { runSnapshot } from './snapshot.js'
import { runVerify } from './verify.js'
import { failWith } from './fail.js'
import { changedTotal, undoVersionIds, recordedRollback } from '../engine/index.js'

const log: Logger = {
  info: core.info,
  warning: core.warning,
  debug: core.debug,
  group: core.group,
}

/** The action: read inputs, roll back (or plan, in a dry run), set outputs, write the summary. */
export async function run(): Promise<void> {
  const mode = core.getInput(Inputs.Mode).trim()
  if (mode === 'verify') {
    return runVerify((name) => core.getInput(name, { trimWhitespace: false }), log)
  }
  if (mode === 'snapshot') {
    return runSnapshot((name) => core.getInput(name, { trimWhitespace: false }), log)
  }
  const report: RunReport = {}
  const read: InputReader = (name) => core.getInput(name, { trimWhitespace: false })
  let s3: S3Client | undefined
  try {
    const settings = parseSettings(read)
    if (settings.chain) core.setSecret(settings.chain.token)
    s3 = createS3Client(settings.s3)
    const manifest = await recordedRollback(s3, settings, log, {
      by: settings.context,
      saved: (uri) => (report.record = uri),
    })
    report.manifest = manifest
    core.setOutput(Outputs.Manifest, JSON.stringify(manifest))
    core.setOutput(Outputs.Changed, String(changedTotal(manifest)))
    core.setOutput(Outputs.UndoVersionIds, undoVersionIds(manifest.keys))
    if (manifest.summary) core.setOutput(Outputs.ManifestFile, manifest.summary.manifestFile)
    if (manifest.summary?.undoFile) core.setOutput(Outputs.UndoFile, manifest.summary.undoFile)
    if (manifest.plan) core.setOutput(Outputs.PlanFile, manifest.plan.file)
    const digest = manifest.plan?.digest ?? manifest.appliedPlan
    if (digest) core.setOutput(Outputs.PlanDigest, digest)
    if ('snapshotId' in manifest.target)
      core.setOutput(Outputs.SnapshotId, manifest.target.snapshotId)
    if (settings.chain && settings.dryRun) {
      core.info(`Dry run: ${settings.chain.workflow} is not dispatched.`)
    } else if (settings.chain) {
      const { chain } = settings
      report.chain = newChainReport(chain)
      const github = createGitHub(chain.token, chain.apiUrl)
      await runChain(github, chain, report.chain, { clock: systemClock, log })
    }
  } catch (e) {
    report.error = failWith(e, read)
  } finally {
    if (s3) report.slowDowns = slowDownsOf(s3)
    if (report.slowDowns?.answers) core.info(slowDownLine(report.slowDowns))
    for (const [name, value] of report.chain ? chainOutputs(report.chain) : []) {
      core.setOutput(name, value)
    }
    await writeSummary(report).catch((e: unknown) =>
      core.warning(`Could not write the job summary: ${errorMessage(e)}`),
    )
  }
}
