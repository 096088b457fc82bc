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
        (r.drill ? ` ${drillLine(r)}` : ''),
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
  if (good.length > 0) {
    const rows = keyTable(good, r.drill !== null)
    blocks.push(
      bad.length > 0 || good.length > 1
        ? details(`Restorable: ${count(good.length, 'key')}`, rows)
        : rows,
    )
  }
  const facts = bucketRows(r).map(
    ([label, value]) => `<strong>${escape(label)}:</strong> ${escape(value)}`,
  )
  blocks.push(details('The bucket: versioning, lifecycle rules, window', list(facts)))
  return blocks
}

/** What the drill did, in one sentence. */
function drillLine(r: VerifyReport): string {
  const drilled = r.keys.filter((k) => k.drill !== null)
  const copied = drilled.filter((k) => k.drill?.result === 'copied').length
  const left = r.drill?.leftBehind.length ?? 0
  return (
    `Drill: ${copied} of ${count(drilled.length, 'version')} copied into ${code(r.drill?.prefix ?? '')} ` +
    `through the rollback's copy path and checked; ` +
    (left === 0 ? 'every scratch copy removed.' : `${count(left, 'scratch version')} left behind.`)
  )
}

function targetPhrase(r: VerifyReport): string {
  const t = r.target
  if ('toTime' in t) {
    return `to ${instant(t.toTime)}${r.atWindowStart ? ` (now − ${escape(r.minWindow)})` : ''}`
  }
  if ('snapshot' in t) return `to snapshot ${code(t.snapshot)}`
  return 'to the given versions'
}

/** The keys that pass: the version at the target (its time, size, ID), window, drill. */
function keyTable(keys: readonly KeyReport[], drill: boolean): string {
  // the state only when it is not the same for all (absent keys pass where if-missing allows)
  const state = keys.some((k) => k.state !== 'restorable')
  const header = [
    'Key',
    ...(state ? ['State'] : []),
    'Version at the target (UTC)',
    'Window',
    ...(drill ? ['Drill'] : []),
  ]
  const rows = keys.map((k) => {
    const version =
      k.versionId === null
        ? 'none'
        : `${written(k.lastModified, false)}${k.size === null ? '' : ` · ${formatBytes(k.size)}`}` +
          (k.storageClass && k.storageClass !== 'STANDARD' ? ` · ${escape(k.storageClass)}` : '') +
          `<br>${small(code(k.versionId))}`
    return [
      code(k.key),
      ...(state ? [escape(k.state)] : []),
      version,
      formatDays(k.windowDays),
      ...(drill ? [drillCell(k)] : []),
    ]
  })
  return table(header, rows)
}

function drillCell(k: KeyReport): string {
  const d = k.drill
  if (!d) return '—'
  const removed = d.removed ? ', removed' : ', NOT removed'
  if (d.result === 'copied') {
    return `copied${removed}${d.check ? `<br>${small(`checked by ${escape(d.check)}`)}` : ''}`
  }
  return escape(d.result + removed) + (d.error ? `<br>${small(escape(d.error))}` : '')
}
