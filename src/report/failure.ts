/**
 * How a run that did not finish reads in the job summary: refused before its first write (a key
 * that cannot be rolled back, a stale plan, a bad input, a failed read), failed while writing and
 * put back, or cancelled. A headline that says what happened to the data first, then the keys
 * concerned, then the message with what to do. Pure.
 */
import { CancelledError, wasCancelled } from '../lib/cancel.js'
import { InputError, StepError, errorMessage } from '../lib/errors.js'
import { PlanError, RestoreError, StalePlanError } from '../engine/index.js'
import type { CancelReport } from './cancel.js'
import { code, count, details, escape, headline, paragraph, preformatted, table } from './markup.js'

/** A run that ended in an error: the error, its message (with what to do), and the bucket. */
export interface Failure {
  thrown: unknown
  message: string
  /** The bucket, when the inputs named one. */
  bucket?: string
  cancelled?: CancelReport
}

/** The headline and body of a failed run's summary (HTML blocks, in order). */
export function failureBlocks(f: Failure): string[] {
  const { thrown: e, message } = f
  const where = f.bucket ? ` of ${code(`s3://${f.bucket}`)}` : ''
  if (f.cancelled || wasCancelled(e)) return cancelBlocks(f)
  if (e instanceof StalePlanError) {
    return [
      headline(`Refused, nothing was written: the approved plan is stale`),
      paragraph(
        `${count(e.count, 'key')}${where} changed since the dry run that made the plan ` +
          `${code(e.file)}. Make a new plan (a dry run) and have it approved again.`,
      ),
      table(['Key', 'What changed'], keyRows(e.moved)),
      ...(e.count > e.moved.length ? [paragraph(`and ${e.count - e.moved.length} more`)] : []),
      details('The full message', preformatted(message)),
    ]
  }
  if (e instanceof PlanError) {
    return [
      headline(
        `Refused, nothing was written: ${count(e.problems.length, 'key')}${where} cannot be rolled back as asked`,
      ),
      table(['Key', 'Why'], keyRows(e.problems)),
      details('The full message', preformatted(message)),
    ]
  }
  if (e instanceof RestoreError) return putBackBlocks(e, message, where)
  if (e instanceof InputError) {
    return [
      headline(`Not started, nothing was written: input ${code(e.input)} is not valid`),
      preformatted(message),
    ]
  }
  if (e instanceof StepError) {
    return [
      headline(`Failed before writing, nothing was written: ${escape(e.phase)} ${code(e.subject)}`),
      preformatted(message),
    ]
  }
  return [headline(`Failed${where}`), preformatted(message)]
}

/** Final states are listed open up to this many keys, and collapsed beyond. */
const OPEN_STATES = 20

/** A write failed: every key the run changed was put back (or, loudly, was not). */
function putBackBlocks(e: RestoreError, message: string, where: string): string[] {
  const states = table(
    ['Key', 'Final state'],
    // '(every other key)' stands for the keys the run did not reach: words, not a key
    e.finalStates.map((s) => [
      s.key.startsWith('(') ? escape(s.key) : code(s.key),
      escape(s.state),
    ]),
  )
  const all = e.statesFile ? paragraph(`Every key's final state: ${code(e.statesFile)}`) : ''
  const title =
    e.notPutBack > 0
      ? `Failed: ${count(e.notPutBack, 'key')}${where} could NOT be put back and hold what this run wrote`
      : `Failed and put back: every key${where} is as it was before the run`
  const back =
    e.notPutBack > 0
      ? `The keys below that say <strong>NOT put back</strong> hold what this run wrote; the others are as they were before the run.`
      : `The ${count(e.putBack, 'key')} this run had changed ${e.putBack === 1 ? 'was' : 'were'} put back (each put-back is a new version with the old content).`
  const fix = toFix(message)
  return [
    headline(title),
    paragraph(`Writing ${code(e.failedKey)} failed: ${escape(errorMessage(e.cause))}. ${back}`),
    ...(fix ? [paragraph(`<strong>To fix:</strong> ${escape(fix)}`)] : []),
    e.finalStates.length <= OPEN_STATES
      ? [states, all].join('\n\n')
      : details(
          `The final state of each key (${e.finalStates.length})`,
          [states, all].join('\n\n'),
        ),
    details('The full message', preformatted(message)),
  ]
}

/** The `To fix:` line of a message, when it has one. */
function toFix(message: string): string | undefined {
  return /^To fix: (.*)$/m.exec(message)?.[1]
}

function cancelBlocks(f: Failure): string[] {
  const signal =
    f.cancelled?.signal ?? (f.thrown instanceof CancelledError ? f.thrown.signal : 'a signal')
  const report = f.cancelled ?? { signal, wrote: false, putBack: 0, notPutBack: 0 }
  const title = !report.wrote
    ? `Cancelled by ${escape(signal)} before the first write: nothing was written`
    : report.notPutBack > 0
      ? `Cancelled by ${escape(signal)}: ${count(report.notPutBack, 'key')} could NOT be put back`
      : `Cancelled by ${escape(signal)}, and put back: ${count(report.putBack, 'key')} put back to their state before the run`
  const said = !report.wrote
    ? 'The run stopped before writing any key.'
    : report.notPutBack > 0
      ? 'The put-back was cut short: the keys NOT put back hold what this run wrote' +
        (report.statesFile ? `; every key's state is in ${code(report.statesFile)}.` : '.')
      : 'After the signal the run started no new write, let the writes in flight finish and put back every key it had changed: every key is as it was before the run.'
  return [headline(title), paragraph(said), details('The full message', preformatted(f.message))]
}

function keyRows(problems: readonly { key: string; problem: string }[]): string[][] {
  return problems.map((p) => [code(p.key), escape(p.problem)])
}
