import { randomUUID } from 'node:crypto'
import type { ChainSettings } from '../settings/types.js'
import type { Clock } from '../lib/clock.js'
import { dispatchWorkflow, type DispatchRequest } from './dispatch.js'
import { ChainError } from '../lib/errors.js'
import { findDispatchedRun, type FoundBy } from './find-run.js'
import { GitHubCalls, seconds, type GitHub } from './client.js'
import type { Logger } from '../lib/log.js'
import { Outputs } from '../settings/names.js'
import { branchOf, listDispatchRuns, type RunInfo, type RunQuery } from './runs.js'
import { waitForRun } from './wait.js'

/** Runs created this long before the dispatch are listed too, in case the clocks disagree. */
export const CLOCK_SKEW_MS = 5 * 60_000
/** How long to look for a run the dispatch did not name (runs appear within seconds). */
export const FIND_TIMEOUT_MS = 5 * 60_000
/** A lone new run is taken as ours only if no other appeared this long after the dispatch. */
export const SETTLE_MS = 15_000
/** The longest pause between listings while finding a run. */
const MAX_FIND_POLL_MS = 5_000

/** What chaining did, filled in as it goes so that a failure still reports the run. */
export interface ChainReport {
  workflow: string
  repository: string
  ref: string
  runId?: number
  runUrl?: string
  foundBy?: FoundBy
  /** The last status seen (completed once the run ended). */
  status?: string
  /** success, failure, cancelled, …; undefined when not waited for. */
  conclusion?: string
  /**
   * How far the dispatch got: `sending` once it was sent (a failure then may or may not have
   * started a run), `sent` once GitHub accepted it; undefined before (nothing was dispatched).
   */
  dispatch?: 'sending' | 'sent'
}

/** An empty report for the chain about to run. */
export function newChainReport(chain: ChainSettings): ChainReport {
  return {
    workflow: String(chain.workflow),
    repository: `${chain.owner}/${chain.repo}`,
    ref: chain.ref,
  }
}

/** What runChain needs besides the client and settings (a fake clock and fixed IDs in tests). */
export interface ChainDeps {
  clock: Clock
  log: Logger
  /** Makes the distinct ID (a random UUID by default). */
  newId?: () => string
}

/**
 * Dispatches the downstream workflow, identifies its run, and (unless told not to) waits for it.
 * Throws ChainError when the run cannot be found, does not succeed, or the wait-timeout passes.
 */
export async function runChain(
  github: GitHub,
  chain: ChainSettings,
  report: ChainReport,
  deps: ChainDeps,
): Promise<void> {
  const { clock, log } = deps
  await log.group(`Dispatching ${chain.workflow}`, async () => {
    const calls = new GitHubCalls(clock, log, clock.now() + chain.timeoutMs)
    const run = await dispatchAndIdentify(github, calls, chain, deps, report)
    report.runId = run.id
    report.runUrl = run.url
    report.foundBy = run.foundBy
    if (!chain.wait) {
      log.info('Not waiting for the run (wait-for-workflow is false).')
      return
    }
    const done: RunInfo = await waitForRun(
      github,
      calls,
      { owner: chain.owner, repo: chain.repo, runId: run.id },
      {
        clock,
        log,
        pollMs: chain.pollIntervalMs,
        timeoutMs: chain.timeoutMs,
        onStatus: (status) => (report.status = status ?? undefined),
      },
    )
    report.conclusion = done.conclusion ?? 'unknown'
    if (done.conclusion !== 'success') {
      throw new ChainError(
        `Run ${run.id} of ${chain.workflow} concluded ${report.conclusion}: ${done.htmlUrl}`,
        undefined,
        done.htmlUrl,
      )
    }
    log.info(`Run ${run.id} of ${chain.workflow} succeeded: ${done.htmlUrl}`)
  })
}

/** The run a dispatch started, and how it was identified. */
interface IdentifiedRun {
  id: number
  url: string
  foundBy: FoundBy
}

