/**
 * The published AWS API model of a service, as botocore ships it (`service-2.json`, the JSON form
 * of the service's Smithy model), and a generic checker built on it: the fakes of AWS services in
 * the tests parse every request with the model (`http` method and `requestUri`, member locations
 * `header`/`uri`/`querystring`/body, the XML namespace of the `rest-xml` protocol) and check it
 * against the input shape (required members, enums, patterns, lengths, ranges, types), and check
 * every response they build against the output shape before they send it. The same spirit as
 * helpers/openapi.ts for the fake GitHub: the fake cannot drift from the real API unnoticed.
 *
 * Where the model comes from: Debian's python3-botocore (scripts/test.sh installs it) ships it at
 * /usr/lib/python3/dist-packages/botocore/data/SERVICE/VERSION/service-2.json (newer botocore
 * releases gzip it: service-2.json.gz; both are read). Other places that hold a botocore are
 * searched after that one (see modelDirs). The model itself is not committed.
 *
 * Semantics follow the Smithy specification the models are written in: `pattern` is an
 * ECMA-262 regular expression that is not implicitly anchored; `min`/`max` are the length of a
 * string (in Unicode scalar values), a list or map (entries) or a blob (bytes), and the range of
 * a number; a `union` structure has exactly one member set.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'

export type ShapeType =
  | 'structure'
  | 'list'
  | 'map'
  | 'string'
  | 'integer'
  | 'long'
  | 'float'
  | 'double'
  | 'boolean'
  | 'timestamp'
  | 'blob'

/** A reference to a shape: an operation's input/output, a member, a list member, a map key. */
export interface ShapeRef {
  shape: string
  location?: 'header' | 'headers' | 'uri' | 'querystring' | 'statusCode'
  locationName?: string
  xmlNamespace?: { uri: string; prefix?: string }
  xmlAttribute?: boolean
  flattened?: boolean
  hostLabel?: boolean
  timestampFormat?: string
}

export interface Shape {
  type: ShapeType
  members?: Record<string, ShapeRef>
  required?: string[]
  member?: ShapeRef
  key?: ShapeRef
  value?: ShapeRef
  enum?: string[]
  pattern?: string
  min?: number
  max?: number
  flattened?: boolean
  locationName?: string
  union?: boolean
  exception?: boolean
  payload?: string
  timestampFormat?: string
  xmlNamespace?: { uri: string }
}

export interface Operation {
  name: string
  http: { method: string; requestUri: string; responseCode?: number }
  input?: ShapeRef
  output?: ShapeRef
  errors?: ShapeRef[]
  endpoint?: { hostPrefix?: string }
}

export interface ServiceModel {
  metadata: { apiVersion: string; protocol: string; serviceId?: string; endpointPrefix?: string }
  operations: Record<string, Operation>
  shapes: Record<string, Shape>
}

/** An operation matched by method, path and query. */
export interface Matched {
  operation: Operation
  /** URI labels, percent-decoded. */
  labels: Record<string, string>
}

/** A request as the server read it. Header names are lower case (as node:http gives them). */
export interface RawRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A request's input as the model reads it, and what is wrong with its form. */
export interface ParsedInput {
  input: Record<string, unknown>
  /** Problems of form (XML not well-formed, wrong root or namespace, unknown elements). */
  problems: string[]
}

/** The directories searched for SERVICE/VERSION/service-2.json(.gz), in this order. */
export function modelDirs(service: string, version: string): string[] {
  const tail = join('botocore', 'data', service, version)
  const dirs: string[] = []
  // botocore's own way to add model directories (paths separated by ':'), if someone sets it
  for (const d of (process.env.AWS_DATA_PATH ?? '').split(':').filter(Boolean)) {
    dirs.push(join(d, service, version))
  }
  dirs.push(join('/usr/lib/python3/dist-packages', tail)) // Debian: apt-get install python3-botocore
  dirs.push(join('/usr/lib/google-cloud-sdk/lib/third_party', tail)) // the Google Cloud SDK's copy
  // pip installs: system-wide, per user, and pyenv's Pythons
  const pythons = (root: string, sub: string): string[] => {
    try {
      return readdirSync(root)
        .filter((n) => /^python3(\.\d+)?$/.test(n))
        .map((n) => join(root, n, sub, tail))
    } catch {
      return []
    }
  }
  dirs.push(...pythons('/usr/local/lib', 'dist-packages'))
  dirs.push(...pythons(join(homedir(), '.local', 'lib'), 'site-packages'))
  const pyenv = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv')
  try {
    for (const v of readdirSync(join(pyenv, 'versions'))) {
      dirs.push(...pythons(join(pyenv, 'versions', v, 'lib'), 'site-packages'))
    }
  } catch {
    // no pyenv
  }
  return dirs
}

