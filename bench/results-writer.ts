/**
 * The results files of the benchmarks: bench/results/<name>-<time>.txt, headed by the machine
 * they ran on, and the transcript (what a benchmark printed) that goes into them.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { table } from './lib.js'

/** The repository root (the benchmarks run from build/bench/). */
const root = new URL('../../', import.meta.url)

/** This machine: cores, CPU model and memory, then `runtime` (what ran, against what S3). */
export function machine(runtime = `node ${process.version}, local Ceph RGW (memstore)`): string {
  return (
    `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
    runtime
  )
}

/** The time now and the whole seconds since `started` (a Date.now()). */
export const elapsed = (started: number): string =>
  `${new Date().toISOString()}, ${Math.round((Date.now() - started) / 1000)} s`

/**
 * Writes bench/results/<name>-<time>.txt: the header lines, a blank line, then `text`.
 * Returns the file's path.
 */
export async function writeResults(name: string, header: string[], text: string): Promise<string> {
  const out = new URL('bench/results/', root)
  await mkdir(out, { recursive: true })
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const file = new URL(`${name}-${stamp}.txt`, out)
  await writeFile(file, `${header.join('\n')}\n\n${text}\n`)
  return fileURLToPath(file)
}

/** What a benchmark prints, kept for its results file. */
export interface Transcript {
  /** Every line said and every table shown, in order. */
  printed: string[]
  /** Prints a line and keeps it. */
  say(text?: string): void
  /** Prints a table (lib.ts `table`) and keeps it. */
  show(header: string[], rows: Array<Array<string | number>>): void
}

export function transcript(): Transcript {
  const printed: string[] = []
  return {
    printed,
    say: (text = '') => {
      console.log(text)
      printed.push(text)
    },
    show: (header, rows) => {
      printed.push(table(header, rows))
    },
  }
}

/**
 * The main block of a benchmark that keeps a transcript: runs it, writes the transcript (with
 * the failure, if it failed) to bench/results/<name>-<time>.txt, says where, and rethrows.
 */
export async function runAndWrite(
  name: string,
  run: () => Promise<unknown>,
  { printed }: Pick<Transcript, 'printed'>,
  runtime = 'local Ceph RGW (memstore)',
): Promise<void> {
  const host = machine(runtime)
  const started = Date.now()
  let failure: unknown
  try {
    await run()
  } catch (e) {
    failure = e
    printed.push(`\nFAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
  }
  const file = await writeResults(name, [host, elapsed(started)], printed.join('\n'))
  console.log(`\nwritten to ${file}`)
  if (failure) throw failure
}
