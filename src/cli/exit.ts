/**
 * The CLI's exit codes: one table that the code, `--help` and the README share (a test compares
 * the README's table with this one, and runs each row).
 */
import { wasCancelled } from '../lib/cancel.js'
import { diagnose } from '../lib/errors.js'
import type { Kind } from '../lib/explain.js'

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  unexpected: 4,
  cancelled: 130,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** What each exit code means (help and README). */
export const EXIT_CODES: readonly { code: ExitCode; meaning: string }[] = [
  { code: EXIT.ok, meaning: 'Done: rolled back, planned (--dry-run), or verified.' },
  {
    code: EXIT.failed,
    meaning:
      'Refused or failed: a key or the bucket cannot be rolled back as asked (nothing was ' +
      'written), a write failed (what the run changed was put back), verification found that ' +
      'a rollback would not work, or the downstream workflow failed.',
  },
  {
    code: EXIT.usage,
    meaning: 'Bad command line or flag value: nothing was read or written.',
  },
  {
    code: EXIT.unreachable,
    meaning:
      'S3 could not be used: credentials, permissions, network or endpoint, or S3 kept ' +
      'failing; the message says what to check.',
  },
  {
    code: EXIT.unexpected,
    meaning: 'An unexpected error (a bug): please report it with the output of --verbose.',
  },
  {
    code: EXIT.cancelled,
    meaning:
      'Cancelled (Ctrl-C, SIGINT or SIGTERM): no new write was started and what the run had ' +
      'changed was put back; the final states say so for every key.',
  },
]

const BY_KIND: Record<Kind | 'usage', ExitCode> = {
  usage: EXIT.usage,
  refused: EXIT.failed,
  'no-bucket': EXIT.failed,
  credentials: EXIT.unreachable,
  denied: EXIT.unreachable,
  network: EXIT.unreachable,
  server: EXIT.unreachable,
  unexpected: EXIT.unexpected,
}

/** The exit code of a run that threw `e`. */
export function exitCodeOf(e: unknown): ExitCode {
  if (wasCancelled(e)) return EXIT.cancelled
  return BY_KIND[diagnose(e).kind]
}
