/** The rows that report run records (pure: data in, text out). */
import type { RunHeader } from '../history/runs.js'

export const HISTORY_HEADER = ['Started', 'By', 'Target', 'Scope', 'Outcome', 'Keys written']

export function historyRows(runs: readonly RunHeader[]): string[][] {
  return runs.map((r) => [
    r.startedAt,
    byOf(r.by),
    targetText(r.target),
    scopeText(r),
    r.outcome,
    String(r.written),
  ])
}

/** The actor and the run's URL, or the local user. */
export function byOf(by: RunHeader['by']): string {
  if (by.actor) return by.runUrl ? `${by.actor} (${by.runUrl})` : by.actor
  return by.user ?? by.runUrl ?? '—'
}

export function targetText(t: RunHeader['target']): string {
  if ('toTime' in t) return t.toTime
  if ('snapshot' in t) return `snapshot ${t.snapshot}`
  if ('plan' in t) return `plan ${t.plan}`
  return `${t.versionIds} version ID(s)`
}

/** What the run wrote to, and (a destination run) where it read the state from. */
export function scopeText(r: Pick<RunHeader, 'scope' | 'source'>): string {
  const scope =
    'prefix' in r.scope ? r.scope.prefix || '(whole bucket)' : `${r.scope.keys} listed keys`
  if (!r.source) return scope
  return `${scope}, from s3://${r.source.bucket}/${r.source.prefix ?? ''}`
}
