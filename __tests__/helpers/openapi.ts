/**
 * Checks requests and responses against GitHub's published OpenAPI description
 * (npm @octokit/openapi), so the fake GitHub of the tests cannot drift from the real API.
 *
 * OpenAPI 3.0 schemas are compiled with Ajv (JSON Schema draft-07 plus OpenAPI's `nullable`,
 * which Ajv implements) in strict mode; `#/components/schemas/x` references are rewritten to a
 * `definitions` document, and OpenAPI's annotation keywords (`example`, `x-…`) are declared.
 * `oneOf`, `nullable` and `format` keep their meaning: nothing is skipped.
 */
import { Ajv, type ValidateFunction } from 'ajv'
import formats from 'ajv-formats'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

/** The descriptions used: GitHub.com, and the newest GitHub Enterprise Server in the package. */
export type SpecName = 'api.github.com' | 'ghes-3.19'

type Schema = Record<string, unknown>

interface Parameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema: Schema
}

interface Operation {
  operationId: string
  parameters?: ({ $ref: string } | Parameter)[]
  requestBody?: {
    required?: boolean
    content: Record<string, { schema: Schema }>
  }
  responses: Record<
    string,
    { content?: Record<string, { schema: Schema }>; headers?: Record<string, { $ref?: string }> }
  >
}

interface Spec {
  paths: Record<string, Record<string, Operation>>
  components: {
    schemas: Record<string, Schema>
    parameters: Record<string, Parameter>
    headers: Record<string, { schema: Schema }>
    examples: Record<string, { value: unknown }>
  }
}

/** An operation matched by method and path. */
export interface Matched {
  operationId: string
  template: string
  pathParams: Record<string, string>
  operation: Operation
}

const cache = new Map<SpecName, OpenApi>()

export class OpenApi {
  private readonly ajv: Ajv
  private readonly compiled = new Map<string, ValidateFunction>()
  private readonly routes: { method: string; template: string; pattern: RegExp; literal: number }[]

