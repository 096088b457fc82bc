/**
 * Chaining against a fake GitHub that checks every request and response against GitHub's
 * OpenAPI description. Time is a fake clock: nothing sleeps for real.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { newChainReport, runChain, SETTLE_MS, type ChainReport } from '../src/chain/index.js'
import type { ChainSettings } from '../src/settings/types.js'
import { ChainError } from '../src/lib/errors.js'
import { createGitHub } from '../src/chain/client.js'
import type { Logger } from '../src/lib/log.js'
import { MAX_SERVER_ERROR_RETRIES, SECONDARY_RATE_LIMIT_WAIT_MS } from '../src/chain/retry.js'
import {
  FakeClock,
  FakeGitHub,
  lifecycle,
  type FakeGitHubOptions,
  type FakeRun,
} from './helpers/github.js'

let fake: FakeGitHub | undefined

afterEach(async () => {
  const violations = fake?.violations ?? []
  await fake?.close()
  fake = undefined
  expect(violations).toEqual([])
})

/** A logger that keeps what it was told. */
function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    warning: (m) => lines.push(`warning: ${m}`),
    debug: (m) => lines.push(`debug: ${m}`),
    group: async (name, fn) => {
      lines.push(`group: ${name}`)
      return fn()
    },
  }
}

interface Setup {
  fake: FakeGitHub
  clock: FakeClock
  chain: ChainSettings
  report: ChainReport
  log: ReturnType<typeof recordingLog>
  /** Runs the chain; resolves to the error it threw (undefined when it succeeded). */
  run(): Promise<ChainError | undefined>
}

async function setup(
  options: FakeGitHubOptions = {},
  settings: Partial<ChainSettings> = {},
): Promise<Setup> {
  const clock = new FakeClock()
  fake = await new FakeGitHub({ now: clock.now, ...options }).start()
  const chain: ChainSettings = {
    workflow: 'combine-tilefy.yml',
    owner: 'usds',
    repo: 'justice40-tool',
    ref: 'main',
    inputs: {},
    token: 'test-token',
    apiUrl: fake.url,
    wait: true,
    timeoutMs: 3600_000,
    pollIntervalMs: 15_000,
    ...settings,
  }
  const report = newChainReport(chain)
  const log = recordingLog()
  const github = createGitHub(chain.token, chain.apiUrl)
  const f = fake
  return {
    fake: f,
    clock,
    chain,
    report,
    log,
    run: async () => {
      try {
        await runChain(github, chain, report, { clock, log, newId: () => DISTINCT_ID })
        return undefined
      } catch (e) {
        if (e instanceof ChainError) return e
        throw e
      }
    },
  }
}

const DISTINCT_ID = '5f0c7d2e-9a31-4c55-8d7e-3b1f2a9c6e10'
const DISPATCH = 'actions/create-workflow-dispatch'
const LIST = 'actions/list-workflow-runs'
const GET = 'actions/get-workflow-run'

/** Runs the fake dispatched for us, and runs of others. */
const ours = (f: FakeGitHub): FakeRun[] => f.runs.filter((r) => r.ours)

