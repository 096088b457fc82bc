/**
 * Which rows a report shows: the keys a run changed (or, in a dry run, would change) are what a
 * reader looks for; the keys it left as they were are counted, and listed only on request (the
 * CLI's `--all`, a collapsed section of the job summary). Pure.
 */
import type { KeyOutcome } from '../engine/index.js'

/** The keys a run wrote (or would write), and the ones it left as they were. */
export interface SplitRows {
  /** restored or deleted (a delete marker added). */
  changed: KeyOutcome[]
  /** unchanged (already as at the target) or skipped (absent at the target, if-missing: skip). */
  left: KeyOutcome[]
}

export function splitRows(keys: readonly KeyOutcome[]): SplitRows {
  const changed: KeyOutcome[] = []
  const left: KeyOutcome[] = []
  for (const k of keys) (k.action === 'restored' || k.action === 'deleted' ? changed : left).push(k)
  return { changed, left }
}

/** The keys left as they were, by why: already as at the target, or skipped. */
export function leftCounts(left: readonly KeyOutcome[]): { unchanged: number; skipped: number } {
  const unchanged = left.filter((k) => k.action === 'unchanged').length
  return { unchanged, skipped: left.length - unchanged }
}

/**
 * The rows a terminal table shows: every key with `all`, else only the changed ones, with a
 * line that counts the others (undefined when none was left out).
 */
export function tableRows(
  keys: readonly KeyOutcome[],
  all: boolean,
): { rows: KeyOutcome[]; hidden?: string } {
  if (all) return { rows: [...keys] }
  const { changed, left } = splitRows(keys)
  if (left.length === 0) return { rows: changed }
  const { unchanged, skipped } = leftCounts(left)
  const parts = [
    unchanged > 0 ? `${unchanged} unchanged` : '',
    skipped > 0 ? `${skipped} skipped` : '',
  ].filter((p) => p !== '')
  const keysWord = left.length === 1 ? 'key' : 'keys'
  return {
    rows: changed,
    hidden: `Not listed: ${parts.join(' and ')} ${keysWord} (--all lists every key; --json has every row).`,
  }
}
