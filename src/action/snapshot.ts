/** The action in `mode: snapshot`: record the current versions under a name; outputs and summary. */
import * as core from '@actions/core'
import { errorMessage } from '../lib/errors.js'
import type { Logger } from '../lib/log.js'
import type { Cancellation } from '../lib/cancel.js'
import { createS3Client } from '../s3/client.js'
import { parseSettings, type InputReader, type Settings } from '../settings/index.js'
import { Outputs } from '../settings/names.js'
import { createSnapshot, type SnapshotSummary } from '../snapshot/create.js'
import { snapshotPage } from '../report/snapshot.js'
import { writePage } from './summary.js'
import { failWith } from './fail.js'

export async function runSnapshot(
  read: InputReader,
  { log, cancel }: { log: Logger; cancel: Cancellation },
): Promise<void> {
  let summary: SnapshotSummary | undefined
  let error: string | undefined
  let settings: Settings | undefined
  try {
    settings = parseSettings(read)
    summary = await createSnapshot(createS3Client(settings.s3), settings, log, { cancel })
    core.setOutput(Outputs.SnapshotId, summary.id)
  } catch (e) {
    error = failWith(e, read)
  } finally {
    const scope = { of: settings, prefix: settings?.prefix, error }
    await writePage(snapshotPage(summary, scope)).catch((e: unknown) =>
      core.warning(`Could not write the job summary: ${errorMessage(e)}`),
    )
  }
}
