import type { S3Client } from '@aws-sdk/client-s3'
import { join } from 'node:path'
import { applyPlan, revivePlanItem } from './apply.js'
import { PlanError } from '../lib/errors.js'
import type { Settings } from '../settings/types.js'
import { JsonLinesWriter, readJsonLines, runDirectory } from '../lib/jsonl.js'
import type { Logger } from '../lib/log.js'
import { buildManifest, INLINE_KEYS, type Manifest, type PrefixSummary } from './manifest.js'
import { requireVersioning } from '../s3/objects.js'
import type { PlanItem } from './plan.js'
import { plannedOutcome, type KeyOutcome } from './restore.js'
import { scanPrefix, type ScanResult } from './scan.js'

/** Files of one prefix run, in a private directory under RUNNER_TEMP (or the OS temp). */
export interface RunFiles {
  dir: string
  /** Pass 1's output: the keys to write. */
  plan: string
  /** Every write that landed (read by a put-back). */
  journal: string
  /** One manifest row per key (the `manifest-file` output). */
  manifest: string
  /** Final states after a failed run. */
  states: string
}

/** The files of a new run, in a new private directory. */
export async function runFiles(): Promise<RunFiles> {
  const dir = await runDirectory()
  return {
    dir,
    plan: join(dir, 'plan.jsonl'),
    journal: join(dir, 'journal.jsonl'),
    manifest: join(dir, 'manifest.jsonl'),
    states: join(dir, 'final-states.jsonl'),
  }
}

/**
 * Rolls every key under `settings.prefix` back to `settings.target` (a time), in two passes
 * with bounded memory: pass 1 lists and resolves every key (nothing is written if any key is
 * bad) and spills the writes to a plan file; pass 2 writes from that file, `concurrency` keys
 * at a time, all or nothing. The manifest lists the keys when there are at most INLINE_KEYS;
 * its summary always has the totals and the path of the full manifest file.
 */
export async function rollbackPrefix(
  s3: S3Client,
  settings: Settings,
  log: Logger,
  files?: RunFiles,
): Promise<Manifest> {
  const prefix = settings.prefix ?? ''
  const { bucket, expectedBucketOwner } = settings
  const paths = files ?? (await runFiles())
  await requireVersioning(s3, bucket, expectedBucketOwner)
  const manifest = await JsonLinesWriter.create(paths.manifest)
  const plan = await JsonLinesWriter.create(paths.plan)
  const journal = await JsonLinesWriter.create(paths.journal)
  let scan: ScanResult
  let written = 0
  try {
    const where = prefix === '' ? `s3://${bucket} (whole bucket)` : `s3://${bucket}/${prefix}`
    scan = await log.group(`Resolving versions under ${where}`, async () => {
      if (prefix !== '' && !prefix.endsWith('/')) {
        log.info(`Note: prefix ${prefix} is not a folder: it also matches ${prefix}.bak and such`)
      }
      const request = { ...settings, prefix }
      const result = await scanPrefix(s3, request, { plan, outcomes: manifest }, log)
      await plan.close()
      return result
    })
    check(scan, prefix)
    const planned = scan.actions.restore + scan.actions.delete
    log.info(
      `${scan.keys} keys, ${scan.versions} versions: ${scan.actions.restore} to restore, ` +
        `${scan.actions.delete} to delete, ${scan.actions.unchanged} unchanged, ` +
        `${scan.actions.skip} skipped`,
    )
    if (settings.dryRun) {
      for await (const item of readJsonLines<PlanItem>(paths.plan, revivePlanItem)) {
        await manifest.write(plannedOutcome(item))
      }
    } else if (planned > 0) {
      written = await log.group(`Restoring ${planned} keys`, () =>
        applyPlan(
          s3,
          { bucket, expectedBucketOwner },
          settings.copy,
          { plan: paths.plan, journal, outcomes: manifest, states: paths.states },
          { concurrency: settings.concurrency, total: planned },
          log,
        ),
      )
    }
  } finally {
    await Promise.all([plan.close(), journal.close(), manifest.close()])
  }
  const summary: PrefixSummary = {
    prefix,
    keys: scan.keys,
    versions: scan.versions,
    restored: scan.actions.restore,
    deleted: scan.actions.delete,
    unchanged: scan.actions.unchanged,
    skipped: scan.actions.skip,
    written,
    manifestFile: paths.manifest,
    keysOmitted: scan.keys > INLINE_KEYS,
  }
  const keys = summary.keysOmitted ? [] : await readManifest(paths.manifest)
  return { ...buildManifest(bucket, settings.target, settings.dryRun, keys), summary }
}

/** Nothing is written when any key cannot be rolled back, or when the prefix has no key. */
function check(scan: ScanResult, prefix: string): void {
  if (scan.problemCount > 0) {
    const more = scan.problemCount - scan.problems.length
    const problems = [...scan.problems]
    if (more > 0) problems.push({ key: `(${more} more keys)`, problem: 'not listed' })
    throw new PlanError(problems)
  }
  if (scan.keys === 0) {
    throw new PlanError([
      {
        key: prefix,
        problem: 'no key has any version under this prefix (prefixes are case-sensitive)',
      },
    ])
  }
}

/** The rows of a manifest file, sorted by key. */
export async function readManifest(path: string): Promise<KeyOutcome[]> {
  const rows: KeyOutcome[] = []
  for await (const row of readJsonLines<KeyOutcome>(path)) rows.push(row)
  return rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
}
