/**
 * How the side-by-side bench runs each tool: the CLI (Node 24, the bundle) and rclone 1.60, both
 * through the same proxies — a counting proxy (faultproxy.ts, no faults) in front of the AWS
 * layer (awsproxy.ts: added latency, and SlowDown above a write rate per prefix) in front of the
 * local RGW — under /usr/bin/time -v for wall time, CPU time and peak RSS.
 */
import { execFileSync } from 'node:child_process'
import { startAwsStack, type AwsStack } from '../__tests__/helpers/awsproxy.js'
import { endpoint, timed, toolEnv, total } from './lib.js'

/** The repository root (this file runs from build/bench/). */
const root = new URL('../../', import.meta.url)
export const cliScript = new URL('dist/cli/index.js', root).pathname
export const RCLONE = '/usr/bin/rclone'

export type Tool = 's3-rollback' | 'rclone'

/** The distance to the store: latency per request, and a SlowDown threshold if any. */
export interface Scenario {
  label: string
  latencyMs: number
  slowDown?: { writesPerSecond: number; prefixDepth: number }
}

/** One process run: what /usr/bin/time and the proxies saw. */
export interface Measured {
  /** Exit code of the tool (0: it reported success). */
  code: number | null
  /** The last lines of the tool's output when it did not exit 0. */
  failure?: string
  seconds: number
  rssMiB: number
  /** User + system CPU time of the tool's process. */
  cpuSeconds: number
  /** Requests the tool sent (every attempt), by kind. */
  requests: Record<string, number>
  total: number
  /** Requests that write: PUT, POST and DELETE of any kind. */
  writes: number
  /** 503 SlowDown answers the tool got. */
  slowDowns: number
  /** The most requests of the tool in flight at once, as the latency layer saw them. */
  peakInFlight: number
  /** From the first object write that reached the store to the last (0: fewer than two). */
  writeSpanSeconds: number
}

const isWrite = (operation: string): boolean => /^(PUT|POST|DELETE)\b/.test(operation)

/** The Node 24 binary that runs the bundled CLI. */
export function node24(): string {
  if (process.env.ACTION_NODE) return process.env.ACTION_NODE
  if (process.versions.node.startsWith('24.')) return process.execPath
  return execFileSync(new URL('scripts/node24.sh', root).pathname, { encoding: 'utf8' }).trim()
}

/** Runs the tools through the proxy stack, one scenario at a time. */
export class Runner {
  private scenario: Scenario = { label: '+0 ms', latencyMs: 0 }
  private writeTimes: number[] = []

  private constructor(
    private readonly stack: AwsStack,
    readonly node: string,
    private readonly scratch: string,
  ) {}

  static async start(node: string, scratch: string): Promise<Runner> {
    return new Runner(await startAwsStack(endpoint()), node, scratch)
  }

  get url(): string {
    return this.stack.url
  }

  /** The latency and SlowDown threshold of the runs from now on. */
  use(scenario: Scenario): void {
    this.scenario = scenario
  }

  close(): Promise<void> {
    return this.stack.close()
  }

  private async measure(
    what: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
  ): Promise<Measured> {
    this.stack.faults.setFaults({}) // no faults; starts the counts afresh
    this.stack.aws.resetStats()
    this.writeTimes = []
    // Afresh per run, so each tool meets a full SlowDown token bucket.
    this.stack.aws.configure({
      latencyMs: this.scenario.latencyMs || undefined,
      slowDown: this.scenario.slowDown,
      beforeWrite: () => {
        this.writeTimes.push(Date.now())
      },
    })
    const run = await timed(command, args, env)
    const requests = { ...this.stack.faults.stats.byOperation }
    const writes = Object.entries(requests)
      .filter(([op]) => isWrite(op))
      .reduce((a, [, n]) => a + n, 0)
    const times = this.writeTimes
    return {
      code: run.code,
      failure: run.code === 0 ? undefined : `${what}: ${lastLines(run.stdout + run.stderr, 6)}`,
      seconds: run.seconds,
      rssMiB: run.maxRssMiB,
      cpuSeconds: run.cpuSeconds,
      requests,
      total: total(requests),
      writes,
      slowDowns: this.stack.aws.stats.answered.slowDown,
      peakInFlight: this.stack.aws.stats.peakInFlight,
      writeSpanSeconds: times.length > 1 ? (times[times.length - 1] - times[0]) / 1000 : 0,
    }
  }

  /** The CLI, with `selection` (--prefix P or --keys ...) and the common flags. */
  cli(bucket: string, at: string, selection: string[], concurrency: number): Promise<Measured> {
    const args = [cliScript, 'restore', '--bucket', bucket, ...selection, '--to-time', at]
    args.push('--if-missing', 'delete', '--concurrency', String(concurrency))
    args.push('--endpoint-url', this.url, '--force-path-style')
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TMPDIR: this.scratch, // the manifest files of the runs, removed at the end
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    }
    return this.measure('s3-rollback restore', this.node, args, env)
  }

  /**
   * rclone 1.60's recipe: sync from the bucket as of T (a connection-string override), with
   * --transfers and --checkers at the engine's --concurrency.
   */
  rclone(
    bucket: string,
    prefix: string,
    at: string,
    concurrency: number,
    from = bucket,
  ): Promise<Measured> {
    const c = String(concurrency)
    const path = (b: string): string => `${b}/${prefix.replace(/\/$/, '')}`
    const args = ['sync', `rgw,version_at="${at}":${path(from)}`, `rgw:${path(bucket)}`]
    args.push('--server-side-across-configs', '--checksum', '--transfers', c, '--checkers', c)
    return this.measure('rclone sync', RCLONE, args, rcloneRgwEnv(this.url))
  }

  /**
   * Restores `prefix` of `bucket` to its state at `at`; with `from`, the state of `from`'s prefix
   * at `at` into `bucket` (staged: the CLI's --destination; rclone syncs across the buckets).
   */
  tool(
    tool: Tool,
    bucket: string,
    prefix: string,
    at: string,
    c: number,
    from?: string,
  ): Promise<Measured> {
    if (tool === 'rclone') return this.rclone(bucket, prefix, at, c, from)
    if (!from) return this.cli(bucket, at, ['--prefix', prefix], c)
    return this.cli(from, at, ['--prefix', prefix, '--destination', `s3://${bucket}/${prefix}`], c)
  }
}

const lastLines = (text: string, n: number): string => text.trim().split('\n').slice(-n).join(' | ')

/**
 * One rclone remote `rgw` from env vars, at `url`. The time goes in the remote's connection
 * string, quoted (`rgw,version_at="2026-…Z":`): unquoted, rclone 1.60 cuts the value at the
 * first colon of the time.
 */
function rcloneRgwEnv(url: string): NodeJS.ProcessEnv {
  return toolEnv({
    RCLONE_CONFIG_RGW_TYPE: 's3',
    RCLONE_CONFIG_RGW_PROVIDER: 'Ceph',
    RCLONE_CONFIG_RGW_ENDPOINT: url,
    RCLONE_CONFIG_RGW_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
    RCLONE_CONFIG_RGW_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    RCLONE_CONFIG_RGW_REGION: 'us-east-1',
  })
}
