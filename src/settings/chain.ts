import { InputError } from '../lib/errors.js'
import { isHttpUrl, parseBoolean, parseSeconds } from './parse.js'
import type { ChainSettings, Environment, InputReader, WorkflowInputValue } from './types.js'
import { Inputs } from './names.js'

/** The most inputs a dispatch may carry (api.github.com; GitHub Enterprise Server 3.19: 10). */
export const MAX_WORKFLOW_INPUTS = 25

/** Reads the chaining inputs; undefined when `workflow` is empty (no chaining). */
export function parseChain(read: InputReader, env: Environment): ChainSettings | undefined {
  const get = (name: string): string => read(name).trim()
  const workflow = parseWorkflow(get(Inputs.Workflow))
  if (workflow === undefined) return undefined
  const { owner, repo } = parseRepository(get(Inputs.WorkflowRepository) || env.GITHUB_REPOSITORY)
  const distinctIdInput = parseInputName(get(Inputs.WorkflowDistinctIdInput))
  const inputs = parseWorkflowInputs(read(Inputs.WorkflowInputs).trim(), distinctIdInput)
  const token = get(Inputs.GitHubToken) || env.GITHUB_TOKEN?.trim() || ''
  if (token === '') {
    throw new InputError(
      Inputs.GitHubToken,
      '',
      'a token that may dispatch the workflow (actions: write), such as ${{ github.token }}',
    )
  }
  return {
    workflow,
    owner,
    repo,
    ref: parseRef(get(Inputs.WorkflowRef) || env.GITHUB_REF?.trim() || ''),
    inputs,
    distinctIdInput,
    token,
    apiUrl: parseApiUrl(
      get(Inputs.GitHubApiUrl) || env.GITHUB_API_URL?.trim() || 'https://api.github.com',
    ),
    wait: parseBoolean(Inputs.WaitForWorkflow, get(Inputs.WaitForWorkflow), true),
    timeoutMs: parseSeconds(Inputs.WaitTimeout, get(Inputs.WaitTimeout), 3600) * 1000,
    pollIntervalMs: parseSeconds(Inputs.PollInterval, get(Inputs.PollInterval), 15) * 1000,
  }
}

function parseWorkflow(value: string): string | number | undefined {
  if (value === '') return undefined
  if (/^\d+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value)
  if (/^[^/\\\s]+\.ya?ml$/.test(value)) return value
  throw new InputError(
    Inputs.Workflow,
    value,
    'a workflow file name such as combine-tilefy.yml (no directory), or a numeric workflow ID',
  )
}

function parseRepository(value = ''): { owner: string; repo: string } {
  const m = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/.exec(value.trim())
  if (!m || m[2] === '.' || m[2] === '..') {
    const unset = value === '' ? ' (the default, GITHUB_REPOSITORY, is not set)' : ''
    throw new InputError(
      Inputs.WorkflowRepository,
      value,
      `owner/repo, such as usds/justice40-tool${unset}`,
    )
  }
  return { owner: m[1], repo: m[2] }
}

function parseRef(value: string): string {
  const expected = 'a branch or tag name such as main or refs/tags/v1'
  if (value === '') {
    throw new InputError(Inputs.WorkflowRef, value, `${expected} (GITHUB_REF is not set)`)
  }
  if (value.startsWith('refs/pull/')) {
    throw new InputError(
      Inputs.WorkflowRef,
      value,
      `${expected}: a pull request ref cannot be dispatched, so set ${Inputs.WorkflowRef}`,
    )
  }
  // git check-ref-format, roughly: no spaces, control characters, ~^:?*[\ or '..'.
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]|\.\.|@\{|\/\/|^\/|\/$|\.lock$/.test(value)) {
    throw new InputError(Inputs.WorkflowRef, value, expected)
  }
  return value
}

/** A workflow_dispatch input name: letters, digits, - and _, starting with a letter or _. */
const INPUT_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/

function parseInputName(value: string): string | undefined {
  if (value === '') return undefined
  if (!INPUT_NAME.test(value)) {
    throw new InputError(
      Inputs.WorkflowDistinctIdInput,
      value,
      'the name of a workflow_dispatch input, such as distinct_id',
    )
  }
  return value
}

/** A JSON object of input names to strings, numbers or booleans. Invalid JSON is an error. */
export function parseWorkflowInputs(
  value: string,
  distinctIdInput?: string,
): Record<string, WorkflowInputValue> {
  const expected = 'a JSON object of workflow inputs to strings, numbers or booleans'
  if (value === '') return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch (e) {
    throw new InputError(
      Inputs.WorkflowInputs,
      value,
      `${expected}, such as {"year": "2021"} (${(e as Error).message})`,
    )
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InputError(Inputs.WorkflowInputs, value, `${expected}, such as {"year": "2021"}`)
  }
  const inputs: Record<string, WorkflowInputValue> = {}
  for (const [name, v] of Object.entries(parsed)) {
    if (!INPUT_NAME.test(name)) {
      throw new InputError(
        Inputs.WorkflowInputs,
        value,
        `${expected}; '${name}' is not an input name`,
      )
    }
    if (!['string', 'number', 'boolean'].includes(typeof v)) {
      throw new InputError(
        Inputs.WorkflowInputs,
        value,
        `${expected}; the value of '${name}' is ${v === null ? 'null' : typeof v}`,
      )
    }
    inputs[name] = v as WorkflowInputValue
  }
  if (distinctIdInput !== undefined && distinctIdInput in inputs) {
    throw new InputError(
      Inputs.WorkflowInputs,
      value,
      `${expected} without '${distinctIdInput}' (${Inputs.WorkflowDistinctIdInput} sets it)`,
    )
  }
  const count = Object.keys(inputs).length + (distinctIdInput === undefined ? 0 : 1)
  if (count > MAX_WORKFLOW_INPUTS) {
    throw new InputError(
      Inputs.WorkflowInputs,
      value,
      `${expected} with at most ${MAX_WORKFLOW_INPUTS} inputs in all (GitHub's limit)`,
    )
  }
  return inputs
}

function parseApiUrl(value: string): string {
  if (!isHttpUrl(value)) {
    throw new InputError(
      Inputs.GitHubApiUrl,
      value,
      'the REST API URL, such as https://api.github.com or https://github.example.com/api/v3',
    )
  }
  return value.replace(/\/+$/, '')
}

/** A number of seconds, at least 1 (fractions allowed), at most 35 days. */