describe('the dispatch names the run (return_run_details)', () => {
  it('dispatches once, waits for success, and reports the run', async () => {
    const s = await setup({}, { inputs: { year: '2021', full: true } })
    s.fake.workflow.inputs.push('year', 'full')
    expect(await s.run()).toBeUndefined()
    const [run] = ours(s.fake)
    expect(s.fake.calls(DISPATCH)).toEqual([
      expect.objectContaining({
        path: '/repos/usds/justice40-tool/actions/workflows/combine-tilefy.yml/dispatches',
        body: { ref: 'main', inputs: { year: '2021', full: true }, return_run_details: true },
        status: 200,
      }),
    ])
    expect(s.report).toEqual({
      workflow: 'combine-tilefy.yml',
      repository: 'usds/justice40-tool',
      ref: 'main',
      runId: run.id,
      runUrl: s.fake.runHtmlUrl(run),
      foundBy: 'run-details',
      status: 'completed',
      conclusion: 'success',
      dispatch: 'sent',
    })
    // Every status check was of our run; none of the runs of others.
    expect(s.fake.calls(GET).every((r) => r.path.endsWith(`/runs/${run.id}`))).toBe(true)
    expect(s.log.lines).toContain('group: Dispatching combine-tilefy.yml')
    expect(s.log.lines.join('\n')).toContain('return_run_details')
  })

  it('accepts a numeric workflow ID and a full ref', async () => {
    const s = await setup({}, { workflow: 16_133_500, ref: 'refs/heads/main' })
    expect(await s.run()).toBeUndefined()
    expect(s.fake.calls(DISPATCH)[0].path).toMatch(/\/workflows\/16133500\/dispatches$/)
    expect(s.fake.calls(LIST)[0].query).toMatchObject({
      branch: 'main',
      event: 'workflow_dispatch',
    })
  })

  it('keeps polling through every status that is not completed, backing off politely', async () => {
    const s = await setup({
      lifecycle: (t) =>
        lifecycle(t, [
          [0, 'requested'],
          [20_000, 'queued'],
          [60_000, 'waiting'],
          [120_000, 'pending'],
          [200_000, 'in_progress'],
          [600_000, 'completed', 'success'],
        ]),
    })
    expect(await s.run()).toBeUndefined()
    const seen = s.log.lines.filter((l) => / is /.test(l)).map((l) => l.split(' ')[4])
    expect(seen).toEqual(['requested:', 'queued:', 'waiting:', 'pending:', 'in_progress:'])
    // Pauses start at the poll interval, grow, and stop growing at a minute.
    expect(s.clock.sleeps[0]).toBe(15_000)
    expect(s.clock.sleeps).toEqual([...s.clock.sleeps].sort((a, b) => a - b))
    expect(Math.max(...s.clock.sleeps)).toBe(60_000)
    expect(s.report.conclusion).toBe('success')
  })

  it('does not wait when wait-for-workflow is false', async () => {
    const s = await setup({}, { wait: false })
    expect(await s.run()).toBeUndefined()
    expect(s.fake.calls(GET)).toEqual([])
    expect(s.report.runId).toBe(ours(s.fake)[0].id)
    expect(s.report.conclusion).toBeUndefined()
  })
})

describe('a run that does not succeed fails the step with its URL', () => {
  it.each(['failure', 'cancelled', 'timed_out', 'action_required', 'neutral', 'skipped'])(
    'conclusion %s',
    async (conclusion) => {
      const s = await setup({
        lifecycle: (t) =>
          lifecycle(t, [
            [0, 'in_progress'],
            [90_000, 'completed', conclusion],
          ]),
      })
      const error = await s.run()
      const url = s.fake.runHtmlUrl(ours(s.fake)[0])
      expect(error?.message).toBe(
        `Run ${ours(s.fake)[0].id} of combine-tilefy.yml concluded ${conclusion}: ${url}`,
      )
      expect(error?.runUrl).toBe(url)
      expect(s.report).toMatchObject({ conclusion, runUrl: url })
    },
  )

  it('a timeout fails (not a warning), after waiting exactly the wait-timeout', async () => {
    const s = await setup(
      {
        lifecycle: (t) =>
          lifecycle(t, [
            [0, 'queued'],
            [30_000, 'in_progress'],
          ]),
      },
      { timeoutMs: 1800_000 },
    )
    const start = s.clock.now()
    const error = await s.run()
    expect(error?.message).toMatch(
      /^Run \d+ did not complete within the wait-timeout of 1800 s \(last status: in_progress\): http/,
    )
    expect(error?.runUrl).toBe(s.fake.runHtmlUrl(ours(s.fake)[0]))
    expect(s.clock.now() - start).toBe(1800_000)
    expect(s.report.status).toBe('in_progress')
    expect(s.report.conclusion).toBeUndefined()
    expect(s.log.lines.some((l) => l.startsWith('warning:'))).toBe(false)
  })
})

