import { describe, expect, it } from '@jest/globals'
import { InputError } from '../src/lib/errors.js'
import { parseSettings } from '../src/settings/index.js'
import { inputReader } from './helpers/builders.js'

const base = {
  bucket: 'justice40-data',
  keys: 'data-sources/census.zip',
  'to-time': '2021-12-13T15:00:00Z',
}
const env = {
  GITHUB_REF: 'refs/heads/main',
  GITHUB_REPOSITORY: 'usds/justice40-tool',
  GITHUB_API_URL: 'https://github.example.com/api/v3',
}

const parse = (inputs: Record<string, string>, environment: Record<string, string> = env) =>
  parseSettings(inputReader(inputs), { env: environment })

function inputError(
  inputs: Record<string, string>,
  environment: Record<string, string> = env,
): InputError {
  try {
    parse(inputs, environment)
  } catch (e) {
    if (e instanceof InputError) return e
    throw e
  }
  throw new Error('no InputError')
}

describe('chaining settings', () => {
  it('are absent when workflow is empty, whatever else is set', () => {
    expect(parse({ ...base, 'workflow-inputs': 'not json' }).chain).toBeUndefined()
  })

  it('default to the run: its ref, repository and API URL, and wait an hour', () => {
    expect(parse({ ...base, workflow: 'combine-tilefy.yml', 'github-token': 't0k' }).chain).toEqual(
      {
        workflow: 'combine-tilefy.yml',
        owner: 'usds',
        repo: 'justice40-tool',
        ref: 'refs/heads/main',
        inputs: {},
        distinctIdInput: undefined,
        token: 't0k',
        apiUrl: 'https://github.example.com/api/v3',
        wait: true,
        timeoutMs: 3600_000,
        pollIntervalMs: 15_000,
      },
    )
  })

  it('read every input', () => {
    const chain = parse(
      {
        ...base,
        workflow: ' 161335 ',
        'workflow-ref': 'release',
        'workflow-repository': 'other-org/pipeline.v2',
        'workflow-inputs': '{"year": "2021", "full": true, "tiles": 3}',
        'workflow-distinct-id-input': 'distinct_id',
        'github-token': 'ghp_x',
        'github-api-url': 'https://api.github.com/',
        'wait-for-workflow': 'false',
        'wait-timeout': '7200',
        'poll-interval': '2.5',
      },
      {},
    ).chain
    expect(chain).toEqual({
      workflow: 161335,
      owner: 'other-org',
      repo: 'pipeline.v2',
      ref: 'release',
      inputs: { year: '2021', full: true, tiles: 3 },
      distinctIdInput: 'distinct_id',
      token: 'ghp_x',
      apiUrl: 'https://api.github.com',
      wait: false,
      timeoutMs: 7200_000,
      pollIntervalMs: 2500,
    })
  })

  it('take the token from GITHUB_TOKEN when the input is empty (the CLI)', () => {
    const chain = parse({ ...base, workflow: 'a.yaml' }, { ...env, GITHUB_TOKEN: 'from-env' }).chain
    expect(chain?.token).toBe('from-env')
    expect(
      parse(
        { ...base, workflow: 'a.yml', 'github-token': 'x' },
        { GITHUB_REF: 'main', GITHUB_REPOSITORY: 'o/r' },
      ).chain?.apiUrl,
    ).toBe('https://api.github.com')
  })

  const chained = { ...base, workflow: 'combine-tilefy.yml', 'github-token': 'secret-token' }

  it.each([
    ['workflow', { ...chained, workflow: '.github/workflows/combine-tilefy.yml' }, 'no directory'],
    ['workflow', { ...chained, workflow: 'combine tilefy' }, 'a workflow file name'],
    ['workflow-inputs', { ...chained, 'workflow-inputs': '{year: 2021}' }, 'a JSON object'],
    ['workflow-inputs', { ...chained, 'workflow-inputs': '["a"]' }, 'a JSON object'],
    ['workflow-inputs', { ...chained, 'workflow-inputs': 'null' }, 'a JSON object'],
    ['workflow-inputs', { ...chained, 'workflow-inputs': '"text"' }, 'a JSON object'],
    ['workflow-inputs', { ...chained, 'workflow-inputs': '{"a": {"b": 1}}' }, "'a' is object"],
    ['workflow-inputs', { ...chained, 'workflow-inputs': '{"a": null}' }, "'a' is null"],
    ['workflow-inputs', { ...chained, 'workflow-inputs': '{"a b": "1"}' }, 'not an input name'],
    [
      'workflow-inputs',
      {
        ...chained,
        'workflow-inputs': '{"distinct_id": "x"}',
        'workflow-distinct-id-input': 'distinct_id',
      },
      'without',
    ],
    [
      'workflow-inputs',
      {
        ...chained,
        'workflow-inputs': JSON.stringify(
          Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`i${i}`, 'v'])),
        ),
        'workflow-distinct-id-input': 'distinct_id',
      },
      'at most 25 inputs',
    ],
    ['workflow-distinct-id-input', { ...chained, 'workflow-distinct-id-input': '1d' }, 'input'],
    ['workflow-repository', { ...chained, 'workflow-repository': 'justice40-tool' }, 'owner/repo'],
    ['workflow-ref', { ...chained, 'workflow-ref': 'refs/pull/12/merge' }, 'pull request'],
    ['workflow-ref', { ...chained, 'workflow-ref': 'main branch' }, 'a branch or tag'],
    ['wait-for-workflow', { ...chained, 'wait-for-workflow': 'yes' }, 'true or false'],
    ['wait-timeout', { ...chained, 'wait-timeout': '1h' }, 'a number of seconds'],
    ['wait-timeout', { ...chained, 'wait-timeout': '0' }, 'a number of seconds'],
    ['poll-interval', { ...chained, 'poll-interval': '0.5' }, 'a number of seconds'],
    ['github-api-url', { ...chained, 'github-api-url': 'api.github.com' }, 'REST API URL'],
  ])('reject a bad %s, naming it', (input, inputs, message) => {
    const error = inputError(inputs)
    expect(error.input).toBe(input)
    expect(error.message).toContain(message)
    expect(error.message).not.toContain('secret-token')
  })

  it('reject a missing default, saying what is not set', () => {
    expect(inputError(chained, { GITHUB_REPOSITORY: 'o/r' }).message).toContain(
      'GITHUB_REF is not set',
    )
    expect(inputError(chained, { GITHUB_REF: 'main' }).message).toContain(
      'GITHUB_REPOSITORY, is not set',
    )
    expect(inputError({ ...chained, 'github-token': '' }, env).input).toBe('github-token')
  })

  it('report a bad workflow-inputs from parseSettings, before any S3 call can be made', () => {
    const error = inputError({ ...chained, 'workflow-inputs': '{"year": 2021,}' })
    expect(error.message).toMatch(
      /^Input 'workflow-inputs' has an invalid value "\{\\"year\\": 2021,\}"/,
    )
  })
})
