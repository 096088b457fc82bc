/** The figures of a soak: a line per run, and the summary printed and written to bench/results/. */
import { SCHEDULE_WEIGHTS } from './soak-faults.js'
import {
  FAULT_KINDS,
  INVARIANTS,
  type FaultKind,
  type Invariant,
  type RunResult,
  type ScheduleKind,
  type SoakOptions,
  type SoakReport,
} from './soak-types.js'

const timing = (r: RunResult): string =>
  (['seed', 'faulty', 'rerun', 'second', 'checks'] as const)
    .map((k) => `${k} ${r.timing[k].toFixed(1)}`)
    .join(' ')

/** One line per run, for the log. */
export function runLine(r: RunResult): string {
  const faults = FAULT_KINDS.filter((k) => r.faults[k] > 0)
    .map((k) => `${k} ${r.faults[k]}`)
    .join(', ')
  const outcome = r.killed ? 'killed' : `exit ${r.exit}`
  const verdict =
    r.violations.length === 0
      ? 'ok'
      : `VIOLATIONS: ${[...new Set(r.violations.map((v) => v.invariant))].join(', ')}`
  return (
    `#${r.run} ${r.mode} ${r.kind}${r.multipart ? ' multipart' : ''} c=${r.concurrency} ` +
    `keys ${r.keys} (to write ${r.toWrite}): ${outcome}, added ${r.added}, ` +
    `faults [${faults || 'none'}], writes ${r.writes.faulty}/${r.writes.rerun}/${r.writes.second}, ` +
    `${r.seconds.toFixed(1)} s (${timing(r)}): ${verdict}`
  )
}