/**
 * Lists the runs that exist already, dispatches (asking for the run's details; again without
 * them when the server rejects the field), and identifies the run the dispatch started.
 */
async function dispatchAndIdentify(
  github: GitHub,
  calls: GitHubCalls,
  chain: ChainSettings,
  deps: ChainDeps,
  report: ChainReport,
): Promise<IdentifiedRun> {
  const { clock, log } = deps
  const query: RunQuery = {
    owner: chain.owner,
    repo: chain.repo,
    workflow: chain.workflow,
    branch: branchOf(chain.ref),
    since: new Date(clock.now() - CLOCK_SKEW_MS),
  }
  // Runs that exist before the dispatch can never be ours; needed if no run ID comes back.
  const before = await listDispatchRuns(github, calls, query)
  log.debug(`Runs before the dispatch: ${before.runs.map((r) => r.id).join(', ') || 'none'}`)
  const distinct = chain.distinctIdInput
    ? { input: chain.distinctIdInput, id: (deps.newId ?? randomUUID)() }
    : undefined
  const request: DispatchRequest = {
    owner: chain.owner,
    repo: chain.repo,
    workflow: chain.workflow,
    ref: chain.ref,
    inputs: distinct ? { ...chain.inputs, [distinct.input]: distinct.id } : chain.inputs,
  }
  const names = Object.keys(request.inputs)
  log.info(
    `Dispatching ${chain.workflow} in ${chain.owner}/${chain.repo} on ${chain.ref}` +
      (names.length > 0 ? ` with inputs ${names.join(', ')}` : ''),
  )
  log.debug(`Inputs: ${JSON.stringify(request.inputs)}`)

  report.dispatch = 'sending'
  let answer = await dispatchWorkflow(github, calls, request, true)
  if (answer.kind === 'rejected') {
    log.info(
      `The server does not accept return_run_details (${answer.message}); dispatching ` +
        'without it and finding the run among the workflow_dispatch runs.',
    )
    answer = await dispatchWorkflow(github, calls, request, false)
  } else if (answer.kind === 'no-details') {
    log.info(
      'The server answered without run details (204); finding the run among the ' +
        'workflow_dispatch runs.',
    )
  }
  report.dispatch = 'sent'
  if (answer.kind === 'run') {
    log.info(
      `Run ${answer.runId} (named by the dispatch answer, return_run_details): ${answer.htmlUrl}`,
    )
    return { id: answer.runId, url: answer.htmlUrl, foundBy: 'run-details' }
  }
  const dispatchedAt = clock.now()
  const { run, foundBy } = await findDispatchedRun(github, calls, query, {
    known: new Set(before.runs.map((r) => r.id)),
    knownComplete: before.complete,
    distinct,
    clock,
    log,
    pollMs: Math.min(chain.pollIntervalMs, MAX_FIND_POLL_MS),
    settleMs: SETTLE_MS,
    dispatchedAt,
    giveUpAt: Math.min(calls.deadline, dispatchedAt + FIND_TIMEOUT_MS),
  })
  if (foundBy === 'distinct-id') {
    log.info(
      `Run ${run.id} (found by its distinct ID ${distinct?.id} in the title): ${run.htmlUrl}`,
    )
  } else {
    log.warning(
      `Run ${run.id} was found by elimination: the only new workflow_dispatch run on ` +
        `${query.branch}, still alone ${seconds(SETTLE_MS)} after the dispatch. Set ` +
        `workflow-distinct-id-input to prove it is ours: ${run.htmlUrl}`,
    )
  }
  return { id: run.id, url: run.htmlUrl, foundBy }
}

/** The workflow-run-* outputs ('' for what is not known). */
export function chainOutputs(report: ChainReport): [string, string][] {
  return [
    [Outputs.WorkflowRunId, report.runId === undefined ? '' : String(report.runId)],
    [Outputs.WorkflowRunUrl, report.runUrl ?? ''],
    [Outputs.WorkflowConclusion, report.conclusion ?? ''],
  ]
}