/** The file of the model: the first service-2.json or service-2.json.gz in modelDirs. */
export function findModel(service: string, version: string): string {
  const dirs = modelDirs(service, version)
  for (const dir of dirs) {
    for (const name of ['service-2.json', 'service-2.json.gz']) {
      if (existsSync(join(dir, name))) return join(dir, name)
    }
  }
  throw new Error(
    `The AWS API model of ${service} ${version} (botocore's service-2.json) was not found. ` +
      'Install it with `apt-get install -y python3-botocore` (scripts/test.sh does); looked in:\n  ' +
      dirs.join('\n  '),
  )
}

const cache = new Map<string, BotocoreModel>()

/** The model of a service, read once per process. */
export function loadModel(service = 's3control', version = '2018-08-20'): BotocoreModel {
  const id = `${service}/${version}`
  let model = cache.get(id)
  if (!model) {
    const file = findModel(service, version)
    const raw = readFileSync(file)
    const text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')
    model = new BotocoreModel(JSON.parse(text) as ServiceModel, file)
    cache.set(id, model)
  }
  return model
}

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  processEntities: true,
})

/** Parses well-formed XML into nested objects (repeated elements as arrays, text as strings). */
export function parseXml(text: string): Record<string, unknown> {
  const valid = XMLValidator.validate(text)
  if (valid !== true) {
    throw new Error(`XML is not well-formed: ${valid.err.msg} (line ${valid.err.line})`)
  }
  return xmlParser.parse(text) as Record<string, unknown>
}

const escapeXml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  )

/**
 * A model's regular expression in JavaScript's `u` mode, which `\p{L}` needs. The models are
 * written for a lenient engine that accepts needless escapes such as `\_`, `\:` or `\#`; `u` mode
 * rejects them, so they lose their backslash (they mean the same character either way).
 */
export function toRegExp(pattern: string): RegExp {
  let out = ''
  let inClass = false
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '\\' && i + 1 < pattern.length) {
      const next = pattern[i + 1]
      // u mode allows escaping syntax characters, '/', '-' in a class, and the letter escapes
      const keep = /[A-Za-z0-9^$\\.*+?()[\]{}|/]/.test(next) || (next === '-' && inClass)
      out += keep ? c + next : next
      i++
      continue
    }
    if (c === '[' && !inClass) inClass = true
    else if (c === ']' && inClass) inClass = false
    out += c
  }
  return new RegExp(out, 'u')
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  !(v instanceof Date) &&
  !(v instanceof Uint8Array)

const INT32 = 2 ** 31

export class BotocoreModel {
  private readonly patterns = new Map<string, RegExp>()
  private readonly routes: {
    operation: Operation
    method: string
    pattern: RegExp
    labels: string[]
    staticQuery: URLSearchParams
    literal: number
  }[]

