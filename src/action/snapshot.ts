/** The action in `mode: snapshot`: record the current versions under a name; outputs and summary. */
import * as core from '@actions/core'
import { errorMessage } from '../lib/errors.js'
import type { Logger } from '../lib/log.js'
import type { Cancellation } from '../lib/cancel.js'
import { createS3Client } from '../s3/client.js'
import { parseSettings, type InputReader } from '../settings/index.js'
import { Outputs } from '../settings/names.js'
import { createSnapshot, type SnapshotSummary } from '../snapshot/create.js'
import { snapshotLine } from '../report/snapshot.js'
import { failWith } from './fail.js'

export async function runSnapshot(
  read: InputReader,
  { log, cancel }: { log: Logger; cancel: Cancellation },
): Promise<void> {
  let summary: SnapshotSummary | undefined
  let error: string | undefined
  try {
    const settings = parseSettings(read)
    summary = await createSnapshot(createS3Client(settings.s3), settings, log, { cancel })
    core.setOutput(Outputs.SnapshotId, summary.id)
  } catch (e) {
    error = failWith(e, read)
  } finally {
    await writeSnapshotSummary(summary, error).catch((e: unknown) =>
      core.warning(`Could not write the job summary: ${errorMessage(e)}`),
    )
  }
}

async function writeSnapshotSummary(summary?: SnapshotSummary, error?: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const out = core.summary.addHeading('s3-rollback: snapshot', 2)
  if (summary) out.addRaw(snapshotLine(summary), true)
  if (error) out.addCodeBlock(error)
  await out.write()
}
