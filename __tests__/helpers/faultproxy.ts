/**
 * A test-only proxy between an S3 client and the local S3 that injects the faults a real
 * network and a busy S3 produce: connection resets (before the request reaches the server, or
 * after the server has done the work but before the client hears back), stalls, and
 * HTTP 503 SlowDown and 403 AccessDenied answers. Loopback only; faults are bounded by `maxFaults`.
 * It also counts the requests that pass through it, by operation.
 */
import {
  createServer,
  request as forward,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** Chance (0..1) of each fault per request, and how many faults at most. */
export interface Faults {
  /** Reset the connection before forwarding: the server never sees the request. */
  resetBefore?: number
  /** Forward, let the server finish, then reset instead of answering (the write may land). */
  resetAfter?: number
  /** Answer 503 SlowDown without forwarding. */
  slowDown?: number
  /** Answer 403 AccessDenied without forwarding (a lost permission). */
  accessDenied?: number
  /** Hold the answer back for `stallMs` before sending it. */
  stall?: number
  stallMs?: number
  /** Stop injecting after this many faults (default 1,000). */
  maxFaults?: number
  /** Only requests for which this is true get faults (default: all). */
  only?: (req: IncomingMessage) => boolean
  /** Run before each request is forwarded (a test's concurrent writer goes here). */
  beforeForward?: (req: IncomingMessage) => Promise<void> | void
  /** Seed for the fault choices, so a run can be repeated (default 1). */
  seed?: number
}

export interface ProxyStats {
  requests: number
  /** Requests by operation, such as `PUT copy`, `HEAD`, `GET list-versions`. */
  byOperation: Record<string, number>
  faults: Record<'resetBefore' | 'resetAfter' | 'slowDown' | 'stall' | 'accessDenied', number>
}

export interface FaultProxy {
  /** http://127.0.0.1:PORT, to use as the client's endpoint. */
  url: string
  stats: ProxyStats
  /** Changes the faults from now on, and starts the counts afresh. */
  setFaults(faults: Faults): void
  close(): Promise<void>
}

const SLOW_DOWN =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>' +
  '<Message>Please reduce your request rate.</Message><RequestId>fault-proxy</RequestId></Error>'

const ACCESS_DENIED =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>' +
  '<Message>Access Denied</Message><RequestId>fault-proxy</RequestId></Error>'

/** Starts a proxy on 127.0.0.1 (a free port) in front of `upstream` (a loopback URL). */
export async function startFaultProxy(upstream: string, faults: Faults = {}): Promise<FaultProxy> {
  const target = new URL(upstream)
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) {
    throw new Error(`fault proxy: upstream must be on loopback, not ${target.hostname}`)
  }
  let config = faults
  let random = mulberry32(faults.seed ?? 1)
  let injected = 0
  const stats: ProxyStats = {
    requests: 0,
    byOperation: {},
    faults: { resetBefore: 0, resetAfter: 0, slowDown: 0, stall: 0, accessDenied: 0 },
  }
  const sockets = new Set<Socket>()
  const pick = (req: IncomingMessage): keyof ProxyStats['faults'] | undefined => {
    if (injected >= (config.maxFaults ?? 1000)) return undefined
    if (config.only && !config.only(req)) return undefined
    const roll = random()
    let edge = 0
    for (const kind of [
      'resetBefore',
      'resetAfter',
      'slowDown',
      'stall',
      'accessDenied',
    ] as const) {
      edge += config[kind] ?? 0
      if (roll < edge) {
        injected++
        stats.faults[kind]++
        return kind
      }
    }
    return undefined
  }

  const server: Server = createServer((req, res) => {
    if (config.beforeForward) {
      req.pause()
      void Promise.resolve(config.beforeForward(req)).then(
        () => handle(req, res),
        () => req.socket.destroy(),
      )
      return
    }
    handle(req, res)
  })
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    stats.requests++
    const op = operation(req)
    stats.byOperation[op] = (stats.byOperation[op] ?? 0) + 1
    const fault = pick(req)
    if (fault === 'resetBefore') {
      req.socket.resetAndDestroy()
      return
    }
    if (fault === 'slowDown' || fault === 'accessDenied') {
      req.resume()
      req.on('end', () => {
        const [status, body] = fault === 'slowDown' ? [503, SLOW_DOWN] : [403, ACCESS_DENIED]
        res.writeHead(status, { 'content-type': 'application/xml', connection: 'close' })
        res.end(req.method === 'HEAD' ? undefined : body)
      })
      return
    }
    const out = forward(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        const body: Buffer[] = []
        answer.on('data', (chunk: Buffer) => body.push(chunk))
        answer.on('end', () => {
          if (fault === 'resetAfter') {
            req.socket.resetAndDestroy()
            return
          }
          const send = (): void => {
            if (res.destroyed) return
            res.writeHead(answer.statusCode ?? 502, answer.headers)
            res.end(Buffer.concat(body))
          }
          if (fault === 'stall') setTimeout(send, config.stallMs ?? 1000)
          else send()
        })
      },
    )
    out.on('error', () => req.socket.destroy())
    req.pipe(out)
  }
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.maxConnections = 1024 // room for a client at --concurrency 256 and its idle sockets
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    setFaults(next) {
      config = next
      random = mulberry32(next.seed ?? 1)
      injected = 0
      stats.requests = 0
      stats.byOperation = {}
      stats.faults = { resetBefore: 0, resetAfter: 0, slowDown: 0, stall: 0, accessDenied: 0 }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** Whether `req` is a CopyObject onto `key` (path-style: /bucket/key). */
export function isCopyOf(
  req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>,
  key: string,
): boolean {
  if (operation(req) !== 'PUT copy') return false
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
  return path.split('/').slice(2).join('/') === key
}

/** Whether `req` adds a delete marker to `key` (a DeleteObject without a version ID). */
export function isDeleteOf(
  req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>,
  key: string,
): boolean {
  const url = new URL(req.url ?? '/', 'http://x')
  if (req.method !== 'DELETE' || url.searchParams.has('versionId')) return false
  return decodeURIComponent(url.pathname).split('/').slice(2).join('/') === key
}

/** A short name for the S3 operation of a request (for counting). */
export function operation(req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>): string {
  const url = new URL(req.url ?? '/', 'http://x')
  const q = url.searchParams
  const method = req.method ?? 'GET'
  if (q.has('versions')) return `${method} list-versions`
  if (q.has('uploads')) return `${method} create-multipart`
  if (q.has('partNumber')) return req.headers['x-amz-copy-source'] ? 'PUT part-copy' : 'PUT part'
  if (q.has('uploadId')) return `${method} multipart`
  if (q.has('tagging')) return `${method} tagging`
  if (q.has('versioning')) return `${method} versioning`
  if (req.headers['x-amz-copy-source']) return 'PUT copy'
  if (
    method === 'GET' &&
    (url.pathname.split('/').filter(Boolean).length <= 1 || q.has('list-type'))
  ) {
    return 'GET list'
  }
  return method
}

/** A small seeded PRNG, so fault runs can be repeated. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
