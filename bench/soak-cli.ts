/**
 * One invocation of the bundled CLI in a soak run: spawned under the run's environment, killed
 * on its schedule or when it hangs; what its manifest and its error lines say.
 */
import { spawn } from 'node:child_process'
import type { FaultProxy } from '../__tests__/helpers/faultproxy.js'
import type { Mismatch } from './soak-checks.js'
import { writeCount, type Schedule } from './soak-faults.js'
import type { SoakOptions } from './soak-types.js'

export interface CliRun {
  code: number | null
  killed: boolean
  /** The runner's cancel sequence started (SIGINT sent). */
  cancelled: boolean
  timedOut: boolean
  stdout: string
  stderr: string
}

export function runCli(
  options: SoakOptions,
  args: string[],
  env: NodeJS.ProcessEnv,
  outer: FaultProxy,
  stop: Pick<Schedule, 'kill' | 'cancel'> = {},
): Promise<CliRun> {
  const { kill, cancel } = stop
  return new Promise((resolve, reject) => {
    const child = spawn(options.node, [options.cli, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const started = Date.now()
    let stdout = ''
    let stderr = ''
    let killed = false
    let timedOut = false
    let cancelledAt: number | undefined
    let termSent = false
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setInterval(() => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const elapsed = Date.now() - started
      const reached = (at: { afterWrites: number } | { afterMs: number }): boolean =>
        'afterMs' in at
          ? elapsed >= at.afterMs
          : writeCount(outer.stats.byOperation) >= at.afterWrites
      if (cancelledAt !== undefined) {
        // The runner: SIGTERM 7.5 s after SIGINT, SIGKILL 2.5 s after that.
        const since = Date.now() - cancelledAt
        if (since >= 10_000 && !killed) {
          killed = true
          child.kill('SIGKILL')
        } else if (since >= 7500 && !termSent) {
          termSent = true
          child.kill('SIGTERM')
        }
      } else if (cancel && reached(cancel)) {
        cancelledAt = Date.now()
        child.kill('SIGINT')
      }
      if (elapsed > (options.timeoutMs ?? 180_000)) {
        timedOut = true
        child.kill('SIGKILL')
      } else if (kill && !killed && reached(kill)) {
        killed = true
        child.kill('SIGKILL')
      }
    }, 5)
    child.on('error', (e) => {
      clearInterval(timer)
      reject(e)
    })
    child.on('close', (code, signal) => {
      clearInterval(timer)
      resolve({
        code,
        killed: killed && signal === 'SIGKILL',
        cancelled: cancelledAt !== undefined,
        timedOut,
        stdout,
        stderr,
      })
    })
  })
}

/** Keys the manifest (--json) says this run changed. */
export function changedInManifest(stdout: string): number {
  const manifest = JSON.parse(stdout) as {
    keys?: Array<{ newVersionId?: string | null }>
    summary?: { written?: number }
  }
  return (
    manifest.summary?.written ??
    (manifest.keys ?? []).filter((k) => k.newVersionId !== null && k.newVersionId !== undefined)
      .length
  )
}

export const tail = (text: string, n = 600): string => text.trim().slice(-n).replace(/\s+/g, ' ')

/**
 * The CLI's error line, and what its final states say about the keys in `wrong`: admitted
 * ("NOT put back", "left as is"), or mis-reported (claimed put back or not changed).
 */
export function engineSaid(stderr: string, wrong: readonly Mismatch[]): string {
  const lines = stderr.split('\n')
  const at = lines.findIndex((l) => l.startsWith('s3-rollback: '))
  const said = [`engine: ${(at < 0 ? tail(stderr, 300) : lines[at]).slice(0, 300)}`]
  if (wrong.length === 0) return said[0]
  // The final states are part of the error message (after its first line).
  const message = at < 0 ? [] : lines.slice(at + 1)
  const states = wrong.map(
    ({ key }) => message.find((l) => l.trimStart().startsWith(`${key}: `))?.trim() ?? '',
  )
  const admitted = states.filter((l) => /: (NOT put back|left as is)/.test(l)).length
  const unlisted = states.filter((l) => l === '').length
  said.push(
    `final states of these keys: ${admitted} admitted (NOT put back / left as is), ` +
      `${wrong.length - admitted - unlisted} mis-reported, ${unlisted} not listed`,
  )
  for (const state of states.filter((l) => l !== '').slice(0, 2)) said.push(state.slice(0, 300))
  return said.join('; ')
}

/** Keys the final states in the CLI's error admit were not put back (a put-back cut short). */
export function admittedKeys(stderr: string): Set<string> {
  const keys = new Set<string>()
  for (const line of stderr.split('\n')) {
    const m = /^\s+(.+?): (NOT put back|left as is)/.exec(line)
    if (m) keys.add(m[1])
  }
  return keys
}
