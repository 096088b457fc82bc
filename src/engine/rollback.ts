import type { S3Client } from '@aws-sdk/client-s3'
import { describe } from './copy.js'
import type { Settings } from '../settings/types.js'
import type { Logger } from '../lib/log.js'
import { buildManifest, type Manifest } from './manifest.js'
import { buildPlan } from './plan.js'
import { rollbackPrefix } from './prefix.js'
import { executePlan, plannedOutcome } from './restore.js'

/**
 * A whole rollback: resolve every key (nothing is written if any key is bad), then restore,
 * unless this is a dry run. The action and the CLI both call this.
 */
export async function rollback(s3: S3Client, settings: Settings, log: Logger): Promise<Manifest> {
  if (settings.prefix !== undefined) return rollbackPrefix(s3, settings, log)
  const plan = await log.group('Resolving versions', async () => {
    const plan = await buildPlan(s3, settings, log)
    for (const item of plan.items) {
      log.info(
        `${item.key}: ${item.action} (current: ${describe(item.current)}; target: ${describe(item.wanted)})`,
      )
    }
    return plan
  })
  const outcomes = settings.dryRun
    ? plan.items.map(plannedOutcome)
    : await log.group('Restoring', () =>
        executePlan(s3, plan, settings.copy, { concurrency: settings.concurrency }, log),
      )
  return buildManifest(settings.bucket, settings.target, settings.dryRun, outcomes)
}
