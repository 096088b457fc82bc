/**
 * A fake GitHub REST API on 127.0.0.1 with only the endpoints chaining calls: create a workflow
 * dispatch, list a workflow's runs, get a run. Every request (path and query parameters, JSON
 * body) and every response it sends is checked against GitHub's OpenAPI description
 * (helpers/openapi.ts); problems are collected in `violations`, which tests expect to be empty.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { OpenApi, type Matched, type SpecName } from './openapi.js'

/** One phase of a run's life: from `at` (epoch ms) on, the run has this status. */
export interface Phase {
  at: number
  status: string
  conclusion: string | null
}

/** A workflow run the fake knows. */
export interface FakeRun {
  id: number
  runNumber: number
  event: string
  headBranch: string
  displayTitle: string
  createdAt: number
  /** From when the run shows in listings (GitHub creates runs shortly after the dispatch). */
  visibleAt: number
  phases: Phase[]
  /** Inputs it was dispatched with; undefined for runs the test added. */
  inputs?: Record<string, unknown>
  /** Whether our client dispatched it (false: a run from someone else). */
  ours: boolean
}

/** The workflow the fake serves. */
export interface FakeWorkflow {
  id: number
  file: string
  name: string
  /** The workflow_dispatch inputs it declares; others get 422 like on GitHub. */
  inputs: string[]
  /** Its `run-name:`, as a function of the inputs; without it the title is the workflow name. */
  runName?: (inputs: Record<string, unknown>) => string
}

/** A canned failure: the next `times` requests to `operationId` get this answer instead. */
export interface Fault {
  operationId: string
  times: number
  status: number
  headers?: Record<string, string>
  body?: unknown
}

/** A request as the fake received it. */
export interface LoggedRequest {
  method: string
  path: string
  operationId?: string
  query: Record<string, string>
  body?: unknown
  status: number
}

export interface FakeGitHubOptions {
  spec?: SpecName
  /** The clock the fake's runs live by (the test's fake clock, or Date.now). */
  now?: () => number
  token?: string
  owner?: string
  repo?: string
  workflow?: Partial<FakeWorkflow>
  /** Whether the dispatch honours return_run_details (GHES 3.19 does not: 422). */
  runDetails?: boolean
  /** Whether a server without run details ignores the field (204) instead of rejecting it. */
  ignoreUnknownFields?: boolean
  /** How long after its dispatch a run shows in listings. */
  visibleAfterMs?: number
  /** The life of a run we dispatch (default: queued, in progress after 30 s, success at 120 s). */
  lifecycle?: (createdAt: number) => Phase[]
  /** Called after each accepted dispatch, e.g. to add a racing run from someone else. */
  onDispatch?: (run: FakeRun, fake: FakeGitHub) => void
}

const DOCS = 'https://docs.github.com/rest'

export class FakeGitHub {
  readonly api: OpenApi
  readonly requests: LoggedRequest[] = []
  readonly violations: string[] = []
  readonly runs: FakeRun[] = []
  readonly faults: Fault[] = []
  /** x-ratelimit-remaining and -reset of the responses (tests set remaining to 0). */
  quota = { remaining: 4999, reset: 0 }
  readonly workflow: FakeWorkflow
  readonly owner: string
  readonly repo: string
  private readonly server: Server
  private readonly prefix: string
  private nextId = 22_222_222_000
  private origin = ''

