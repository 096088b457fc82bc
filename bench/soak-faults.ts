/**
 * The faults of a soak run: its schedule (random faults, a victim key or phase whose writes
 * fail, an outage, a SIGKILL), drawn from its seed, and the three fault proxies that inject it:
 * CLI → outer (victim) → middle (outage) → inner (random) → S3.
 */
import type { IncomingMessage } from 'node:http'
import { startAwsProxy, type AwsProxy } from '../__tests__/helpers/awsproxy.js'
import {
  operation,
  startFaultProxy,
  type FaultProxy,
  type Faults,
} from '../__tests__/helpers/faultproxy.js'
import { endpoint } from './lib.js'
import { needsWrite, type KeyPlan, type Rng } from './soak-scenario.js'
import { FAULT_KINDS, type FaultKind, type ScheduleKind } from './soak-types.js'

export interface Schedule {
  kind: ScheduleKind
  /** Random faults on every request (innermost proxy). */
  background: Faults
  /** Keys whose writes fail (outermost proxy): chosen, or the key of the write after N writes. */
  victim?: { keys: string[] } | { afterWrites: number }
  /**
   * resetBefore: every write request to the victim (but AbortMultipartUpload) fails, the server
   * never sees one.
   * resetAfter: every attempt of the victim's first landing write (copy, put, delete marker,
   * multipart completion) lands and its answer is lost; later writes get through.
   */
  victimFault: 'resetBefore' | 'resetAfter'
  /** From the victim's first fault, for `ms`: listings (or every request) are reset. */
  outage?: { what: 'listings' | 'all'; ms: number }
  kill?: { afterWrites: number } | { afterMs: number }
  /** Cancel as a runner does: SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that. */
  cancel?: { afterWrites: number } | { afterMs: number }
}

export function describeSchedule(s: Schedule): string {
  const parts: string[] = [s.kind]
  const rate = FAULT_KINDS.map((k) => s.background[k] ?? 0).reduce((a, b) => a + b, 0)
  if (rate > 0) {
    const mix = FAULT_KINDS.filter((k) => (s.background[k] ?? 0) > 0)
      .map((k) => `${k} ${((s.background[k] ?? 0) * 100).toFixed(1)}%`)
      .join(' ')
    parts.push(
      `random ${(rate * 100).toFixed(0)}% (${mix}${s.background.stall ? `, stall ${s.background.stallMs} ms` : ''})`,
    )
  }
  if (s.victim) {
    const who =
      'keys' in s.victim
        ? s.victim.keys.map((k) => JSON.stringify(k)).join(',')
        : `the key written after ${s.victim.afterWrites} writes`
    parts.push(`${s.victimFault} on writes to ${who}`)
  }
  if (s.outage) parts.push(`${s.outage.what} outage ${s.outage.ms} ms from its first fault`)
  if (s.kill) {
    parts.push(
      'afterWrites' in s.kill
        ? `SIGKILL after ${s.kill.afterWrites} writes`
        : `SIGKILL after ${s.kill.afterMs} ms`,
    )
  }
  if (s.cancel) {
    parts.push(
      `cancelled as a runner does (SIGINT, SIGTERM +7.5 s, SIGKILL +2.5 s) ${
        'afterWrites' in s.cancel
          ? `after ${s.cancel.afterWrites} writes`
          : `after ${s.cancel.afterMs} ms`
      }`,
    )
  }
  return parts.join('; ')
}

/**
 * Random faults at `rate` of the requests, in a random mix. SlowDown and stalls are capped (a
 * SlowDown makes the adaptive client slow every later request down, a stall holds a request for
 * seconds); what the caps cut goes to the resets, so the total stays `rate`.
 */
function randomFaults(rng: Rng, rate: number, seed: number): Faults {
  const weights = FAULT_KINDS.map(() => rng.next() + 0.05)
  const sum = weights.reduce((a, b) => a + b, 0)
  const [before, after, slow, stalled] = weights.map((w) => (rate * w) / sum)
  const slowDown = Math.min(slow, 0.02)
  const stall = Math.min(stalled, 0.01)
  const cut = slow - slowDown + (stalled - stall)
  return {
    resetBefore: before + cut / 2,
    resetAfter: after + cut / 2,
    slowDown,
    stall,
    stallMs: rng.int(500, 3000),
    maxFaults: 1_000_000,
    seed,
  }
}

export const SCHEDULE_WEIGHTS: Record<ScheduleKind, number> = {
  random: 25,
  kill: 15,
  cancel: 15,
  'key-down': 20,
  'lost-answers': 15,
  phase: 25,
}

