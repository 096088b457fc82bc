/** The run's manifest, assembled from its outcome rows and what pass 1 counted. */
import type { Store } from '../../lib/store.js'
import {
  INLINE_KEYS,
  buildManifest,
  type KeyOutcome,
  type Manifest,
  type PrefixSummary,
} from '../plan/manifest.js'
import type { ScanResult } from '../plan/scan.js'
import type { ResolvedSettings } from '../plan/target.js'
import { writeUndo } from './undo.js'
import { keyMap } from '../../settings/destination.js'

/**
 * The manifest: every row for listed keys (in the order given); for a prefix, the totals, the
 * file with every row, and the rows themselves when there are at most INLINE_KEYS.
 */
export async function manifestOf(
  settings: ResolvedSettings,
  result: ScanResult,
  written: number,
  outcomes: Store<KeyOutcome>,
): Promise<Manifest> {
  const { bucket, target, dryRun, prefix } = settings
  const omitted = prefix !== undefined && result.keys > INLINE_KEYS
  const rows: KeyOutcome[] = []
  if (!omitted) for await (const row of outcomes.read()) rows.push(row)
  const map = keyMap(settings.bucket, prefix, settings.destination)
  const order = new Map(settings.keys.map((k, i) => [map.to(k), i]))
  rows.sort((a, b) =>
    prefix === undefined
      ? (order.get(a.key) ?? 0) - (order.get(b.key) ?? 0)
      : a.key < b.key
        ? -1
        : a.key > b.key
          ? 1
          : 0,
  )
  const manifest = buildManifest(bucket, target, dryRun, rows)
  if (settings.destination) manifest.destination = settings.destination
  if (prefix === undefined) return manifest
  const undoFile = dryRun || !outcomes.path ? undefined : await writeUndo(outcomes)
  const summary: PrefixSummary = {
    prefix,
    keys: result.keys,
    versions: result.versions,
    restored: result.actions.restore,
    deleted: result.actions.delete,
    unchanged: result.actions.unchanged,
    skipped: result.actions.skip,
    written,
    manifestFile: outcomes.path ?? '',
    keysOmitted: omitted,
    ...(undoFile ? { undoFile } : {}),
  }
  return { ...manifest, summary }
}