describe('transient errors and rate limits', () => {
  it('retries a 502 on a status check, then succeeds', async () => {
    const s = await setup()
    s.fake.fail({
      operationId: GET,
      times: 1,
      status: 502,
      body: { message: 'Server Error' },
    })
    expect(await s.run()).toBeUndefined()
    expect(s.fake.calls(GET).map((r) => r.status)).toEqual([502, 200, 200, 200, 200, 200])
    expect(s.clock.sleeps[0]).toBe(1000)
    expect(s.log.lines).toContain(
      `info: Checking run ${ours(s.fake)[0].id}: HTTP 502; retrying in 1 s`,
    )
  })

  it('gives up on a server that keeps failing', async () => {
    const s = await setup()
    s.fake.fail({ operationId: GET, times: 99, status: 503, body: { message: 'Unavailable' } })
    const error = await s.run()
    expect(error?.message).toMatch(/^Checking run \d+ failed: HTTP 503: Unavailable/)
    expect(s.fake.calls(GET)).toHaveLength(MAX_SERVER_ERROR_RETRIES + 1)
  })

  it('never repeats a dispatch after a 502: the run may have started', async () => {
    const s = await setup()
    s.fake.fail({ operationId: DISPATCH, times: 1, status: 502, body: { message: 'Bad Gateway' } })
    const error = await s.run()
    expect(s.fake.calls(DISPATCH)).toHaveLength(1)
    expect(error?.message).toContain('HTTP 502')
    expect(error?.message).toContain('a dispatch is not repeated after a server error')
  })

  it('waits out a secondary rate limit for as long as Retry-After says', async () => {
    const s = await setup()
    s.fake.fail({
      operationId: DISPATCH,
      times: 1,
      status: 403,
      headers: { 'retry-after': '37' },
      body: {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes.',
        documentation_url: 'https://docs.github.com/rest/using-the-rest-api/rate-limits',
      },
    })
    expect(await s.run()).toBeUndefined()
    // The rate-limited dispatch was refused, so repeating it is safe: one run, not two.
    expect(s.fake.calls(DISPATCH).map((r) => r.status)).toEqual([403, 200])
    expect(ours(s.fake)).toHaveLength(1)
    expect(s.clock.sleeps[0]).toBe(37_000)
  })

  it('honours Retry-After on a 429 and waits a minute on a secondary limit without it', async () => {
    const s = await setup()
    s.fake.fail({
      operationId: LIST,
      times: 1,
      status: 429,
      headers: { 'retry-after': '5' },
      body: { message: 'Too many requests' },
    })
    s.fake.fail({
      operationId: GET,
      times: 2,
      status: 403,
      body: { message: 'You have exceeded a secondary rate limit.' },
    })
    expect(await s.run()).toBeUndefined()
    expect(s.clock.sleeps.slice(0, 3)).toEqual([
      5000,
      SECONDARY_RATE_LIMIT_WAIT_MS,
      2 * SECONDARY_RATE_LIMIT_WAIT_MS,
    ])
  })

  it('waits for the reset of a used-up primary rate limit', async () => {
    const s = await setup()
    const reset = Math.floor(s.clock.now() / 1000) + 600
    s.fake.fail({
      operationId: GET,
      times: 1,
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      body: { message: 'API rate limit exceeded for installation.' },
    })
    expect(await s.run()).toBeUndefined()
    const i = s.fake.calls(GET).findIndex((r) => r.status === 403)
    // The pauses before the 403 were polling pauses; the one after it runs to the reset.
    expect(s.clock.sleeps[i]).toBe(601_000)
  })

  it('pauses until the reset after a response that used the last request', async () => {
    const s = await setup()
    const reset = Math.floor(s.clock.now() / 1000) + 300
    s.fake.quota = { remaining: 0, reset }
    expect(await s.run()).toBeUndefined()
    // The listing before the dispatch used the last request; the dispatch waits for the reset.
    expect(s.fake.calls(LIST)).toHaveLength(1)
    expect(s.clock.sleeps[0]).toBe(301_000)
    expect(s.log.lines).toContain(
      'info: Dispatching combine-tilefy.yml in usds/justice40-tool on main: API rate limit used up; waiting 301 s for its reset',
    )
  })

  it('fails at once when a rate limit would outlast the wait-timeout', async () => {
    const s = await setup({}, { timeoutMs: 60_000 })
    s.fake.fail({
      operationId: LIST,
      times: 1,
      status: 429,
      headers: { 'retry-after': '3600' },
      body: { message: 'Too many requests' },
    })
    const error = await s.run()
    expect(error?.message).toContain('GitHub asks to wait 3600 s')
    expect(s.clock.sleeps).toEqual([])
    expect(s.fake.calls(DISPATCH)).toEqual([])
  })

  it('does not retry a missing permission, and says which one', async () => {
    const s = await setup()
    s.fake.fail({
      operationId: DISPATCH,
      times: 1,
      status: 403,
      body: { message: 'Resource not accessible by integration' },
    })
    const error = await s.run()
    expect(s.fake.calls(DISPATCH)).toHaveLength(1)
    expect(error?.message).toContain('it needs actions: write')
    expect(error?.message).toContain('personal access token or a GitHub App token')
  })

  it('reports an unknown workflow before dispatching anything', async () => {
    const s = await setup({}, { workflow: 'combine-tilify.yml' })
    const error = await s.run()
    expect(error?.message).toContain('HTTP 404')
    expect(s.fake.calls(DISPATCH)).toEqual([])
  })
})

