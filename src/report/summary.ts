/**
 * The job summary of a restore, its dry run, or a run of a saved plan, in the shape every
 * summary of this action has: a headline with the outcome (and the downstream run), the keys
 * that changed with when their restored and replaced versions were written, the keys left as
 * they were counted and collapsed, and what to paste to undo it (or, for a dry run, what
 * approving the plan does). Pure: the run's report in, the page (HTML and Markdown) out.
 */
import type { ChainReport } from '../chain/index.js'
import type { KeyOutcome, Manifest } from '../engine/index.js'
import type { CancelReport } from './cancel.js'
import { failureBlocks } from './failure.js'
import {
  attr,
  code,
  count,
  details,
  escape,
  fenced,
  headline,
  instant,
  list,
  num,
  paragraph,
  small,
  table,
  written,
} from './markup.js'
import {
  concurrencyLine,
  formatBytes,
  planLine,
  recordLine,
  slowDownLine,
  totalsOf,
  writersLine,
} from './rollback.js'
import { leftCounts, splitRows } from './rows.js'
import { undoSection, type UndoOf } from './undo.js'

/** What the job summary reports; filled in as the run goes, written in `finally`. */
export interface RunReport {
  /** The bucket the inputs named (for a run that failed before its manifest). */
  bucket?: string
  manifest?: Manifest
  /** Why the run failed, when it did: the error and its message (with what to do). */
  error?: { thrown: unknown; message: string }
  /** The downstream workflow run, once chaining started. */
  chain?: ChainReport
  /** How to reach the bucket again, and the undo file (the run wrote). */
  undo?: { of: UndoOf; file: string }
  /** Set when a signal cancelled the run. */
  cancelled?: CancelReport
  /** The run record saved in the snapshot store (also for a run that failed and was put back). */
  record?: string
  /** 503 SlowDown answers S3 gave, and how many the SDK retried. */
  slowDowns?: { answers: number; retried: number }
  /** The most writes in flight at once, and the ceiling (once the run wrote). */
  concurrency?: { reached: number; ceiling: number }
}

/** The whole page. */
export function rollbackPage(r: RunReport): string {
  const blocks: string[] = []
  const m = r.manifest
  if (m) {
    blocks.push(headline(headlineOf(m)))
    if (r.chain) blocks.push(paragraph(downstream(r.chain)))
    if (r.error) {
      blocks.push(paragraph('<strong>The step failed after the rollback:</strong>'))
      blocks.push(fenced(r.error.message, 'text'))
    }
    blocks.push(paragraph(countsLine(m)))
    blocks.push(...planBlocks(m), ...keyBlocks(m))
    if (!m.dryRun) blocks.push(...undoSection(m, r.undo))
  } else if (r.error) {
    blocks.push(...failureBlocks({ ...r.error, bucket: r.bucket, cancelled: r.cancelled }))
  }
  const more = runDetails(r)
  if (more.length > 0) blocks.push(details('About this run', list(more)))
  return `${blocks.join('\n\n')}\n`
}

/**
 * One line: what happened (or would), to which keys, and the target. Made of phrases (verb,
 * keys and where they are, target) so that another (such as a destination) slots in.
 */
export function headlineOf(m: Manifest): string {
  const t = totalsOf(m)
  const changed = t.restored + t.deleted
  const total = m.summary?.keys ?? m.keys.length
  const keys = m.summary ? `${num(changed)} of ${count(total, 'key')}` : count(changed, 'key')
  const where = scope(m)
  const target = targetPhrase(m)
  if (changed === 0) {
    const all = m.summary
      ? `the ${count(total, 'key')} under ${where}`
      : `the ${count(total, 'key')} of ${where}`
    const verb = total === 1 ? 'is' : 'are'
    const already = targetPhrase(m, 'already')
    const there = m.destination ? ` in ${into(m)[1]}` : ''
    return `${m.dryRun ? 'Dry run: n' : 'N'}othing to roll back: ${all} ${verb} already ${already}${there}`
  }
  const of = m.summary ? 'under' : 'of'
  const phrases = m.dryRun
    ? ['Dry run: the plan rolls back', keys, of, where, target]
    : ['Rolled back', keys, of, where, target]
  return [...phrases, ...into(m)].join(' ')
}

/** A run into a destination: where the state was restored instead of in place. */
function into(m: Manifest): string[] {
  const d = m.destination
  return d ? ['into', code(`s3://${d.bucket}/${d.prefix}`)] : []
}

/** The bucket, and the prefix of a prefix run. */
function scope(m: Manifest): string {
  const prefix = m.summary?.prefix
  return code(prefix === undefined ? `s3://${m.bucket}` : `s3://${m.bucket}/${prefix}`)
}

/** The target: `to …` after a verb, or what keys that match it already are (`as at …`). */
function targetPhrase(m: Manifest, as: 'to' | 'already' = 'to'): string {
  const t = m.target
  if ('toTime' in t) return `${as === 'to' ? 'to' : 'as at'} ${instant(t.toTime)}`
  if ('snapshot' in t) {
    const id = t.snapshot === t.snapshotId ? '' : ` (${code(t.snapshotId)})`
    return `${as === 'to' ? 'to' : 'as in'} snapshot ${code(t.snapshot)}${id}`
  }
  return `${as === 'to' ? 'to' : 'at'} the given versions`
}

/** The counts: changed (restored, deleted), left as they were, and for a prefix the listing. */
function countsLine(m: Manifest): string {
  const t = totalsOf(m)
  const changed = t.restored + t.deleted
  const head = m.dryRun
    ? `<strong>Nothing was written.</strong> Would change ${count(changed, 'key')} (${num(t.restored)} to restore, ${num(t.deleted)} to delete)`
    : `Changed ${count(changed, 'key')} (${num(t.restored)} restored, ${num(t.deleted)} deleted)`
  const left = `${num(t.unchanged)} unchanged, ${num(t.skipped)} skipped`
  const listed = m.summary
    ? ` ${count(m.summary.versions, 'version')} listed under the prefix.`
    : ''
  return `${head}; ${left}.${listed}`
}

