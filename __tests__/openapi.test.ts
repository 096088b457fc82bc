/**
 * The checker the fake GitHub relies on must itself catch what is wrong; otherwise the chaining
 * tests could pass against a fake that drifted from GitHub.
 */
import { describe, expect, it } from '@jest/globals'
import { deserialize, OpenApi } from './helpers/openapi.js'

const api = OpenApi.load('api.github.com')
const ghes = OpenApi.load('ghes-3.19')
const dispatch = '/repos/usds/justice40-tool/actions/workflows/combine-tilefy.yml/dispatches'
const list = '/repos/usds/justice40-tool/actions/workflows/combine-tilefy.yml/runs'

describe('the published description has what chaining relies on', () => {
  it('return_run_details in the dispatch body and the 200 answer on GitHub.com', () => {
    const m = api.match('POST', dispatch)
    expect(m?.operationId).toBe('actions/create-workflow-dispatch')
    const body = m?.operation.requestBody?.content['application/json'].schema as {
      properties: Record<string, unknown>
    }
    expect(body.properties.return_run_details).toEqual(expect.objectContaining({ type: 'boolean' }))
    expect(Object.keys(m?.operation.responses ?? {}).sort()).toEqual(['200', '204'])
  })

  it('neither on GitHub Enterprise Server 3.19: 204 only', () => {
    const m = ghes.match('POST', dispatch)
    const body = m?.operation.requestBody?.content['application/json'].schema as {
      properties: Record<string, unknown>
    }
    expect(body.properties.return_run_details).toBeUndefined()
    expect(Object.keys(m?.operation.responses ?? {})).toEqual(['204'])
  })
})

describe('requests', () => {
  const m = api.match('GET', list)
  if (!m) throw new Error('no list operation')

  it('accept what the client sends', () => {
    const query = new URLSearchParams({
      event: 'workflow_dispatch',
      branch: 'main',
      created: '>=2026-03-02T09:55:00Z',
      exclude_pull_requests: 'true',
      per_page: '100',
      page: '1',
    })
    expect(api.checkRequest(m, query, undefined)).toEqual([])
  })

  it.each([
    ['an unknown parameter', { actor_id: '1' }, "unknown query parameter 'actor_id'"],
    ['a page that is not an integer', { page: 'two' }, 'must be integer'],
    ['a boolean that is not one', { exclude_pull_requests: 'yes' }, 'must be boolean'],
    ['a status outside the enum', { status: 'running' }, 'must be equal to one of the allowed'],
    ['a created date that is not a date-time', { created: '>=yesterday' }, 'must match format'],
    ['a created range with a bad end', { created: '2026-03-01T00:00:00Z..soon' }, 'must match'],
  ])('reject %s', (_name, params, message) => {
    expect(api.checkRequest(m, new URLSearchParams(params), undefined).join('\n')).toContain(
      message,
    )
  })

  it('check the dispatch body: ref is required, inputs at most 25, no body is an error', () => {
    const d = api.match('POST', dispatch)
    if (!d) throw new Error('no dispatch operation')
    const none = new URLSearchParams()
    expect(api.checkRequest(d, none, { ref: 'main', return_run_details: true })).toEqual([])
    expect(api.checkRequest(d, none, { inputs: {} }).join()).toContain("required property 'ref'")
    expect(api.checkRequest(d, none, { ref: 'main', return_run_details: 'yes' }).join()).toContain(
      'must be boolean',
    )
    const inputs = Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`i${i}`, 'v']))
    expect(api.checkRequest(d, none, { ref: 'main', inputs }).join()).toContain(
      'must NOT have more than 25 properties',
    )
    expect(api.checkRequest(d, none, undefined).join()).toContain('request body required')
  })

  it('read workflow_id as oneOf integer or string, so exactly one branch matches', () => {
    const schema = { oneOf: [{ type: 'integer' }, { type: 'string' }] }
    expect(deserialize('161335', schema)).toBe(161335)
    expect(deserialize('combine-tilefy.yml', schema)).toBe('combine-tilefy.yml')
    const byId = api.match('POST', dispatch.replace('combine-tilefy.yml', '161335'))
    if (!byId) throw new Error('no match')
    expect(api.checkRequest(byId, new URLSearchParams(), { ref: 'main' })).toEqual([])
    // A value of both types would match both branches: oneOf rejects it.
    expect(api.check('x', schema, 1.5).join()).toContain('must be integer')
  })

  it('reject a run_id that is not an integer', () => {
    const g = api.match('GET', '/repos/o/r/actions/runs/abc')
    if (!g) throw new Error('no match')
    expect(api.checkRequest(g, new URLSearchParams(), undefined).join()).toContain(
      'must be integer',
    )
  })
})

describe('responses', () => {
  const g = api.match('GET', '/repos/o/r/actions/runs/1')
  const d = api.match('POST', dispatch)
  if (!g || !d) throw new Error('no match')
  const run = api.example('workflow-run') as Record<string, unknown>

  it('accept the example run, and nullable fields as null', () => {
    expect(api.checkResponse(g, 200, {}, run)).toEqual([])
    expect(api.checkResponse(g, 200, {}, { ...run, status: null, conclusion: null })).toEqual([])
  })

  it('reject a run with a missing or mistyped field', () => {
    const untitled = { ...run }
    delete untitled.display_title
    expect(api.checkResponse(g, 200, {}, untitled).join()).toContain("'display_title'")
    expect(api.checkResponse(g, 200, {}, { ...run, id: '5' }).join()).toContain('must be integer')
    expect(api.checkResponse(g, 200, {}, { ...run, created_at: 'today' }).join()).toContain(
      'must match format "date-time"',
    )
  })

  it('check the dispatch answers: 200 needs all three fields, 204 no body', () => {
    const details = { workflow_run_id: 1, run_url: 'https://a/1', html_url: 'https://b/1' }
    expect(api.checkResponse(d, 200, {}, details)).toEqual([])
    expect(api.checkResponse(d, 200, {}, { workflow_run_id: 1 }).join()).toContain('run_url')
    expect(api.checkResponse(d, 200, {}, { ...details, html_url: 'not a uri' }).join()).toContain(
      'format "uri"',
    )
    expect(api.checkResponse(d, 204, {}, undefined)).toEqual([])
    expect(api.checkResponse(d, 204, {}, {}).join()).toContain('declares no content')
    expect(api.checkResponse(d, 201, {}, undefined).join()).toContain('not in the description')
  })

  it('check undeclared errors against GitHub’s error schemas', () => {
    expect(api.checkResponse(d, 422, {}, { message: 'x', documentation_url: 'y' })).toEqual([])
    expect(api.checkResponse(d, 422, {}, { message: 'x' }).join()).toContain('documentation_url')
    expect(api.checkResponse(d, 502, {}, { message: 'Server Error' })).toEqual([])
    expect(api.checkResponse(d, 502, {}, undefined).join()).toContain('must be object')
  })
})
