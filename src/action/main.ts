import * as core from '@actions/core'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { S3Client } from '@aws-sdk/client-s3'
import { chainOutputs, newChainReport, runChain } from '../chain/index.js'
import { systemClock } from '../lib/clock.js'
import { errorMessage } from '../lib/errors.js'
import { createGitHub } from '../chain/client.js'
import { parseSettings, type InputReader } from '../settings/index.js'
import type { Logger } from '../lib/log.js'
import { Inputs, Outputs } from '../settings/names.js'
import { createS3Client, slowDownsOf } from '../s3/client.js'
import { concurrencyOf } from '../s3/pressure.js'
import { writeSummary, type RunReport } from './summary.js'
import { concurrencyLine, planLine, slowDownLine } from '../report/rollback.js'
import { afterRestore } from '../report/by-hand.js'
import { runSnapshot } from './snapshot.js'
import { runVerify } from './verify.js'
import { failWith } from './fail.js'
import { undoStep } from '../report/undo.js'
import { runDirectory } from '../lib/jsonl.js'
import { Cancellation, cancelOnSignals, wasCancelled } from '../lib/cancel.js'
import { cancelNotice, cancelled } from '../report/cancel.js'
import {
  changedTotal,
  undoVersionIds,
  recordedRollback,
  writtenBucket,
  type Manifest,
} from '../engine/index.js'

const log: Logger = {
  info: core.info,
  warning: core.warning,
  debug: core.debug,
  group: core.group,
}

/**
 * The action, by `mode`: `verify` (prove a rollback would work) and `snapshot` (record a named
 * good state) run their own modules; otherwise read inputs, roll back (or plan, in a dry run),
 * re-run the chained workflow if asked, set outputs, write the summary.
 */
export async function run(): Promise<void> {
  const cancel = new Cancellation()
  const stopListening = cancelOnSignals(cancel, {
    onSignal: (signal) => core.warning(cancelNotice(signal, cancel)),
  })
  const read: InputReader = (name) => core.getInput(name, { trimWhitespace: false })
  try {
    const mode = core.getInput(Inputs.Mode).trim()
    if (mode === 'verify') return await runVerify(read, { log, cancel })
    if (mode === 'snapshot') return await runSnapshot(read, { log, cancel })
    return await runRestore(read, { log, cancel })
  } finally {
    stopListening()
  }
}

/** `mode: restore`: roll back (or plan, in a dry run), chain, set outputs, write the summary. */
async function runRestore(
  read: InputReader,
  { log, cancel }: { log: Logger; cancel: Cancellation },
): Promise<void> {
  const report: RunReport = {}
  let s3: S3Client | undefined
  try {
    report.bucket = read(Inputs.Bucket).trim() || undefined
    const settings = parseSettings(read)
    if (settings.chain) core.setSecret(settings.chain.token)
    s3 = createS3Client(settings.s3)
    const manifest = await recordedRollback(s3, settings, log, {
      by: settings.context,
      saved: (uri) => (report.record = uri),
      run: { cancel },
    })
    report.manifest = manifest
    core.setOutput(Outputs.Manifest, JSON.stringify(manifest))
    core.setOutput(Outputs.Changed, String(changedTotal(manifest)))
    core.setOutput(Outputs.UndoVersionIds, undoVersionIds(manifest.keys))
    if (manifest.summary) core.setOutput(Outputs.ManifestFile, manifest.summary.manifestFile)
    const undoFile = await undoFileOf(manifest)
    if (undoFile) {
      core.setOutput(Outputs.UndoFile, undoFile)
      const undoOf = { ...settings, bucket: writtenBucket(manifest) }
      report.undo = { of: undoOf, file: undoFile }
      core.info(
        `To undo: upload the ${Outputs.UndoFile} output as an artifact, and run this action ` +
          undoStep(undoOf, undoFile),
      )
    }
    if (manifest.plan) core.setOutput(Outputs.PlanFile, manifest.plan.file)
    const digest = manifest.plan?.digest ?? manifest.appliedPlan
    if (digest) core.setOutput(Outputs.PlanDigest, digest)
    const applied = manifest.appliedPlan ? planLine(manifest) : undefined
    if (applied) core.info(applied)
    if ('snapshotId' in manifest.target)
      core.setOutput(Outputs.SnapshotId, manifest.target.snapshotId)
    if (settings.chain && settings.dryRun) {
      core.info(`Dry run: ${settings.chain.workflow} is not dispatched.`)
    } else if (settings.chain) {
      const { chain } = settings
      const chainReport = newChainReport(chain)
      report.chain = chainReport
      const github = createGitHub(chain.token, chain.apiUrl)
      await runChain(github, chain, chainReport, { clock: systemClock, log }).catch(
        (e: unknown) => {
          throw afterRestore(e, chain, chainReport, manifest)
        },
      )
    }
  } catch (e) {
    report.error = { thrown: e, message: failWith(e, read) }
    if (wasCancelled(e)) report.cancelled = cancelled(e, cancel)
  } finally {
    if (s3) report.slowDowns = slowDownsOf(s3)
    if (report.slowDowns?.answers) core.info(slowDownLine(report.slowDowns))
    if (s3) report.concurrency = concurrencyOf(s3)
    if (report.concurrency) core.info(concurrencyLine(report.concurrency))
    for (const [name, value] of report.chain ? chainOutputs(report.chain) : []) {
      core.setOutput(name, value)
    }
    await writeSummary(report).catch((e: unknown) =>
      core.warning(`Could not write the job summary: ${errorMessage(e)}`),
    )
  }
}

/**
 * The file of undo lines: a prefix run's, or for listed keys one written here (the lines of the
 * keys changed), so that a run of any size can be undone through `version-ids-file`.
 */
async function undoFileOf(manifest: Manifest): Promise<string | undefined> {
  if (manifest.dryRun) return undefined
  if (manifest.summary) return manifest.summary.undoFile
  const changed = manifest.keys.filter((k) => k.newVersionId !== null)
  if (changed.length === 0) return undefined
  const file = join(await runDirectory(), 'undo.txt')
  await writeFile(file, `${undoVersionIds(changed)}\n`)
  return file
}