  constructor(private readonly options: FakeGitHubOptions = {}) {
    this.api = OpenApi.load(options.spec ?? 'api.github.com')
    this.prefix = options.spec?.startsWith('ghes') ? '/api/v3' : ''
    this.owner = options.owner ?? 'usds'
    this.repo = options.repo ?? 'justice40-tool'
    this.workflow = {
      id: 16_133_500,
      file: 'combine-tilefy.yml',
      name: 'Combine and Tilefy',
      inputs: [],
      ...options.workflow,
    }
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        this.violations.push(`fake GitHub crashed: ${String(e)}`)
        res.writeHead(500).end()
      })
    })
  }

  /** The API base URL to give Octokit (…/api/v3 for GitHub Enterprise Server). */
  get url(): string {
    return `${this.origin}${this.prefix}`
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  now(): number {
    return (this.options.now ?? Date.now)()
  }

  /** Adds a run (someone else's, unless told otherwise). */
  addRun(run: Partial<FakeRun> & { createdAt: number }): FakeRun {
    const full: FakeRun = {
      id: this.nextId++,
      runNumber: this.runs.length + 1,
      event: 'workflow_dispatch',
      headBranch: 'main',
      displayTitle: this.workflow.name,
      visibleAt: run.createdAt,
      phases: defaultLifecycle(run.createdAt),
      ours: false,
      ...run,
    }
    this.runs.push(full)
    return full
  }

  /** Queues a canned failure for the next `times` calls of an operation. */
  fail(fault: Fault): void {
    this.faults.push(fault)
  }

  /** The requests made to one operation. */
  calls(operationId: string): LoggedRequest[] {
    return this.requests.filter((r) => r.operationId === operationId)
  }

  /** The run's status and conclusion now. */
  stateOf(run: FakeRun): Phase {
    const now = this.now()
    return [...run.phases].reverse().find((p) => p.at <= now) ?? run.phases[0]
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin)
    const text = await readBody(req)
    const logged: LoggedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
    }
    this.requests.push(logged)
    const send = (
      matched: Matched | undefined,
      status: number,
      body?: unknown,
      extra: Record<string, string> = {},
    ): void => {
      logged.status = status
      const headers: Record<string, string> = {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': String(this.quota.remaining),
        'x-ratelimit-reset': String(this.quota.reset || Math.floor(this.now() / 1000) + 3600),
        'x-ratelimit-resource': 'core',
        'x-github-media-type': 'github.v3; format=json',
        ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        ...extra,
      }
      if (matched) {
        this.violations.push(...this.api.checkResponse(matched, status, headers, body))
      }
      res.writeHead(status, headers).end(body === undefined ? undefined : JSON.stringify(body))
    }

    if (!url.pathname.startsWith(this.prefix)) return send(undefined, 404)
    const matched = this.api.match(logged.method, url.pathname.slice(this.prefix.length))
    if (!matched) {
      this.violations.push(`no such endpoint: ${logged.method} ${url.pathname}`)
      return send(undefined, 404)
    }
    logged.operationId = matched.operationId
    let body: unknown
    if (text !== '') {
      try {
        body = JSON.parse(text)
      } catch {
        this.violations.push(`${matched.operationId}: request body is not JSON`)
        return send(matched, 400, { message: 'Problems parsing JSON', documentation_url: DOCS })
      }
    }
    logged.body = body
    const problems = this.api.checkRequest(matched, url.searchParams, body)
    if (req.headers['x-github-api-version'] !== '2022-11-28') {
      problems.push(`${matched.operationId}: X-GitHub-Api-Version is not 2022-11-28`)
    }
    if (problems.length > 0) {
      this.violations.push(...problems)
      return send(matched, 422, { message: problems.join('; '), documentation_url: DOCS })
    }
    if (req.headers.authorization !== `token ${this.options.token ?? 'test-token'}`) {
      return send(matched, 401, { message: 'Bad credentials', documentation_url: DOCS })
    }
    // A canned failure answers instead of the endpoint: nothing is dispatched or changed.
    const fault = this.takeFault(matched.operationId)
    if (fault) return send(matched, fault.status, fault.body, fault.headers)
    const { owner, repo } = matched.pathParams
    if (owner !== this.owner || repo !== this.repo) {
      return send(matched, 404, { message: 'Not Found', documentation_url: DOCS })
    }
    switch (matched.operationId) {
      case 'actions/create-workflow-dispatch':
        return this.dispatch(matched, body as DispatchBody, send)
      case 'actions/list-workflow-runs':
        return this.list(matched, url.searchParams, send)
      case 'actions/get-workflow-run':
        return this.get(matched, send)
      default:
        this.violations.push(`not implemented by the fake: ${matched.operationId}`)
        return send(matched, 404, { message: 'Not Found', documentation_url: DOCS })
    }
  }

  private takeFault(operationId: string): Fault | undefined {
    const fault = this.faults.find((f) => f.operationId === operationId && f.times > 0)
    if (fault) fault.times--
    return fault
  }

  private knowsWorkflow(id: string): boolean {
    return id === String(this.workflow.id) || id === this.workflow.file
  }

  private dispatch(matched: Matched, body: DispatchBody, send: Send): void {
    if (!this.knowsWorkflow(matched.pathParams.workflow_id)) {
      return send(matched, 404, { message: 'Not Found', documentation_url: DOCS })
    }
    const runDetails = this.options.runDetails ?? !this.options.spec?.startsWith('ghes')
    if ('return_run_details' in body && !runDetails && !this.options.ignoreUnknownFields) {
      return send(matched, 422, {
        message: 'Invalid request.\n\n"return_run_details" is not a permitted key.',
        documentation_url: DOCS,
      })
    }
    const inputs = body.inputs ?? {}
    const unexpected = Object.keys(inputs).filter((k) => !this.workflow.inputs.includes(k))
    if (unexpected.length > 0) {
      return send(matched, 422, {
        message: `Unexpected inputs provided: ${JSON.stringify(unexpected)}`,
        documentation_url: DOCS,
      })
    }
    if (body.ref !== 'main' && body.ref !== 'refs/heads/main') {
      return send(matched, 422, {
        message: `No ref found for: ${body.ref}`,
        documentation_url: DOCS,
      })
    }
    const createdAt = this.now()
    const run = this.addRun({
      createdAt,
      visibleAt: createdAt + (this.options.visibleAfterMs ?? 0),
      displayTitle: this.workflow.runName?.(inputs) ?? this.workflow.name,
      phases: (this.options.lifecycle ?? defaultLifecycle)(createdAt),
      inputs,
      ours: true,
    })
    this.options.onDispatch?.(run, this)
    if (body.return_run_details === true && runDetails) {
      return send(matched, 200, {
        workflow_run_id: run.id,
        run_url: this.runApiUrl(run),
        html_url: this.runHtmlUrl(run),
      })
    }
    return send(matched, 204)
  }

  private list(matched: Matched, query: URLSearchParams, send: Send): void {
    if (!this.knowsWorkflow(matched.pathParams.workflow_id)) {
      return send(matched, 404, { message: 'Not Found', documentation_url: DOCS })
    }
    const since = createdFilter(query.get('created'))
    const runs = this.runs
      .filter((r) => r.visibleAt <= this.now())
      .filter((r) => !query.has('event') || r.event === query.get('event'))
      .filter((r) => !query.has('branch') || r.headBranch === query.get('branch'))
      .filter((r) => Math.floor(r.createdAt / 1000) * 1000 >= since)
      .sort((a, b) => b.createdAt - a.createdAt)
    const perPage = Number(query.get('per_page') ?? 30)
    const page = Number(query.get('page') ?? 1)
    send(matched, 200, {
      total_count: runs.length,
      workflow_runs: runs.slice((page - 1) * perPage, page * perPage).map((r) => this.json(r)),
    })
  }

  private get(matched: Matched, send: Send): void {
    const run = this.runs.find((r) => String(r.id) === matched.pathParams.run_id)
    if (!run || run.visibleAt > this.now()) {
      return send(matched, 404, { message: 'Not Found', documentation_url: DOCS })
    }
    send(matched, 200, this.json(run))
  }

  private runApiUrl(run: FakeRun): string {
    return `${this.url}/repos/${this.owner}/${this.repo}/actions/runs/${run.id}`
  }

  runHtmlUrl(run: FakeRun): string {
    return `${this.origin}/${this.owner}/${this.repo}/actions/runs/${run.id}`
  }

  /** A run as GitHub returns it: the description's example with this run's fields. */
  private json(run: FakeRun): unknown {
    const { status, conclusion } = this.stateOf(run)
    const api = `${this.url}/repos/${this.owner}/${this.repo}`
    const runApi = this.runApiUrl(run)
    return {
      ...(this.api.example('workflow-run') as Record<string, unknown>),
      id: run.id,
      name: this.workflow.name,
      node_id: `WFR_${run.id}`,
      head_branch: run.headBranch,
      run_number: run.runNumber,
      run_attempt: 1,
      event: run.event,
      display_title: run.displayTitle,
      status,
      conclusion,
      workflow_id: this.workflow.id,
      path: `.github/workflows/${this.workflow.file}`,
      url: runApi,
      html_url: this.runHtmlUrl(run),
      created_at: iso(run.createdAt),
      updated_at: iso(
        Math.max(run.createdAt, ...run.phases.map((p) => p.at).filter((t) => t <= this.now())),
      ),
      run_started_at: iso(run.createdAt),
      jobs_url: `${runApi}/jobs`,
      logs_url: `${runApi}/logs`,
      check_suite_url: `${api}/check-suites/${run.id}`,
      artifacts_url: `${runApi}/artifacts`,
      cancel_url: `${runApi}/cancel`,
      rerun_url: `${runApi}/rerun`,
      previous_attempt_url: null,
      workflow_url: `${api}/actions/workflows/${this.workflow.id}`,
      pull_requests: [],
    }
  }
}