describe('servers that do not return run details', () => {
  const ghes: FakeGitHubOptions = { spec: 'ghes-3.19' }

  it('falls back after a 422 and says so', async () => {
    const s = await setup(ghes)
    expect(await s.run()).toBeUndefined()
    expect(s.fake.calls(DISPATCH).map((r) => r.status)).toEqual([422, 204])
    expect(s.fake.calls(DISPATCH)[1].body).toEqual({ ref: 'main', inputs: {} })
    expect(ours(s.fake)).toHaveLength(1)
    expect(s.report).toMatchObject({ foundBy: 'elimination', conclusion: 'success' })
    expect(s.log.lines.join('\n')).toContain(
      'does not accept return_run_details (Dispatching combine-tilefy.yml in usds/justice40-tool on main failed: HTTP 422',
    )
    expect(s.log.lines.some((l) => l.startsWith('warning: Run') && l.includes('elimination'))).toBe(
      true,
    )
    // Elimination waited until the run had been alone for the settle time.
    expect(s.clock.sleeps.slice(0, 3).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(SETTLE_MS)
  })

  it('falls back after a 400 too', async () => {
    const s = await setup()
    s.fake.fail({
      operationId: DISPATCH,
      times: 1,
      status: 400,
      body: { message: 'Problems parsing JSON' },
    })
    expect(await s.run()).toBeUndefined()
    expect(s.fake.calls(DISPATCH).map((r) => r.status)).toEqual([400, 204])
  })

  it('finds the run when the server ignores the field (204)', async () => {
    const s = await setup({ runDetails: false, ignoreUnknownFields: true })
    expect(await s.run()).toBeUndefined()
    expect(s.fake.calls(DISPATCH).map((r) => r.status)).toEqual([204])
    expect(s.report).toMatchObject({ runId: ours(s.fake)[0].id, foundBy: 'elimination' })
  })

  it('never takes a run that existed before the dispatch', async () => {
    const s = await setup(ghes)
    // Someone else's run, created a minute before ours (inside the clock-skew window).
    const older = s.fake.addRun({ createdAt: s.clock.now() - 60_000 })
    expect(await s.run()).toBeUndefined()
    expect(s.report.runId).toBe(ours(s.fake)[0].id)
    expect(s.report.runId).not.toBe(older.id)
  })

  describe('a second dispatch races ours', () => {
    /** Someone else dispatches the same workflow on the same branch just after us. */
    const racing = (delayMs: number, visibleAfterMs = 0): FakeGitHubOptions => ({
      ...ghes,
      visibleAfterMs,
      onDispatch: (run, f) => {
        if (run.ours && f.runs.filter((r) => !r.ours).length === 0) {
          f.addRun({ createdAt: run.createdAt + delayMs, displayTitle: 'Combine and Tilefy' })
        }
      },
    })

    it('with a distinct ID: takes ours even when the other run shows up first', async () => {
      const s = await setup(
        {
          ...racing(0, 8_000),
          workflow: {
            inputs: ['distinct_id'],
            runName: (inputs) => `Combine and Tilefy ${String(inputs.distinct_id ?? '')}`,
          },
        },
        { distinctIdInput: 'distinct_id' },
      )
      // The foreign run is visible at once; ours only 8 s after the dispatch.
      const foreign = () => s.fake.runs.find((r) => !r.ours)
      expect(await s.run()).toBeUndefined()
      expect(s.report).toMatchObject({ runId: ours(s.fake)[0].id, foundBy: 'distinct-id' })
      expect(s.report.runId).not.toBe(foreign()?.id)
      expect(s.fake.calls(DISPATCH)[1].body).toEqual({
        ref: 'main',
        inputs: { distinct_id: DISTINCT_ID },
      })
      expect(s.fake.calls(GET).some((r) => r.path.endsWith(`/${foreign()?.id}`))).toBe(false)
    })

    it('without one: two new runs are an error listing both, never a guess', async () => {
      const s = await setup(racing(1000))
      const error = await s.run()
      const [mine, theirs] = [ours(s.fake)[0], s.fake.runs.find((r) => !r.ours)]
      expect(error?.message).toMatch(/^2 workflow_dispatch runs of combine-tilefy.yml on main/)
      expect(error?.message).toContain('not guessing')
      expect(error?.message).toContain(s.fake.runHtmlUrl(mine))
      expect(theirs && error?.message).toContain(theirs && s.fake.runHtmlUrl(theirs))
      expect(s.report.runId).toBeUndefined()
      expect(s.fake.calls(GET)).toEqual([])
    })

    it('without one: the other run first and ours later within the settle time is an error too', async () => {
      // Theirs is visible at once; ours shows up 4 s after the dispatch.
      const s = await setup(racing(0, 4_000))
      const error = await s.run()
      expect(error?.message).toContain('not guessing')
      expect(s.report.runId).toBeUndefined()
      expect(s.fake.calls(GET)).toEqual([])
    })

    it('with a distinct ID the workflow does not show: no run is taken', async () => {
      const s = await setup(
        { ...racing(0), workflow: { inputs: ['distinct_id'] } },
        { distinctIdInput: 'distinct_id', timeoutMs: 3600_000 },
      )
      const error = await s.run()
      expect(error?.message).toContain(`whose title contains ${DISTINCT_ID}`)
      expect(error?.message).toContain(
        "does the workflow show input 'distinct_id' in its run-name?",
      )
      expect(error?.message).toContain('New runs seen:')
      expect(s.report.runId).toBeUndefined()
      expect(s.fake.calls(GET)).toEqual([])
    })
  })
})

describe('GitHub Enterprise Server', () => {
  it('uses the API URL under /api/v3 for every call', async () => {
    const s = await setup({ spec: 'ghes-3.19' })
    expect(s.chain.apiUrl).toMatch(/\/api\/v3$/)
    expect(await s.run()).toBeUndefined()
    expect(s.fake.requests.every((r) => r.path.startsWith('/api/v3/repos/'))).toBe(true)
  })
})
