/**
 * The vocabulary of the randomized fault soak (bench/soak-run.ts): modes, schedule kinds, fault
 * kinds, the invariants, a soak's options, and what a run and a soak report.
 */
import type { ProxyStats } from '../__tests__/helpers/faultproxy.js'

export const MiB = 1024 * 1024
/** The prefix of a prefix run; keys mode picks keys under it too. */
export const PREFIX = 'p/'
export type Mode = 'keys' | 'prefix'
export type ScheduleKind = 'random' | 'kill' | 'cancel' | 'key-down' | 'lost-answers' | 'phase'
/** The faults a soak injects (not accessDenied: a refusal is a test's own fault). */
export type FaultKind = Exclude<keyof ProxyStats['faults'], 'accessDenied'>
export const FAULT_KINDS: readonly FaultKind[] = ['resetBefore', 'resetAfter', 'slowDown', 'stall']

export type Invariant =
  'lost' | 'target' | 'put-back' | 'converge' | 'idempotent' | 'uploads' | 'scope' | 'harness'

export const INVARIANTS: Record<Invariant, string> = {
  lost: '1 no version or delete marker lost',
  target: '2 exit 0 => every key at the target',
  'put-back': '3 failure => every key as before the run (or reported NOT put back)',
  converge: '4 a clean re-run converges',
  idempotent: '5 a second clean re-run writes nothing',
  uploads: '6 no multipart upload left open',
  scope: '+ keys outside the selection untouched',
  harness: '+ harness (hang, usage error, exception)',
}

export interface Violation {
  run: number
  seed: number
  mode: Mode
  schedule: string
  invariant: Invariant
  detail: string
}

/** What the test (or a reproduction) can fix for one run; the rest is drawn from its seed. */
export interface RunChoice {
  mode?: Mode
  kind?: ScheduleKind
  multipart?: boolean
  /** Through the AWS-semantics layer: SSE-KMS ETags and honoured conditional writes. */
  aws?: boolean
  /** Plain keys under the prefix (default 20 to 60; awkward and big keys come on top). */
  keys?: number
  /**
   * Staged: the state at T of a second bucket, seeded the same, is restored into this run's
   * bucket with --destination (the invariants hold there; the source must not change at all).
   */
  staged?: boolean
}

export interface SoakOptions {
  runs: number
  /** Every run's data and schedule derive from this and the run number. */
  seed: number
  /** Modes, taken in turn by run number. */
  modes: readonly Mode[]
  /** Only these run numbers (1-based), e.g. to reproduce one; default all. */
  only?: readonly number[]
  /** The Node binary that runs the bundle (Node 24, the runtime). */
  node: string
  /** The bundled CLI, dist/cli/index.js. */
  cli: string
  /** Runs at once, each with its own proxies (default 1). */
  parallel?: number
  /** A CLI invocation running longer than this is killed and reported (default 180 s). */
  timeoutMs?: number
  /** Fixes parts of a run (for the test); undefined: all drawn at random. */
  choose?: (run: number) => RunChoice | undefined
  /** Called with a line per run as it ends. */
  log?: (line: string) => void
  /** Where to keep each invocation's stdout and stderr (run-N-phase.log); default nowhere. */
  logDir?: string
}

export interface RunResult {
  run: number
  seed: number
  mode: Mode
  kind: ScheduleKind
  schedule: string
  multipart: boolean
  /** The run went through the AWS-semantics layer (KMS ETags, honoured conditions). */
  aws: boolean
  /** The run restored another bucket's state into this one (--destination). */
  staged: boolean
  concurrency: number
  /** Keys given to the CLI (keys mode) or under the prefix. */
  keys: number
  /** Of those, keys whose current content is not the target's. */
  toWrite: number
  exit: number | null
  killed: boolean
  /** The runner's cancel sequence was sent (SIGINT, then SIGTERM and SIGKILL if still running). */
  cancelled: boolean
  /** Multipart uploads a SIGKILLed run left open (for the bucket's lifecycle rule to abort). */
  leftOpenByKill?: number
  /** Entries the faulty run added (before a failure: what the put-back had to undo). */
  added: number
  faults: Record<FaultKind, number>
  /** Write requests (PUT, POST, DELETE) seen by the outermost proxy, by phase. */
  writes: Record<Phase, number>
  /** Requests by operation over the three invocations (outermost proxy). */
  ops: Record<string, number>
  seconds: number
  /** Seconds spent seeding, in each invocation, and listing and reading for the checks. */
  timing: Record<Phase | 'seed' | 'checks', number>
  violations: Violation[]
}

/** The three invocations of a run: with faults, then two clean re-runs. */
export type Phase = 'faulty' | 'rerun' | 'second'

export interface SoakReport {
  runs: RunResult[]
  violations: Violation[]
  seconds: number
}