function formatTable(header: string[], rows: Array<Array<string | number>>): string {
  const all = [header, ...rows.map((r) => r.map(String))]
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  return [
    line(all[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...all.slice(1).map(line),
  ].join('\n')
}

const percent = (n: number, of: number): string =>
  of === 0 ? 'n/a' : `${((100 * n) / of).toFixed(1)} %`

/** The figures of a soak, as printed and written to bench/results/. */
export function summarize(
  report: SoakReport,
  options: Pick<SoakOptions, 'seed' | 'modes' | 'choose'>,
): string {
  const { runs, violations } = report
  const count = <T>(items: readonly T[], test: (item: T) => boolean): number =>
    items.filter(test).length
  const failed = runs.filter((r) => !r.killed && r.exit !== 0)
  const putBack = failed.filter((r) => r.added > 0)
  const multipart = runs.filter((r) => r.multipart)
  const sum = (op: string): number => runs.reduce((a, r) => a + (r.ops[op] ?? 0), 0)
  const faults = Object.fromEntries(
    FAULT_KINDS.map((k) => [k, runs.reduce((a, r) => a + r.faults[k], 0)]),
  ) as Record<FaultKind, number>
  const kinds = Object.keys(SCHEDULE_WEIGHTS) as ScheduleKind[]
  const lines: string[] = []
  lines.push(
    `soak: ${runs.length} runs, SOAK_SEED=${options.seed}, modes ${options.modes.join('+')}, ` +
      `${report.seconds.toFixed(0)} s (${(report.seconds / Math.max(1, runs.length)).toFixed(1)} s a run)`,
  )
  lines.push('')
  lines.push(
    formatTable(
      ['runs', 'keys', 'prefix', 'total'],
      [
        [
          'all',
          count(runs, (r) => r.mode === 'keys'),
          count(runs, (r) => r.mode === 'prefix'),
          runs.length,
        ],
        ...kinds.map((k) => [
          `schedule ${k}`,
          count(runs, (r) => r.kind === k && r.mode === 'keys'),
          count(runs, (r) => r.kind === k && r.mode === 'prefix'),
          count(runs, (r) => r.kind === k),
        ]),
        [
          'exited non-zero',
          count(failed, (r) => r.mode === 'keys'),
          count(failed, (r) => r.mode === 'prefix'),
          `${failed.length} (${percent(failed.length, runs.length)})`,
        ],
        [
          '  of which had written (put-back ran)',
          count(putBack, (r) => r.mode === 'keys'),
          count(putBack, (r) => r.mode === 'prefix'),
          putBack.length,
        ],
        [
          'killed (SIGKILL)',
          count(runs, (r) => r.killed && r.mode === 'keys'),
          count(runs, (r) => r.killed && r.mode === 'prefix'),
          count(runs, (r) => r.killed),
        ],
        [
          'cancelled (SIGINT, SIGTERM +7.5 s, SIGKILL +2.5 s)',
          count(runs, (r) => r.cancelled && r.mode === 'keys'),
          count(runs, (r) => r.cancelled && r.mode === 'prefix'),
          count(runs, (r) => r.cancelled),
        ],
        [
          '  of which exited 130 (put back, or nothing written)',
          count(runs, (r) => r.cancelled && r.exit === 130 && r.mode === 'keys'),
          count(runs, (r) => r.cancelled && r.exit === 130 && r.mode === 'prefix'),
          count(runs, (r) => r.cancelled && r.exit === 130),
        ],
        [
          '  uploads a kill left open (lifecycle rule)',
          sumOf(
            runs.filter((r) => r.mode === 'keys'),
            (r) => r.leftOpenByKill ?? 0,
          ),
          sumOf(
            runs.filter((r) => r.mode === 'prefix'),
            (r) => r.leftOpenByKill ?? 0,
          ),
          sumOf(runs, (r) => r.leftOpenByKill ?? 0),
        ],
        [
          'through the AWS layer (KMS ETags, conditions honoured)',
          count(runs, (r) => r.aws && r.mode === 'keys'),
          count(runs, (r) => r.aws && r.mode === 'prefix'),
          count(runs, (r) => r.aws),
        ],
        [
          'staged: another bucket restored into this one (--destination)',
          count(runs, (r) => r.staged && r.mode === 'keys'),
          count(runs, (r) => r.staged && r.mode === 'prefix'),
          count(runs, (r) => r.staged),
        ],
        [
          'with big objects (half uploaded in parts)',
          count(multipart, (r) => r.mode === 'keys'),
          count(multipart, (r) => r.mode === 'prefix'),
          multipart.length,
        ],
      ],
    ),
  )
  const codes = new Map<string, number>()
  for (const r of runs) {
    const code = r.killed ? 'killed' : String(r.exit)
    codes.set(code, (codes.get(code) ?? 0) + 1)
  }
  lines.push('')
  lines.push(
    `exit codes of the faulty runs: ${[...codes].map(([c, n]) => `${c}: ${n}`).join(', ')}`,
  )
  lines.push(
    `multipart requests (all invocations): CreateMultipartUpload ${sum('POST create-multipart')}, ` +
      `UploadPartCopy ${sum('PUT part-copy')}, CompleteMultipartUpload ${sum('POST multipart')}, ` +
      `AbortMultipartUpload ${sum('DELETE multipart')}`,
  )
  const totalFaults = FAULT_KINDS.reduce((a, k) => a + faults[k], 0)
  lines.push(
    `faults injected: ${totalFaults} (${FAULT_KINDS.map((k) => `${k} ${faults[k]}`).join(', ')})`,
  )
  const writes = (phase: keyof RunResult['writes']): number =>
    runs.reduce((a, r) => a + r.writes[phase], 0)
  lines.push(
    `write requests: faulty runs ${writes('faulty')}, first clean re-runs ${writes('rerun')}, ` +
      `second clean re-runs ${writes('second')}`,
  )
  lines.push('')
  const invariants = Object.keys(INVARIANTS) as Invariant[]
  lines.push(
    formatTable(
      ['violations by invariant', 'keys', 'prefix', 'total'],
      invariants.map((inv) => [
        INVARIANTS[inv],
        count(violations, (v) => v.invariant === inv && v.mode === 'keys'),
        count(violations, (v) => v.invariant === inv && v.mode === 'prefix'),
        count(violations, (v) => v.invariant === inv),
      ]),
    ),
  )
  const bad = new Set(violations.map((v) => v.run))
  lines.push('')
  lines.push(
    `violations: ${violations.length} in ${bad.size} run(s)${violations.length === 0 ? ' (must be 0: ok)' : ' (must be 0: FAILED)'}`,
  )
  const mode = options.modes.length === 1 ? ` SOAK_MODE=${options.modes[0]}` : ''
  const reproduce = (run: number): string =>
    options.choose
      ? 'rerun the caller: it fixes parts of each run'
      : `SOAK_SEED=${options.seed} SOAK_ONLY=${run}${mode}`
  for (const v of violations) {
    lines.push(
      `- run #${v.run} (${v.mode}; reproduce: ${reproduce(v.run)}; run seed ${v.seed}) ` +
        `[${INVARIANTS[v.invariant]}]\n    schedule: ${v.schedule}\n    ${v.detail}`,
    )
  }
  return lines.join('\n')
}

function sumOf<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((n, item) => n + value(item), 0)
}
