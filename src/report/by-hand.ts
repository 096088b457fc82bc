/**
 * When the downstream workflow cannot be run after a restore that succeeded, the error says so
 * with what the operator needs next: that the data is rolled back (how many keys), and how to
 * dispatch the workflow by hand (a `gh workflow run` line, or the workflow's page with GitHub's
 * Run workflow button), or where to look first when the dispatch may have started a run. Pure.
 */
import type { ChainReport } from '../chain/index.js'
import { ChainError, errorMessage } from '../lib/errors.js'
import type { ChainSettings } from '../settings/types.js'
import type { Manifest } from '../engine/index.js'
import { totalsOf } from './rollback.js'
import { quote } from './undo.js'

/**
 * The error of a chain that failed after `manifest`'s restore: a ChainError with the same
 * status and run, its message followed by what was done and what to do. Anything else (a bug,
 * a cancel) is returned as it is.
 */
export function afterRestore(
  e: unknown,
  chain: ChainSettings,
  report: ChainReport,
  manifest: Manifest,
): unknown {
  if (!(e instanceof ChainError)) return e
  const lines = [errorMessage(e), rolledBackLine(manifest), ...nextSteps(chain, report, e.status)]
  return new ChainError(lines.join('\n'), e.status, e.runUrl)
}

/** "The rollback itself is done: 2 key(s) of s3://b rolled back (2 restored, 0 deleted)." */
export function rolledBackLine(manifest: Manifest): string {
  const t = totalsOf(manifest)
  const changed = t.restored + t.deleted
  const d = manifest.destination
  const where =
    `s3://${manifest.bucket}` + (d ? `, restored into s3://${d.bucket}/${d.prefix},` : '')
  return changed === 0
    ? `The rollback itself is done: every key of ${where} was already at the target.`
    : `The rollback itself is done: ${changed} key(s) of ${where} rolled back ` +
        `(${t.restored} restored, ${t.deleted} deleted).`
}

/** What to do about the workflow, by how far its dispatch got. */
function nextSteps(chain: ChainSettings, report: ChainReport, status?: number): string[] {
  if (report.runUrl) return []
  const workflow = String(chain.workflow)
  const page = workflowPage(chain)
  if (report.dispatch === 'sent') {
    return [
      `${workflow} was dispatched, but its run was not identified: look for it at ${page} ` +
        'before dispatching it again.',
    ]
  }
  const byHand = [
    `  ${ghCommand(chain)}`,
    `or in GitHub: Actions → ${workflow} → Run workflow (${page})`,
  ]
  const unclear = status === undefined || status >= 500
  if (report.dispatch === 'sending' && unclear) {
    return [
      `${workflow} may have been dispatched (its dispatch got no clear answer): look for its run ` +
        `at ${page}, and if none started, dispatch it by hand:`,
      ...byHand,
    ]
  }
  return [`${workflow} was not dispatched. Dispatch it by hand:`, ...byHand]
}

/** `gh workflow run` with the workflow, repository, ref and inputs the action would have sent. */
export function ghCommand(chain: ChainSettings): string {
  const ref = chain.ref.replace(/^refs\/(heads|tags)\//, '')
  const host = new URL(webUrl(chain.apiUrl)).host
  const repository = `${host === 'github.com' ? '' : `${host}/`}${chain.owner}/${chain.repo}`
  const words = ['gh', 'workflow', 'run', String(chain.workflow), '--repo', repository]
  words.push('--ref', ref)
  for (const [name, value] of Object.entries(chain.inputs)) words.push('-f', `${name}=${value}`)
  return words.map(quote).join(' ')
}

/** The workflow's page (Run workflow is there); the Actions tab for a numeric workflow ID. */
export function workflowPage(chain: ChainSettings): string {
  const actions = `${webUrl(chain.apiUrl)}/${chain.owner}/${chain.repo}/actions`
  return typeof chain.workflow === 'number' ? actions : `${actions}/workflows/${chain.workflow}`
}

/**
 * GitHub's web address for its REST API URL: https://github.com for api.github.com,
 * https://HOST for https://HOST/api/v3 (Enterprise Server), https://X.ghe.com for
 * api.X.ghe.com; any other URL is taken as both.
 */
export function webUrl(apiUrl: string): string {
  const url = new URL(apiUrl)
  if (url.host === 'api.github.com') return 'https://github.com'
  if (/^api\.[^.]+\.ghe\.com$/.test(url.host)) return `${url.protocol}//${url.host.slice(4)}`
  return `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/api\/v3$/, '')}`
}