  private constructor(readonly spec: Spec) {
    this.ajv = new Ajv({ strict: true, allErrors: true })
    formats.default(this.ajv)
    const annotations = new Set<string>(['example'])
    collectExtensions(spec.components.schemas, annotations)
    for (const keyword of annotations) this.ajv.addKeyword(keyword)
    this.ajv.addSchema({ definitions: rewriteRefs(spec.components.schemas) }, 'spec')
    this.routes = Object.entries(spec.paths).flatMap(([template, methods]) =>
      Object.keys(methods).map((method) => ({
        method: method.toUpperCase(),
        template,
        pattern: new RegExp(
          '^' +
            template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '([^/]+)') +
            '$',
        ),
        literal: template.split('/').filter((s) => !s.startsWith('{')).length,
      })),
    )
  }

  /** The description, parsed once per process. */
  static load(name: SpecName): OpenApi {
    let api = cache.get(name)
    if (!api) {
      const require = createRequire(import.meta.url)
      const file = require.resolve(`@octokit/openapi/generated/${name}.json`)
      api = new OpenApi(JSON.parse(readFileSync(file, 'utf8')) as Spec)
      cache.set(name, api)
    }
    return api
  }

  /** The operation for a request; the most specific template wins, as in GitHub's router. */
  match(method: string, path: string): Matched | undefined {
    const hits = this.routes
      .filter((r) => r.method === method.toUpperCase() && r.pattern.test(path))
      .sort((a, b) => b.literal - a.literal)
    const route = hits[0]
    if (!route) return undefined
    const values = route.pattern.exec(path)?.slice(1) ?? []
    const names = [...route.template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])
    const operation = this.spec.paths[route.template][method.toLowerCase()]
    return {
      operationId: operation.operationId,
      template: route.template,
      pathParams: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(values[i])])),
      operation,
    }
  }

  /** Problems with a request's path and query parameters and its JSON body (none: []). */
  checkRequest(matched: Matched, query: URLSearchParams, body: unknown): string[] {
    const problems: string[] = []
    const params = (matched.operation.parameters ?? []).map((p) => this.parameter(p))
    for (const p of params.filter((p) => p.in === 'path')) {
      problems.push(
        ...this.checkParameter(matched.operationId, p, matched.pathParams[p.name], 'path'),
      )
    }
    const queryParams = params.filter((p) => p.in === 'query')
    for (const name of new Set(query.keys())) {
      const p = queryParams.find((q) => q.name === name)
      if (!p) problems.push(`${matched.operationId}: unknown query parameter '${name}'`)
      else if (query.getAll(name).length > 1) {
        problems.push(`${matched.operationId}: query parameter '${name}' given twice`)
      }
    }
    for (const p of queryParams) {
      problems.push(...this.checkParameter(matched.operationId, p, query.get(p.name), 'query'))
    }
    const requestBody = matched.operation.requestBody
    if (requestBody === undefined) {
      if (body !== undefined) problems.push(`${matched.operationId}: takes no request body`)
    } else if (body === undefined) {
      if (requestBody.required) problems.push(`${matched.operationId}: request body required`)
    } else {
      const schema = requestBody.content['application/json']?.schema
      if (!schema) problems.push(`${matched.operationId}: no application/json request body`)
      else problems.push(...this.check(`${matched.operationId} request body`, schema, body))
    }
    return problems
  }

  /**
   * Problems with a response. A status the operation declares is checked against its schema (and
   * must have no body when it declares no content); error statuses it does not declare are
   * checked against GitHub's error schemas (validation-error for 422, basic-error otherwise).
   */
  checkResponse(
    matched: Matched,
    status: number,
    headers: Record<string, string>,
    body: unknown,
  ): string[] {
    const what = `${matched.operationId} ${status} response`
    const declared = matched.operation.responses[String(status)]
    if (!declared) {
      if (status < 400) return [`${what}: status not in the description`]
      return this.checkError(what, status, body)
    }
    const problems: string[] = []
    for (const [name, header] of Object.entries(declared.headers ?? {})) {
      const value = headers[name.toLowerCase()]
      const ref = header.$ref?.split('/').pop()
      const schema = ref ? this.spec.components.headers[ref]?.schema : undefined
      if (value !== undefined && schema) {
        problems.push(...this.check(`${what} header ${name}`, schema, value))
      }
    }
    const schema = declared.content?.['application/json']?.schema
    if (!schema) {
      if (body !== undefined) problems.push(`${what}: declares no content but has a body`)
      return problems
    }
    return [...problems, ...this.check(what, schema, body)]
  }

  /** Problems with an error body (validation-error for 422, basic-error otherwise). */
  checkError(what: string, status: number, body: unknown): string[] {
    const name = status === 422 ? 'validation-error' : 'basic-error'
    return this.check(what, { $ref: `#/components/schemas/${name}` }, body)
  }

  /** Problems with a value against a schema of the description ([] when it is valid). */
  check(what: string, schema: Schema, value: unknown): string[] {
    const key = JSON.stringify(schema)
    const validate = this.compiled.get(key) ?? this.ajv.compile(rewriteRefs(schema))
    this.compiled.set(key, validate)
    if (validate(value)) return []
    return (validate.errors ?? []).map(
      (e) => `${what}: ${e.instancePath || '(root)'} ${e.message} (${e.schemaPath})`,
    )
  }

  /** An example value from the description's components.examples. */
  example(name: string): unknown {
    return structuredClone(this.spec.components.examples[name].value)
  }

  private parameter(p: { $ref: string } | Parameter): Parameter {
    if ('$ref' in p) return this.spec.components.parameters[p.$ref.split('/').pop() ?? '']
    return p
  }

  private checkParameter(
    operationId: string,
    p: Parameter,
    text: string | null | undefined,
    where: string,
  ): string[] {
    const what = `${operationId} ${where} parameter '${p.name}'`
    if (text === null || text === undefined) {
      return p.required || p.in === 'path' ? [`${what} is required`] : []
    }
    return searchTerms(p, text).flatMap((term) =>
      this.check(`${what} = ${JSON.stringify(text)}`, p.schema, deserialize(term, p.schema)),
    )
  }
}

/**
 * A parameter's text as the typed value it stands for (OpenAPI "simple"/"form" style of a
 * primitive). With `oneOf: [integer, string]` (workflow_id), "123" is the integer 123 and
 * "ci.yml" the string, so exactly one branch matches, as the description intends.
 */
export function deserialize(text: string, schema: Schema): unknown {
  const types = typesOf(schema)
  if (types.has('integer') && /^-?\d+$/.test(text)) return Number(text)
  if (types.has('number') && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) return Number(text)
  if (types.has('boolean') && (text === 'true' || text === 'false')) return text === 'true'
  return text
}

function typesOf(schema: Schema): Set<string> {
  const types = new Set<string>()
  if (typeof schema.type === 'string') types.add(schema.type)
  for (const key of ['oneOf', 'anyOf'] as const) {
    for (const branch of (schema[key] as Schema[] | undefined) ?? []) {
      for (const t of typesOf(branch)) types.add(t)
    }
  }
  return types
}

/**
 * The dates in a `created` value. GitHub documents it as search syntax (">=2026-02-19T10:00:00Z",
 * "a..b"), while the description types it as a date-time; each date in it must be a date-time.
 */
function searchTerms(p: Parameter, text: string): string[] {
  if (p.name !== 'created') return [text]
  const range = text.split('..')
  if (range.length === 2) return range.filter((t) => t !== '*')
  return [text.replace(/^(>=|<=|>|<)/, '')]
}

function rewriteRefs<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value).replaceAll('"#/components/schemas/', '"spec#/definitions/'),
  ) as T
}

function collectExtensions(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) collectExtensions(v, into)
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith('x-')) into.add(k)
      else collectExtensions(v, into)
    }
  }
}
