import { API_VERSION, type GitHub, type GitHubCalls } from './client.js'

/** A workflow run, reduced to what chaining needs. */
export interface RunInfo {
  id: number
  runNumber: number
  /** queued, in_progress, waiting, pending, requested, completed (null on some servers). */
  status: string | null
  /** success, failure, cancelled, timed_out, … once completed. */
  conclusion: string | null
  htmlUrl: string
  /** The run's title: the workflow's `run-name` when it sets one. */
  displayTitle: string
  event: string
  headBranch: string | null
  createdAt: string
}

/** The fields of GitHub's workflow-run object that RunInfo reads. */
interface WorkflowRunData {
  /** int64 in the schema; Octokit parses IDs beyond 2^53 as bigint. */
  id: number | bigint
  run_number: number
  status: string | null
  conclusion: string | null
  html_url: string
  display_title: string
  event: string
  head_branch: string | null
  created_at: string
}

/** The fields chaining reads from GitHub's workflow-run object. */
export function toRunInfo(run: WorkflowRunData): RunInfo {
  return {
    id: Number(run.id),
    runNumber: run.run_number,
    status: run.status,
    conclusion: run.conclusion,
    htmlUrl: run.html_url,
    displayTitle: run.display_title,
    event: run.event,
    headBranch: run.head_branch,
    createdAt: run.created_at,
  }
}

/** Which runs to list: workflow_dispatch runs of one workflow on one branch, created since. */
export interface RunQuery {
  owner: string
  repo: string
  workflow: string | number
  /** Branch or tag name as runs report it (head_branch), without refs/heads/. */
  branch: string
  since: Date
}

/** The listing of a RunQuery; `complete` is false when it had more pages than were read. */
export interface RunListing {
  runs: RunInfo[]
  complete: boolean
}

const PER_PAGE = 100
const MAX_PAGES = 10

/**
 * Lists the query's runs, every page (GitHub returns at most 1,000 for filtered queries). The
 * filters are applied here again, so a server that ignores one cannot widen the result.
 */
export async function listDispatchRuns(
  github: GitHub,
  calls: GitHubCalls,
  query: RunQuery,
): Promise<RunListing> {
  const runs: RunInfo[] = []
  for (let page = 1; page <= MAX_PAGES; page++) {
    const { data } = await calls.send(`Listing runs of ${query.workflow}`, () =>
      github.request('GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs', {
        owner: query.owner,
        repo: query.repo,
        workflow_id: query.workflow,
        event: 'workflow_dispatch',
        branch: query.branch,
        created: `>=${query.since.toISOString().replace(/\.\d{3}Z$/, 'Z')}`,
        exclude_pull_requests: true,
        per_page: PER_PAGE,
        page,
        headers: { 'x-github-api-version': API_VERSION },
      }),
    )
    runs.push(...data.workflow_runs.map(toRunInfo))
    if (data.workflow_runs.length < PER_PAGE) {
      return { runs: runs.filter((r) => matches(r, query)), complete: true }
    }
  }
  return { runs: runs.filter((r) => matches(r, query)), complete: false }
}

function matches(run: RunInfo, query: RunQuery): boolean {
  return (
    run.event === 'workflow_dispatch' &&
    run.headBranch === query.branch &&
    Date.parse(run.createdAt) >= Math.floor(query.since.getTime() / 1000) * 1000
  )
}

/** One run, by ID. */
export async function getRun(
  github: GitHub,
  calls: GitHubCalls,
  target: { owner: string; repo: string; runId: number },
): Promise<RunInfo> {
  const { data } = await calls.send(`Checking run ${target.runId}`, () =>
    github.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', {
      owner: target.owner,
      repo: target.repo,
      run_id: target.runId,
      exclude_pull_requests: true,
      headers: { 'x-github-api-version': API_VERSION },
    }),
  )
  return toRunInfo(data)
}

/** The name runs report as head_branch for a ref: main for refs/heads/main, v1 for refs/tags/v1. */
export function branchOf(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '')
}