type Send = (matched: Matched | undefined, status: number, body?: unknown) => void

interface DispatchBody {
  ref: string
  inputs?: Record<string, unknown>
  return_run_details?: boolean
}

/** Queued, then in progress after 30 s, then completed successfully after 120 s. */
export function defaultLifecycle(createdAt: number): Phase[] {
  return lifecycle(createdAt, [
    [0, 'queued'],
    [30_000, 'in_progress'],
    [120_000, 'completed', 'success'],
  ])
}

/** Phases from [offset ms, status, conclusion] steps. */
export function lifecycle(createdAt: number, steps: [number, string, string?][]): Phase[] {
  return steps.map(([offset, status, conclusion]) => ({
    at: createdAt + offset,
    status,
    conclusion: conclusion ?? null,
  }))
}

/** GitHub's timestamps: UTC, whole seconds. */
function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

/** The lower bound of a `created` filter ">=date" (0 when absent). */
function createdFilter(value: string | null): number {
  if (value === null) return 0
  const m = /^>=(.+)$/.exec(value)
  if (!m) throw new Error(`the fake only understands created=>=DATE, got ${value}`)
  return Date.parse(m[1])
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** A clock whose sleeps return at once and move time forward; records every sleep. */
export class FakeClock {
  readonly sleeps: number[] = []
  constructor(public time = Date.parse('2026-03-02T10:00:00Z')) {}
  now = (): number => this.time
  sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms)
    this.time += ms
  }
}
