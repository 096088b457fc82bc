#!/usr/bin/env node
/**
 * The command line: `s3-rollback restore|verify [flags]`, on the same modules as the action
 * (parseSettings, rollback, verify). Results go to stdout (a table, or JSON with --json); progress
 * goes to stderr.
 */
import { flagFor, parseCli, UsageError } from './args.js'
import {
  BucketError,
  InputError,
  PlanError,
  RaceError,
  RestoreError,
  VerifyError,
  errorMessage,
} from '../lib/errors.js'
import { parseSettings, type Settings } from '../settings/index.js'
import type { Logger } from '../lib/log.js'
import { rollback } from '../engine/rollback.js'
import { createS3Client } from '../s3/client.js'
import { HEADER, summaryRows, summaryTitle } from '../report/rollback.js'
import { formatTable } from './table.js'
import { verificationFailed, verify } from '../verify/index.js'
import { KEY_HEADER, bucketRows, keyRows, verdict } from '../report/verify.js'

/** Exit codes (documented in --help and the README). */
const EXIT = {
  /** The rollback was done (or planned, with --dry-run); or verification passed. */
  ok: 0,
  /** The rollback could not be done (nothing or everything was changed; see the message), or
   * verification found that a rollback would not work. */
  failed: 1,
  /** Bad command line or flag value; nothing was read or written. */
  usage: 2,
  /** Anything else: credentials, network, permissions, an unexpected error. */
  error: 3,
} as const

const HELP = `s3-rollback: roll objects in a versioned S3 bucket back to a point in time by
server-side copy (keeping every version), or verify that such a rollback would work.

Usage:
  s3-rollback restore --bucket B (--key K ... | --keys K1,K2) (--to-time T | --version-id K=V ...)
  s3-rollback verify  --bucket B (--key K ... | --keys K1,K2) [--min-window 7d] [--to-time T] [--drill]

Flags (each action input is a flag of the same name):
  --bucket NAME              the versioned bucket
  --key KEY                  an exact object key; repeat for more keys
  --keys K1,K2               keys separated by commas or newlines (use --key for keys with commas)
  --to-time TIME             ISO-8601 with a zone, e.g. 2021-12-13T15:00:00Z
  --version-id KEY=ID        an explicit version per key (KEY= means "should not exist"); repeat
  --version-ids TEXT         key=versionId lines, e.g. the undo-version-ids of an earlier run
  --if-missing fail|delete|skip  a key without a version at the target (default fail)
  --dry-run                  restore: print the plan, write nothing
  --min-window DURATION      verify: window that must be guaranteed, e.g. 7d, 36h (default 7d)
  --drill                    verify: copy each target version into --drill-prefix, check, remove
  --drill-prefix PREFIX      verify: scratch prefix ending in / (default .s3-rollback-drill/<time>/)
  --region REGION            AWS region (default: AWS_REGION, the profile's region)
  --profile NAME             AWS profile (sets AWS_PROFILE; credentials use the default chain)
  --endpoint-url URL         an S3-compatible endpoint; --force-path-style for most of them
  --expected-bucket-owner ID, --multipart-threshold SIZE, --part-size SIZE: as the action inputs
  --json                     print the manifest (restore) or report (verify) as JSON
  --verbose                  debug output on stderr
  -h, --help                 this help

Examples:
  s3-rollback restore --bucket justice40-data --key data-sources/census.zip \\
    --key data-pipeline/data/score/csv/tiles/usa.csv --to-time 2021-12-13T15:00:00Z --dry-run
  s3-rollback restore --bucket justice40-data --version-ids "$(cat undo.txt)" --if-missing delete
  s3-rollback verify --profile prod --bucket justice40-data --keys data-sources/census.zip \\
    --min-window 14d --drill --json > report.json

Output: a table on stdout (--json: JSON); progress and errors on stderr.
Exit codes: 0 done / verified; 1 the rollback failed, or verification found it would not work;
2 bad usage or flag value (nothing done); 3 other errors (credentials, network, permissions).
`

function stderrLogger(verbose: boolean): Logger {
  const write = (line: string): void => void process.stderr.write(`${line}\n`)
  return {
    info: write,
    warning: (m) => write(`warning: ${m}`),
    debug: (m) => (verbose ? write(`debug: ${m}`) : undefined),
    group: (name, fn) => {
      write(`== ${name}`)
      return fn()
    },
  }
}

/** Runs one command line; returns the exit code. */
async function main(argv: string[]): Promise<number> {
  let settings: Settings
  let options: ReturnType<typeof parseCli>
  try {
    options = parseCli(argv)
    if (options.command === 'help') {
      process.stdout.write(HELP)
      return EXIT.ok
    }
    settings = parseSettings(options.read)
  } catch (e) {
    const message =
      e instanceof InputError
        ? `${flagFor(e.input)} has an invalid value ${JSON.stringify(e.value)}: expected ${e.expected}.`
        : errorMessage(e)
    process.stderr.write(`s3-rollback: ${message}\nRun 's3-rollback --help' for usage.\n`)
    if (e instanceof UsageError || e instanceof InputError) return EXIT.usage
    throw e
  }
  if (options.profile) process.env.AWS_PROFILE = options.profile
  const log = stderrLogger(options.verbose)
  const s3 = createS3Client(settings.s3)
  const print = (text: string): void => void process.stdout.write(`${text}\n`)
  try {
    if (settings.mode === 'verify') {
      const report = await verify(s3, settings, log)
      if (options.json) print(JSON.stringify(report, null, 2))
      else {
        print(formatTable(['Bucket', ''], bucketRows(report)))
        print('')
        print(formatTable(KEY_HEADER, keyRows(report)))
        for (const problem of report.problems) print(`  - ${problem}`)
        print('')
        print(verdict(report))
      }
      return verificationFailed(report) ? EXIT.failed : EXIT.ok
    }
    const manifest = await rollback(s3, settings, log)
    if (options.json) print(JSON.stringify(manifest, null, 2))
    else print(`${summaryTitle(manifest)}\n\n${formatTable(HEADER, summaryRows(manifest.keys))}`)
    return EXIT.ok
  } catch (e) {
    process.stderr.write(`s3-rollback: ${errorMessage(e)}\n`)
    const failed = [BucketError, PlanError, RaceError, RestoreError, VerifyError]
    return failed.some((type) => e instanceof type) ? EXIT.failed : EXIT.error
  } finally {
    s3.destroy()
  }
}

process.exitCode = await main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(
    `s3-rollback: ${e instanceof Error ? (e.stack ?? e.message) : errorMessage(e)}\n`,
  )
  return EXIT.error
})