  constructor(
    readonly model: ServiceModel,
    /** The file it was read from. */
    readonly source: string,
  ) {
    this.routes = Object.values(model.operations).map((operation) => {
      const [path, query = ''] = operation.http.requestUri.split('?')
      const labels: string[] = []
      const regex = path
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const m = /^\{([^}+]+)(\+?)\}$/.exec(part)
          if (!m) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')
          labels.push(m[1])
          return m[2] ? '(.+)' : '([^/]+)'
        })
        .join('')
      return {
        operation,
        method: operation.http.method,
        pattern: new RegExp(`^${regex}$`),
        labels,
        staticQuery: new URLSearchParams(query),
        literal: path.replace(/\{[^}]+\}/g, '').length + [...new URLSearchParams(query)].length,
      }
    })
  }

  get namespace(): string | undefined {
    return Object.values(this.model.operations).find((o) => o.input?.xmlNamespace)?.input
      ?.xmlNamespace?.uri
  }

  operation(name: string): Operation {
    const op = this.model.operations[name]
    if (!op) throw new Error(`no operation ${name} in the model`)
    return op
  }

  shape(name: string): Shape {
    const shape = this.model.shapes[name]
    if (!shape) throw new Error(`no shape ${name} in the model`)
    return shape
  }

  /**
   * The operation a request is for: method and path match its requestUri and the query holds the
   * requestUri's fixed query parameters (as `?tagging`). The most specific template wins.
   */
  match(method: string, path: string, query: URLSearchParams): Matched | undefined {
    const hits = this.routes
      .filter((r) => r.method === method.toUpperCase() && r.pattern.test(path))
      .filter((r) =>
        [...r.staticQuery].every(([k, v]) => query.has(k) && (!v || query.get(k) === v)),
      )
      .sort((a, b) => b.literal - a.literal)
    const route = hits[0]
    if (!route) return undefined
    const values = route.pattern.exec(path)?.slice(1) ?? []
    const labels: Record<string, string> = {}
    route.labels.forEach((name, i) => {
      try {
        labels[name] = decodeURIComponent(values[i])
      } catch {
        labels[name] = values[i]
      }
    })
    return { operation: route.operation, labels }
  }

  /**
   * A request's input: header, URI-label and query members from their locations, the other
   * members from the XML body. Values keep their text when it is not of the member's type, so
   * that check() reports them. Unknown query parameters and body elements are problems.
   */
  parseRequest(matched: Matched, req: RawRequest): ParsedInput {
    const op = matched.operation
    const problems: string[] = []
    const input: Record<string, unknown> = {}
    if (!op.input) {
      if (req.body.trim() !== '') problems.push(`${op.name}: takes no request body`)
      return { input, problems }
    }
    const shape = this.shape(op.input.shape)
    const members = shape.members ?? {}
    const bodyMembers: Record<string, ShapeRef> = {}
    const knownQuery = new Set(
      [...new URLSearchParams(op.http.requestUri.split('?')[1] ?? '')].map(([k]) => k),
    )
    for (const [name, ref] of Object.entries(members)) {
      const wire = ref.locationName ?? name
      const target = this.shape(ref.shape)
      switch (ref.location) {
        case 'header': {
          const value = req.headers[wire.toLowerCase()]
          if (value !== undefined) {
            input[name] = this.scalar(Array.isArray(value) ? value.join(',') : value, ref, 'header')
          }
          break
        }
        case 'headers': {
          const map: Record<string, string> = {}
          for (const [h, v] of Object.entries(req.headers)) {
            if (h.startsWith(wire.toLowerCase()) && v !== undefined) {
              map[h.slice(wire.length)] = Array.isArray(v) ? v.join(',') : v
            }
          }
          if (Object.keys(map).length > 0) input[name] = map
          break
        }
        case 'uri':
          if (matched.labels[wire] !== undefined) {
            input[name] = this.scalar(matched.labels[wire], ref, 'uri')
          }
          break
        case 'querystring': {
          knownQuery.add(wire)
          const values = req.query.getAll(wire)
          if (values.length === 0) break
          if (target.type === 'list' && target.member) {
            const member = target.member
            input[name] = values.map((v) => this.scalar(v, member, 'querystring'))
          } else {
            if (values.length > 1)
              problems.push(`${op.name}: query parameter '${wire}' given twice`)
            input[name] = this.scalar(values[0], ref, 'querystring')
          }
          break
        }
        case 'statusCode':
          break
        default:
          bodyMembers[name] = ref
      }
    }
    for (const key of new Set(req.query.keys())) {
      if (!knownQuery.has(key)) problems.push(`${op.name}: unknown query parameter '${key}'`)
    }

    const body = req.body.trim()
    if (shape.payload) {
      const ref = members[shape.payload]
      const target = this.shape(ref.shape)
      if (body === '') return { input, problems }
      if (target.type === 'blob' || target.type === 'string') {
        input[shape.payload] = target.type === 'blob' ? Buffer.from(req.body) : req.body
        return { input, problems }
      }
      const root = ref.locationName ?? target.locationName ?? ref.shape
      const value = this.readDocument(op.name, body, root, ref.xmlNamespace?.uri, problems)
      if (value !== undefined) {
        input[shape.payload] = this.fromXml(value, ref, shape.payload, problems)
      }
      return { input, problems }
    }
    if (Object.keys(bodyMembers).length === 0) {
      if (body !== '') problems.push(`${op.name}: takes no request body`)
      return { input, problems }
    }
    if (body === '') return { input, problems }
    const root = op.input.locationName ?? op.input.shape
    const value = this.readDocument(op.name, body, root, op.input.xmlNamespace?.uri, problems)
    if (value === undefined) return { input, problems }
    const parsed = this.fromXml(value, { shape: op.input.shape }, root, problems, bodyMembers)
    if (isObject(parsed)) Object.assign(input, parsed)
    return { input, problems }
  }

  /** Problems of a value against a shape: [] when it is what the model allows. */
  check(value: unknown, ref: ShapeRef | string, path: string): string[] {
    const r = typeof ref === 'string' ? { shape: ref } : ref
    if (value === undefined) return []
    const shape = this.shape(r.shape)
    const problems: string[] = []
    const bad = (what: string): string[] => [`${path}: ${what} (shape ${r.shape})`]
    switch (shape.type) {
      case 'structure': {
        if (!isObject(value)) return bad('must be a structure')
        const members = shape.members ?? {}
        for (const key of Object.keys(value)) {
          if (!(key in members) && value[key] !== undefined)
            problems.push(...bad(`unknown member ${key}`))
        }
        for (const name of shape.required ?? []) {
          if (value[name] === undefined)
            problems.push(`${path}.${name}: is required (shape ${r.shape})`)
        }
        if (shape.union) {
          const set = Object.keys(members).filter((m) => value[m] !== undefined)
          if (set.length !== 1)
            problems.push(...bad(`a union must have exactly one member set, has ${set.length}`))
        }
        for (const [name, member] of Object.entries(members)) {
          problems.push(...this.check(value[name], member, `${path}.${name}`))
        }
        return problems
      }
      case 'list': {
        if (!Array.isArray(value)) return bad('must be a list')
        problems.push(...this.length(value.length, shape, path, r.shape, 'entries'))
        const member = shape.member
        if (member)
          value.forEach((v, i) => problems.push(...this.check(v, member, `${path}[${i}]`)))
        return problems
      }
      case 'map': {
        if (!isObject(value)) return bad('must be a map')
        const entries = Object.entries(value)
        problems.push(...this.length(entries.length, shape, path, r.shape, 'entries'))
        for (const [k, v] of entries) {
          if (shape.key)
            problems.push(...this.check(k, shape.key, `${path} key ${JSON.stringify(k)}`))
          if (shape.value)
            problems.push(...this.check(v, shape.value, `${path}[${JSON.stringify(k)}]`))
        }
        return problems
      }
      case 'string': {
        if (typeof value !== 'string') return bad(`must be a string, is ${JSON.stringify(value)}`)
        if (shape.enum && !shape.enum.includes(value)) {
          problems.push(...bad(`${JSON.stringify(value)} is not one of ${shape.enum.join(', ')}`))
        }
        problems.push(...this.length([...value].length, shape, path, r.shape, 'characters'))
        if (shape.pattern && !this.regExp(shape.pattern).test(value)) {
          problems.push(
            ...bad(`${JSON.stringify(value)} does not match the pattern ${shape.pattern}`),
          )
        }
        return problems
      }
      case 'integer':
      case 'long': {
        if (typeof value !== 'number' || !Number.isInteger(value)) {
          return bad(`must be an integer, is ${JSON.stringify(value)}`)
        }
        const limit = shape.type === 'integer' ? INT32 : 2 ** 63
        if (value < -limit || value >= limit) problems.push(...bad(`${value} is out of range`))
        return [...problems, ...this.range(value, shape, path, r.shape)]
      }
      case 'float':
      case 'double':
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          return bad(`must be a number, is ${JSON.stringify(value)}`)
        }
        return this.range(value, shape, path, r.shape)
      case 'boolean':
        return typeof value === 'boolean'
          ? []
          : bad(`must be true or false, is ${JSON.stringify(value)}`)
      case 'timestamp':
        return value instanceof Date && !Number.isNaN(value.getTime())
          ? []
          : bad(`must be a timestamp, is ${JSON.stringify(value)}`)
      case 'blob':
        if (!(value instanceof Uint8Array)) return bad('must be bytes')
        return this.length(value.length, shape, path, r.shape, 'bytes')
    }
  }

  /** Problems of an operation's input. */
  checkInput(operation: string, input: Record<string, unknown>): string[] {
    const op = this.operation(operation)
    return op.input ? this.check(input, op.input, op.input.shape) : []
  }

  /** Problems of an operation's output. */
  checkOutput(operation: string, output: Record<string, unknown>): string[] {
    const op = this.operation(operation)
    if (!op.output) {
      return Object.keys(output).length === 0 ? [] : [`${operation}: has no output`]
    }
    return this.check(output, op.output, op.output.shape)
  }

  /**
   * An operation's response: headers from header members, the other members as the XML body
   * (root element named after the output shape, in the service's namespace). Throws when the
   * output is not what the model allows: a fake must never send what the service could not.
   */
  serializeOutput(
    operation: string,
    output: Record<string, unknown>,
  ): { status: number; headers: Record<string, string>; body: string } {
    const op = this.operation(operation)
    const problems = this.checkOutput(operation, output)
    if (problems.length > 0) {
      throw new Error(
        `${operation}: the response is not what the model allows:\n  ${problems.join('\n  ')}`,
      )
    }
    const status = op.http.responseCode ?? 200
    const headers: Record<string, string> = {}
    if (!op.output) return { status, headers, body: '' }
    const shape = this.shape(op.output.shape)
    const bodyValue: Record<string, unknown> = {}
    for (const [name, ref] of Object.entries(shape.members ?? {})) {
      const v = output[name]
      if (v === undefined) continue
      if (ref.location === 'header')
        headers[(ref.locationName ?? name).toLowerCase()] = this.text(v, ref, 'header')
      else if (ref.location === 'headers') {
        for (const [k, hv] of Object.entries(v as Record<string, string>))
          headers[`${ref.locationName ?? name}${k}`.toLowerCase()] = hv
      } else if (ref.location !== 'statusCode') bodyValue[name] = v
    }
    if (Object.keys(bodyValue).length === 0) return { status, headers, body: '' }
    const root = op.output.locationName ?? op.output.shape
    const ns = op.output.xmlNamespace?.uri ?? this.namespace
    const inner = this.toXml(bodyValue, { shape: op.output.shape })
    headers['content-type'] = 'application/xml'
    return {
      status,
      headers,
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${ns ? ` xmlns="${ns}"` : ''}>${inner}</${root}>`,
    }
  }

  /** The compiled form of a model pattern. */
  regExp(pattern: string): RegExp {
    let re = this.patterns.get(pattern)
    if (!re) {
      re = toRegExp(pattern)
      this.patterns.set(pattern, re)
    }
    return re
  }

  /** Every pattern in the model (to check they all compile). */
  allPatterns(): string[] {
    return [
      ...new Set(Object.values(this.model.shapes).flatMap((s) => (s.pattern ? [s.pattern] : []))),
    ]
  }

  private length(n: number, shape: Shape, path: string, name: string, unit: string): string[] {
    const out: string[] = []
    if (shape.min !== undefined && n < shape.min) {
      out.push(`${path}: ${n} ${unit}, fewer than the minimum ${shape.min} (shape ${name})`)
    }
    if (shape.max !== undefined && n > shape.max) {
      out.push(`${path}: ${n} ${unit}, more than the maximum ${shape.max} (shape ${name})`)
    }
    return out
  }

  private range(n: number, shape: Shape, path: string, name: string): string[] {
    const out: string[] = []
    if (shape.min !== undefined && n < shape.min)
      out.push(`${path}: ${n} is below the minimum ${shape.min} (shape ${name})`)
    if (shape.max !== undefined && n > shape.max)
      out.push(`${path}: ${n} is above the maximum ${shape.max} (shape ${name})`)
    return out
  }

  private readDocument(
    operation: string,
    body: string,
    root: string,
    namespace: string | undefined,
    problems: string[],
  ): unknown {
    let doc: Record<string, unknown>
    try {
      doc = parseXml(body)
    } catch (e) {
      problems.push(`${operation}: ${(e as Error).message}`)
      return undefined
    }
    const roots = Object.keys(doc)
    if (roots.length !== 1 || roots[0] !== root) {
      problems.push(
        `${operation}: the body's root element must be <${root}>, is <${roots.join('>, <')}>`,
      )
      return undefined
    }
    const value = doc[root]
    if (namespace) {
      const xmlns = isObject(value) ? value['@xmlns'] : undefined
      if (xmlns !== namespace) {
        problems.push(
          `${operation}: <${root}> must be in the namespace ${namespace}, is ${JSON.stringify(xmlns ?? null)}`,
        )
      }
    }
    return value
  }

  /** A typed value from a text in a header, a URI label or the query. */
  private scalar(text: string, ref: ShapeRef, where: 'header' | 'uri' | 'querystring'): unknown {
    const shape = this.shape(ref.shape)
    switch (shape.type) {
      case 'integer':
      case 'long':
        return /^-?\d+$/.test(text) ? Number(text) : text
      case 'float':
      case 'double':
        return /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text) ? Number(text) : text
      case 'boolean':
        return text === 'true' ? true : text === 'false' ? false : text
      case 'timestamp': {
        const format =
          ref.timestampFormat ??
          shape.timestampFormat ??
          (where === 'header' ? 'rfc822' : 'iso8601')
        return parseTimestamp(text, format) ?? text
      }
      case 'blob':
        return Buffer.from(text, 'base64')
      default:
        return text
    }
  }

  /** A typed value from a parsed XML node. */
  private fromXml(
    node: unknown,
    ref: ShapeRef,
    path: string,
    problems: string[],
    only?: Record<string, ShapeRef>,
  ): unknown {
    const shape = this.shape(ref.shape)
    switch (shape.type) {
      case 'structure': {
        if (node === '') return {}
        if (!isObject(node)) {
          problems.push(`${path}: must be an element with members`)
          return node
        }
        const members = only ?? shape.members ?? {}
        const byWire = new Map(
          Object.entries(members).map(([name, m]) => [m.locationName ?? name, name]),
        )
        const out: Record<string, unknown> = {}
        for (const [key, child] of Object.entries(node)) {
          if (key.startsWith('@')) {
            const attr = key.slice(1)
            if (attr === 'xmlns' || attr.startsWith('xmlns:')) continue
            const name = byWire.get(attr)
            if (name && members[name].xmlAttribute)
              out[name] = this.fromXml(child, members[name], `${path}@${attr}`, problems)
            else problems.push(`${path}: unknown attribute ${attr}`)
            continue
          }
          const name = byWire.get(key)
          if (!name || members[name].xmlAttribute) {
            problems.push(`${path}: unknown element <${key}>`)
            continue
          }
          const member = members[name]
          const target = this.shape(member.shape)
          const flattened = member.flattened ?? target.flattened
          if (Array.isArray(child) && !(target.type === 'list' && flattened)) {
            problems.push(`${path}: element <${key}> given ${child.length} times`)
            continue
          }
          out[name] = this.fromXml(child, member, `${path}.${name}`, problems)
        }
        return out
      }
      case 'list': {
        const member = shape.member ?? { shape: 'String' }
        if (ref.flattened ?? shape.flattened) {
          const items = Array.isArray(node) ? node : [node]
          return items.map((v, i) => this.fromXml(v, member, `${path}[${i}]`, problems))
        }
        if (node === '') return []
        const wire = member.locationName ?? 'member'
        if (!isObject(node)) {
          problems.push(`${path}: a list must hold <${wire}> elements`)
          return node
        }
        const extra = Object.keys(node).filter((k) => k !== wire && !k.startsWith('@'))
        if (extra.length > 0)
          problems.push(`${path}: unknown element <${extra.join('>, <')}> in a list of <${wire}>`)
        const raw = node[wire]
        const items = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]
        return items.map((v, i) => this.fromXml(v, member, `${path}[${i}]`, problems))
      }
      case 'map': {
        const keyRef = shape.key ?? { shape: 'String' }
        const valueRef = shape.value ?? { shape: 'String' }
        const keyName = keyRef.locationName ?? 'key'
        const valueName = valueRef.locationName ?? 'value'
        let entries: unknown[]
        if (ref.flattened ?? shape.flattened) entries = Array.isArray(node) ? node : [node]
        else if (node === '') entries = []
        else if (isObject(node)) {
          const raw = node.entry
          entries = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]
        } else {
          problems.push(`${path}: a map must hold <entry> elements`)
          return node
        }
        const out: Record<string, unknown> = {}
        for (const entry of entries) {
          if (!isObject(entry) || typeof entry[keyName] !== 'string') {
            problems.push(`${path}: a map entry needs <${keyName}> and <${valueName}>`)
            continue
          }
          const k = entry[keyName] as string
          out[k] = this.fromXml(
            entry[valueName] ?? '',
            valueRef,
            `${path}[${JSON.stringify(k)}]`,
            problems,
          )
        }
        return out
      }
      default: {
        if (isObject(node) && Object.keys(node).every((k) => k.startsWith('@') || k === '#text')) {
          node = node['#text'] ?? ''
        }
        if (typeof node !== 'string') {
          problems.push(`${path}: must be text`)
          return node
        }
        if (shape.type === 'timestamp') {
          return (
            parseTimestamp(node, ref.timestampFormat ?? shape.timestampFormat ?? 'iso8601') ?? node
          )
        }
        return this.scalar(node, ref, 'querystring')
      }
    }
  }

  /** The text of a scalar for a header or an XML element. */
  private text(value: unknown, ref: ShapeRef, where: 'header' | 'body'): string {
    const shape = this.shape(ref.shape)
    if (shape.type === 'timestamp' && value instanceof Date) {
      const format =
        ref.timestampFormat ?? shape.timestampFormat ?? (where === 'header' ? 'rfc822' : 'iso8601')
      if (format === 'rfc822') return value.toUTCString()
      if (format === 'unixTimestamp') return String(value.getTime() / 1000)
      return value.toISOString()
    }
    if (shape.type === 'blob' && value instanceof Uint8Array)
      return Buffer.from(value).toString('base64')
    return String(value)
  }

  private toXml(value: unknown, ref: ShapeRef): string {
    const shape = this.shape(ref.shape)
    switch (shape.type) {
      case 'structure': {
        const obj = value as Record<string, unknown>
        return Object.entries(shape.members ?? {})
          .filter(([name]) => obj[name] !== undefined)
          .map(([name, member]) => this.element(member.locationName ?? name, obj[name], member))
          .join('')
      }
      case 'list': {
        const member = shape.member ?? { shape: 'String' }
        const wire = member.locationName ?? 'member'
        return (value as unknown[]).map((v) => this.element(wire, v, member)).join('')
      }
      case 'map': {
        const keyRef = shape.key ?? { shape: 'String' }
        const valueRef = shape.value ?? { shape: 'String' }
        return Object.entries(value as Record<string, unknown>)
          .map(
            ([k, v]) =>
              `<entry>${this.element(keyRef.locationName ?? 'key', k, keyRef)}${this.element(valueRef.locationName ?? 'value', v, valueRef)}</entry>`,
          )
          .join('')
      }
      default:
        return escapeXml(this.text(value, ref, 'body'))
    }
  }

  private element(name: string, value: unknown, ref: ShapeRef): string {
    const shape = this.shape(ref.shape)
    if ((shape.type === 'list' || shape.type === 'map') && (ref.flattened ?? shape.flattened)) {
      const member = shape.member ?? { shape: 'String' }
      return (value as unknown[]).map((v) => this.element(name, v, member)).join('')
    }
    return `<${name}>${this.toXml(value, ref)}</${name}>`
  }
}

/** A timestamp in one of the model's formats, or undefined when the text is not one. */
export function parseTimestamp(text: string, format: string): Date | undefined {
  let ok: boolean
  if (format === 'iso8601') {
    ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)
  } else if (format === 'rfc822') {
    ok = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)
  } else {
    ok = /^\d+(\.\d+)?$/.test(text)
    if (ok) return new Date(Number(text) * 1000)
  }
  const date = new Date(text)
  return ok && !Number.isNaN(date.getTime()) ? date : undefined
}
