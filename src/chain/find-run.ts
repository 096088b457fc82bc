import type { Clock } from '../lib/clock.js'
import { ChainError } from '../lib/errors.js'
import { seconds, type GitHub, type GitHubCalls } from './client.js'
import type { Logger } from '../lib/log.js'
import { listDispatchRuns, type RunInfo, type RunQuery } from './runs.js'

/** How a dispatched run was identified. */
export type FoundBy =
  /** The dispatch answer named it (return_run_details). */
  | 'run-details'
  /** It is the only new run whose title holds the UUID we sent in the distinct-ID input. */
  | 'distinct-id'
  /** It is the only run that appeared after the dispatch, and stayed the only one. */
  | 'elimination'

/** How to tell our run from the others, and how long to look. */
export interface FindOptions {
  /** IDs of runs listed before the dispatch: they are never ours. */
  known: ReadonlySet<number>
  /** Whether that listing was complete; elimination needs it. */
  knownComplete: boolean
  /** The distinct-ID input and the UUID sent in it, when configured. */
  distinct?: { input: string; id: string }
  clock: Clock
  log: Logger
  pollMs: number
  /** Elimination accepts a lone new run only when it is still alone this long after the dispatch. */
  settleMs: number
  dispatchedAt: number
  giveUpAt: number
}

/**
 * Finds the run a dispatch without run details created, among the workflow_dispatch runs of the
 * workflow on the ref. Runs listed before the dispatch are excluded. With a distinct ID, only a
 * run whose title holds it is ours. Without one, a run is ours only if it is the single new run and
 * stays single for `settleMs`; two or more new runs are an error listing them, never a guess.
 */
export async function findDispatchedRun(
  github: GitHub,
  calls: GitHubCalls,
  query: RunQuery,
  options: FindOptions,
): Promise<{ run: RunInfo; foundBy: FoundBy }> {
  const { clock, distinct } = options
  let lone: RunInfo | undefined
  for (;;) {
    const listing = await listDispatchRuns(github, calls, query)
    const fresh = listing.runs.filter((r) => !options.known.has(r.id))
    if (distinct) {
      const ours = fresh.filter((r) => r.displayTitle.includes(distinct.id))
      if (ours.length === 1) return { run: ours[0], foundBy: 'distinct-id' }
      if (ours.length > 1) throw ambiguous(query, ours, `all show ${distinct.id}`)
    } else {
      if (!options.knownComplete || !listing.complete) {
        throw new ChainError(
          `Too many workflow_dispatch runs of ${query.workflow} on ${query.branch} to tell ours ` +
            `apart by elimination; set workflow-distinct-id-input.`,
        )
      }
      if (fresh.length > 1) throw ambiguous(query, fresh, 'none can be proven ours')
      const [only] = fresh
      const settled = clock.now() >= options.dispatchedAt + options.settleMs
      if (only && lone?.id === only.id && settled) return { run: only, foundBy: 'elimination' }
      lone = only
    }
    const now = clock.now()
    if (now >= options.giveUpAt) throw notFound(query, fresh, options)
    await clock.sleep(Math.min(options.pollMs, options.giveUpAt - now))
  }
}

function ambiguous(query: RunQuery, runs: RunInfo[], why: string): ChainError {
  return new ChainError(
    `${runs.length} workflow_dispatch runs of ${query.workflow} on ${query.branch} started ` +
      `after our dispatch and ${why}; not guessing which is ours. Set ` +
      `workflow-distinct-id-input and show that input in the workflow's run-name to tell them ` +
      `apart. Candidates:\n${describeRuns(runs)}`,
  )
}

function notFound(query: RunQuery, fresh: RunInfo[], options: FindOptions): ChainError {
  const waited = seconds(options.giveUpAt - options.dispatchedAt)
  const expectation = options.distinct
    ? ` whose title contains ${options.distinct.id} (does the workflow show input ` +
      `'${options.distinct.input}' in its run-name?)`
    : ''
  const seen = fresh.length > 0 ? `\nNew runs seen:\n${describeRuns(fresh)}` : ''
  return new ChainError(
    `No workflow_dispatch run of ${query.workflow} on ${query.branch}${expectation} ` +
      `appeared within ${waited} of the dispatch.${seen}`,
  )
}

function describeRuns(runs: RunInfo[]): string {
  return runs
    .map((r) => `  run ${r.id} "${r.displayTitle}" created ${r.createdAt}: ${r.htmlUrl}`)
    .join('\n')
}