/** The downstream run: its link and how it ended (HTML). */
export function downstream(chain: ChainReport): string {
  const where = `in ${escape(chain.repository)} on ${escape(chain.ref)}`
  if (chain.runId === undefined || chain.runUrl === undefined) {
    return `<strong>Downstream:</strong> ${escape(chain.workflow)} ${where}: no run identified`
  }
  const link = `<a href="${attr(chain.runUrl)}">${escape(chain.workflow)} run ${chain.runId}</a>`
  const state = chain.conclusion ?? (chain.status ? `${chain.status} (not waited for)` : 'started')
  return `<strong>Downstream:</strong> ${link} ${where}: <strong>${escape(state)}</strong>`
}

/** A dry run: what approving the plan does, and its digest; a run of a plan: which one. */
function planBlocks(m: Manifest): string[] {
  if (m.appliedPlan && m.alreadyApplied) return [paragraph(escape(planLine(m) ?? ''))]
  if (m.appliedPlan) return [paragraph(`Applied the approved plan ${code(m.appliedPlan)}.`)]
  if (!m.dryRun) return []
  const t = totalsOf(m)
  const does = [
    t.restored > 0
      ? `restore ${count(t.restored, 'key')} to their version ${targetPhrase(m).replace(/^to /, 'at ')}`
      : '',
    t.deleted > 0 ? `add a delete marker to ${count(t.deleted, 'key')} (absent at the target)` : '',
    `leave ${count(t.unchanged + t.skipped, 'key')} as they are`,
  ].filter((p) => p !== '')
  if (!m.plan) {
    return [paragraph('<strong>Run again without <code>dry-run</code></strong> to:'), list(does)]
  }
  return [
    paragraph(`<strong>Approving plan ${code(m.plan.digest)}</strong> will:`),
    list(does),
    paragraph(
      'It applies exactly the rows below, and is refused, with nothing written, if any key ' +
        `changes before then. Plan file (the <code>plan-file</code> output): ${code(m.plan.file)}`,
    ),
  ]
}

/** The changed keys in a table; the others counted, and listed in a collapsed table. */
function keyBlocks(m: Manifest): string[] {
  if (m.summary?.keysOmitted) {
    return [
      paragraph(
        `The ${count(m.summary.keys, 'key')} are too many to list here: the ` +
          `<code>manifest-file</code> output has one row per key: ${code(m.summary.manifestFile)}.`,
      ),
    ]
  }
  const { changed, left } = splitRows(m.keys)
  const blocks: string[] = []
  if (changed.length > 0) {
    const header = m.dryRun
      ? ['Key', 'Version to restore (UTC)', 'Current version (UTC)']
      : ['Key', 'Restored version (UTC)', 'Replaced version (UTC)', 'New version']
    blocks.push(
      table(
        header,
        changed.map((k) => changedRow(k, m.dryRun)),
      ),
    )
  }
  if (left.length > 0) {
    const { unchanged, skipped } = leftCounts(left)
    const why = [
      unchanged > 0 ? `${count(unchanged, 'key')} already as at the target` : '',
      skipped > 0 ? `${count(skipped, 'key')} skipped (absent at the target)` : '',
    ].filter((p) => p !== '')
    blocks.push(
      details(
        `Not changed: ${why.join(', ')}`,
        table(['Key', 'State', 'Current version (UTC)', 'Version ID'], left.map(leftRow)),
      ),
    )
  }
  return blocks
}

/**
 * A changed key: when its restored version was written and its size, when the version it
 * replaces was written, each with its version ID in small print under it; and the new version.
 */
function changedRow(k: KeyOutcome, dryRun: boolean): string[] {
  const restored =
    k.restoredVersionId === null
      ? dryRun
        ? 'none: gets a delete marker'
        : 'none: delete marker added'
      : `${written(k.lastModified, false)}${k.size === null ? '' : ` · ${formatBytes(k.size)}`}` +
        `<br>${small(code(k.restoredVersionId))}`
  const replaced =
    k.previousVersionId === null
      ? 'none: absent'
      : `${written(k.previousLastModified, false)}<br>${small(code(k.previousVersionId))}`
  const row = [code(k.key), restored, replaced]
  return dryRun ? row : [...row, small(k.newVersionId === null ? '' : code(k.newVersionId))]
}

function leftRow(k: KeyOutcome): string[] {
  if (k.action === 'skipped') {
    return [
      code(k.key),
      'skipped: absent at the target',
      k.previousVersionId === null ? 'none' : written(k.previousLastModified, false),
      small(k.previousVersionId === null ? '' : code(k.previousVersionId)),
    ]
  }
  const version =
    k.restoredVersionId === null
      ? 'none: absent, as at the target'
      : `${written(k.lastModified, false)}${k.size === null ? '' : ` · ${formatBytes(k.size)}`}`
  return [
    code(k.key),
    'unchanged',
    version,
    small(k.restoredVersionId === null ? '' : code(k.restoredVersionId)),
  ]
}

/** Small print: how the run wrote, where its record is. */
function runDetails(r: RunReport): string[] {
  const m = r.manifest
  const lines = [
    m ? writersLine(m) : undefined,
    r.slowDowns?.answers ? slowDownLine(r.slowDowns) : undefined,
    r.concurrency ? concurrencyLine(r.concurrency) : undefined,
    r.record ? recordLine(r.record) : undefined,
  ]
  return lines.filter((l): l is string => l !== undefined).map(escape)
}