export function schedule(
  rng: Rng,
  wanted: ScheduleKind,
  plans: readonly KeyPlan[],
  seed: number,
): Schedule {
  const writable = plans.filter((p) => p.selected && needsWrite(p)).map((p) => p.key)
  // Without a key to write there is nothing to fail on.
  const kind = writable.length === 0 && wanted !== 'kill' && wanted !== 'cancel' ? 'random' : wanted
  const rate = kind === 'random' ? rng.next() * 0.3 : rng.next() * 0.1
  const base: Schedule = {
    kind,
    background: randomFaults(rng, rate, seed),
    victimFault: 'resetBefore',
  }
  switch (kind) {
    case 'random':
      return base
    case 'kill': {
      const kill = rng.chance(0.6)
        ? { afterWrites: rng.int(0, Math.max(1, writable.length)) }
        : { afterMs: rng.int(100, 3000) }
      const victim =
        rng.chance(0.4) && writable.length > 0 ? { keys: [rng.pick(writable)] } : undefined
      return { ...base, kill, victim }
    }
    case 'cancel': {
      // At a random moment: planning (0 writes, or a few ms in), writing, confirming, or
      // putting back after a failure the background faults or a victim caused.
      const cancel = rng.chance(0.6)
        ? { afterWrites: rng.int(0, Math.max(1, writable.length)) }
        : { afterMs: rng.int(20, 3000) }
      const victim =
        rng.chance(0.3) && writable.length > 0 ? { keys: [rng.pick(writable)] } : undefined
      return { ...base, cancel, victim }
    }
    case 'key-down':
      return { ...base, victim: { keys: rng.shuffle(writable).slice(0, rng.int(1, 2)) } }
    case 'lost-answers':
      return {
        ...base,
        victimFault: 'resetAfter',
        victim: { keys: [rng.pick(writable)] },
        outage: rng.chance(0.3) ? { what: 'listings', ms: rng.int(500, 6000) } : undefined,
      }
    case 'phase':
      return {
        ...base,
        victimFault: rng.chance(0.5) ? 'resetBefore' : 'resetAfter',
        victim: { afterWrites: rng.int(0, Math.max(0, writable.length - 1)) },
        outage: { what: rng.chance(0.7) ? 'listings' : 'all', ms: rng.int(1500, 8000) },
      }
  }
}

export const isWrite = (op: string): boolean => /^(PUT|POST|DELETE)\b/.test(op)
/** Writes that make a new entry (a version or delete marker) when they land. */
const LANDING = new Set(['PUT copy', 'PUT', 'DELETE', 'POST multipart'])

export function writeCount(byOperation: Record<string, number>): number {
  return Object.entries(byOperation)
    .filter(([op]) => isWrite(op))
    .reduce((a, [, n]) => a + n, 0)
}

/** The key of a path-style request to `bucket` (undefined for bucket-level requests). */
function keyOf(req: IncomingMessage, bucket: string): string | undefined {
  const path = new URL(req.url ?? '/', 'http://x').pathname
  const head = `/${bucket}/`
  if (!path.startsWith(head)) return undefined
  try {
    return decodeURIComponent(path.slice(head.length)) || undefined
  } catch {
    return undefined
  }
}

/** Shared by the closures of one run's proxies. */
export interface RunState {
  outageFrom?: number
  /**
   * Keys whose every write the victim faults reset before it reaches the store (resetBefore):
   * neither the run nor its put-back can write them.
   */
  unwritable?: Set<string>
}

/** The outermost proxy's faults: the victim's writes. */
export function victimFaults(s: Schedule, bucket: string, state: RunState): Faults {
  const victim = s.victim
  if (!victim) return {}
  const chosen = new Set('keys' in victim ? victim.keys : [])
  const invocation = new Map<string, string>()
  let writes = 0
  return {
    [s.victimFault]: 1,
    maxFaults: 1_000_000,
    only: (req) => {
      const op = operation(req)
      // Aborting an upload is cleanup, not a write of the key: it gets through.
      if (!isWrite(op) || op === 'DELETE multipart') return false
      const key = keyOf(req, bucket)
      if (key === undefined) return false
      writes++
      if ('afterWrites' in victim && chosen.size === 0 && writes > victim.afterWrites) {
        chosen.add(key)
      }
      if (!chosen.has(key)) return false
      if (s.victimFault === 'resetBefore') (state.unwritable ??= new Set()).add(key)
      if (s.victimFault === 'resetAfter') {
        // Every attempt of the first landing write to the key (one SDK invocation).
        if (!LANDING.has(op)) return false
        const id = String(req.headers['amz-sdk-invocation-id'] ?? '')
        const first = invocation.get(key) ?? id
        invocation.set(key, first)
        if (id !== first) return false
      }
      state.outageFrom ??= Date.now()
      return true
    },
  }
}

/** The middle proxy's faults: the outage from the victim's first fault on. */
export function outageFaults(s: Schedule, state: RunState): Faults {
  const outage = s.outage
  if (!outage) return {}
  return {
    resetBefore: 1,
    maxFaults: 1_000_000,
    only: (req) =>
      state.outageFrom !== undefined &&
      Date.now() - state.outageFrom < outage.ms &&
      (outage.what === 'all' || operation(req) === 'GET list-versions'),
  }
}

/** CLI → outer (victim) → middle (outage) → inner (random) → S3. */
export interface Proxies {
  outer: FaultProxy
  middle: FaultProxy
  inner: FaultProxy
  /** Between the fault proxies and RGW: AWS's semantics, switched on per run. */
  aws: AwsProxy
}

export async function startProxies(): Promise<Proxies> {
  const aws = await startAwsProxy(endpoint())
  const inner = await startFaultProxy(aws.url)
  const middle = await startFaultProxy(inner.url)
  const outer = await startFaultProxy(middle.url)
  return { outer, middle, inner, aws }
}

export function faultsOf(p: Proxies): Record<FaultKind, number> {
  const out = { resetBefore: 0, resetAfter: 0, slowDown: 0, stall: 0 }
  for (const proxy of [p.outer, p.middle, p.inner]) {
    for (const kind of FAULT_KINDS) out[kind] += proxy.stats.faults[kind]
  }
  return out
}
