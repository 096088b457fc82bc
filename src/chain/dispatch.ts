import type { WorkflowInputValue } from '../settings/types.js'
import { ChainError } from '../lib/errors.js'
import { API_VERSION, type GitHub, type GitHubCalls } from './client.js'

/** A workflow_dispatch to send. */
export interface DispatchRequest {
  owner: string
  repo: string
  workflow: string | number
  ref: string
  inputs: Record<string, WorkflowInputValue>
}

/**
 * What the dispatch answered: the run it created (GitHub's `return_run_details`), `no-details`
 * (204: the server ignored the field), or `rejected` (400/422: the server does not know the field;
 * nothing was dispatched).
 */
export type DispatchAnswer =
  | { kind: 'run'; runId: number; htmlUrl: string }
  | { kind: 'no-details' }
  | { kind: 'rejected'; message: string }

/**
 * Sends the dispatch. With `returnRunDetails`, a 400 or 422 answer is returned as `rejected` so
 * the caller can dispatch again without the field (older GitHub Enterprise Server). Dispatches
 * are never retried after a server error: the run may have started.
 */
export async function dispatchWorkflow(
  github: GitHub,
  calls: GitHubCalls,
  request: DispatchRequest,
  returnRunDetails: boolean,
): Promise<DispatchAnswer> {
  const where = `${request.workflow} in ${request.owner}/${request.repo} on ${request.ref}`
  try {
    const response = await calls.send(
      `Dispatching ${where}`,
      () =>
        github.request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', {
          owner: request.owner,
          repo: request.repo,
          workflow_id: request.workflow,
          ref: request.ref,
          inputs: request.inputs,
          ...(returnRunDetails ? { return_run_details: true } : {}),
          headers: { 'x-github-api-version': API_VERSION },
        }),
      false,
    )
    const data: unknown = response.data
    if (response.status === 200 && isRunDetails(data)) {
      return { kind: 'run', runId: Number(data.workflow_run_id), htmlUrl: data.html_url }
    }
    return { kind: 'no-details' }
  } catch (e) {
    if (!(e instanceof ChainError)) throw e
    if (returnRunDetails && (e.status === 400 || e.status === 422)) {
      return { kind: 'rejected', message: e.message }
    }
    throw new ChainError(`${e.message}${hint(e.status, request)}`, e.status)
  }
}

function isRunDetails(data: unknown): data is { workflow_run_id: number; html_url: string } {
  const d = data as { workflow_run_id?: unknown; html_url?: unknown } | undefined
  return (
    (typeof d?.workflow_run_id === 'number' || typeof d?.workflow_run_id === 'bigint') &&
    typeof d.html_url === 'string'
  )
}

/** What a person should check after a failed API call. */
export function hint(status: number | undefined, at: { owner: string; repo: string }): string {
  const repository = `${at.owner}/${at.repo}`
  switch (status) {
    case undefined:
      return ' (no response: a dispatch is not repeated, as it may have started a run; check the workflow’s runs before running again)'
    case 401:
      return ' (the github-token is not valid)'
    case 403:
      return (
        ` (the token may not run workflows in ${repository}: it needs actions: write; ` +
        'a token for another repository must be a personal access token or a GitHub App token)'
      )
    case 404:
      return ` (check workflow, workflow-repository and that the token can see ${repository})`
    case 422:
      return ' (check that the workflow has a workflow_dispatch trigger, the ref exists and the inputs are ones it declares)'
    default:
      return status >= 500
        ? ' (a dispatch is not repeated after a server error, as it may have started a run; check the workflow’s runs before running again)'
        : ''
  }
}
