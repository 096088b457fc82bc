/**
 * The job summary of `mode: verify`, in the shape of every summary of this action: a headline
 * with the verdict and the guaranteed window, the problems and the keys that have them first,
 * the keys that passed counted and collapsed, the bucket's facts collapsed. Pure.
 */
import { formatDays } from '../settings/duration.js'
import type { KeyReport, VerifyReport } from '../verify/index.js'
import { verificationFailed } from '../verify/index.js'
import { formatBytes } from './rollback.js'
import {
  code,
  count,
  details,
  escape,
  headline,
  instant,
  list,
  paragraph,
  preformatted,
  small,
  table,
  written,
} from './markup.js'
import { bucketRows } from './verify.js'

/** The page; `error` when verification itself could not run. */
export function verifyPage(
  report: VerifyReport | undefined,
  error?: string,
  bucket?: string,
): string {
  const blocks: string[] = []
  if (report) blocks.push(...reportBlocks(report))
  else {
    const where = bucket ? ` ${code(`s3://${bucket}`)}` : ''
    blocks.push(headline(`Verify could not check${where}`))
  }
  if (error) blocks.push(preformatted(error))
  return `${blocks.join('\n\n')}\n`
}

function reportBlocks(r: VerifyReport): string[] {
  const failed = verificationFailed(r)
  const where = code(`s3://${r.bucket}`)
  const target = targetPhrase(r)
  const window = `guaranteed rollback window ${formatDays(r.window)} (at least ${escape(r.minWindow)} required)`
  const title = failed
    ? `NOT restorable: ${count(r.problems.length, 'problem')} in ${where}`
    : `Restorable: every key of ${where} can be rolled back ${target}`
  const bad = r.keys.filter((k) => k.problems.length > 0)
  const good = r.keys.filter((k) => k.problems.length === 0)
  const blocks = [
    headline(title),
    paragraph(
      `${count(r.keys.length, 'key')} checked ${target}: ${good.length} restorable, ${bad.length} not; ${window}.` +
        (r.drill
          ? ` Drill: each version was copied into ${code(r.drill.prefix)}, checked and removed.`
          : ''),
    ),
  ]
  // the keys with problems, then the problems of the bucket (or of the drill's cleanup)
  const own = new Set(bad.flatMap((k) => k.problems.map((p) => `${k.key}: ${p}`)))
  const general = r.problems.filter((p) => !own.has(p))
  const items = [
    ...bad.map((k) => `${code(k.key)} (${escape(k.state)}): ${k.problems.map(escape).join('; ')}`),
    ...general.map(escape),
  ]
  if (items.length > 0) blocks.push(list(items))
  const drill = r.drill !== null
  const header = [
    'Key',
    'State',
    'Version at the target (UTC)',
    'Window',
    ...(drill ? ['Drill'] : []),
  ]
  if (good.length > 0) {
    const rows = table(
      [...header, 'Version ID'],
      good.map((k) => [...cells(k, drill), versionId(k)]),
    )
    blocks.push(
      bad.length > 0 || good.length > 1
        ? details(`Restorable: ${count(good.length, 'key')}`, rows)
        : rows,
    )
  }
  blocks.push(
    details(
      'The bucket: versioning, lifecycle rules, window',
      table(
        ['', ''],
        bucketRows(r).map(([label, value]) => [escape(label), escape(value)]),
      ),
    ),
  )
  return blocks
}

function targetPhrase(r: VerifyReport): string {
  const t = r.target
  if ('toTime' in t) {
    return `to ${instant(t.toTime)}${r.atWindowStart ? ` (now − ${escape(r.minWindow)})` : ''}`
  }
  if ('snapshot' in t) return `to snapshot ${code(t.snapshot)}`
  return 'to the given versions'
}

function cells(k: KeyReport, drill: boolean): string[] {
  const version =
    k.versionId === null
      ? 'none'
      : `${written(k.lastModified, false)}${k.size === null ? '' : ` · ${formatBytes(k.size)}`}` +
        (k.storageClass && k.storageClass !== 'STANDARD' ? ` · ${escape(k.storageClass)}` : '')
  return [
    code(k.key),
    escape(k.state),
    version,
    formatDays(k.windowDays),
    ...(drill ? [drillCell(k)] : []),
  ]
}

function versionId(k: KeyReport): string {
  return small(k.versionId === null ? '' : code(k.versionId))
}

function drillCell(k: KeyReport): string {
  const d = k.drill
  if (!d) return '—'
  if (d.result === 'copied')
    return `copied, checked by ${escape(d.check ?? 'size')}${d.removed ? ', removed' : ''}`
  return escape(d.result + (d.error ? `: ${d.error}` : '') + (d.removed ? ', removed' : ''))
}
