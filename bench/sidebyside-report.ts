/**
 * The side-by-side bench's output: markdown tables (they paste into an issue or docs as they are)
 * kept in one transcript for the results file, and the small sums behind them.
 */
import { fixed } from './lib.js'
import { transcript } from './results-writer.js'
import type { Measured } from './sidebyside-tools.js'

/** Everything printed, for the results file. */
export const printout = transcript()
export const { printed, say } = printout

/** Prints rows as a markdown table with aligned columns, and keeps it. */
export function markdown(header: string[], rows: Array<Array<string | number>>): void {
  const all = [header, ...rows.map((r) => r.map(String))]
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`
  const text = [
    line(all[0]),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...all.slice(1).map(line),
  ].join('\n')
  console.log(text)
  printed.push(text)
}

export function median(values: number[]): number {
  const s = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** Requests by kind, most first: `PUT copy 2458, DELETE 273, ...`. */
export const kinds = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')

/** The median count of each kind over several runs. */
export function medianKinds(runs: Array<Record<string, number>>): Record<string, number> {
  const names = new Set(runs.flatMap((r) => Object.keys(r)))
  return Object.fromEntries([...names].map((k) => [k, median(runs.map((r) => r[k] ?? 0))]))
}

export const ratio = (a: number, b: number): string =>
  Number.isFinite(a / b) && b !== 0 ? `${fixed(a / b)}x` : ''

/** CPU milliseconds per request of one run. */
export const cpuPerRequest = (m: Measured): number => (m.cpuSeconds * 1000) / m.total

/**
 * CPU milliseconds per request beyond what the same command costs on the converged prefix (its
 * re-run: process start, bundle load and the listing, no writes), so the start-up does not
 * count against the requests. NaN when the two runs made the same number of requests.
 */
export const marginalCpuPerRequest = (first: Measured, rerun: Measured): number =>
  first.total > rerun.total
    ? ((first.cpuSeconds - rerun.cpuSeconds) * 1000) / (first.total - rerun.total)
    : NaN

/** A duration for people: 42 s, 7.5 min, 3.2 h. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'n/a'
  if (seconds < 120) return `${fixed(seconds, 0)} s`
  if (seconds < 7200) return `${fixed(seconds / 60, 1)} min`
  return `${fixed(seconds / 3600, 1)} h`
}

/** A whole number with thousands separators. */
export const count = (n: number): string =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a'
