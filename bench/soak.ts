/**
 * The randomized fault soak: runs the bundled CLI (dist/cli/index.js, under Node 24) many times
 * against the local S3 through fault proxies and checks the invariants after every run (see
 * bench/soak-run.ts). Prints the figures, writes them to bench/results/soak-<time>.txt, and
 * exits non-zero on any violation.
 *
 *   npm run soak
 *   SOAK_RUNS=200 SOAK_SEED=42 SOAK_MODE=keys|prefix|both SOAK_ONLY=17,31 npm run soak
 *   SOAK_KIND=cancel gives every run that schedule (random, kill, cancel, key-down, ...).
 *   SOAK_AWS=1 sends every run through the AWS layer (KMS ETags, conditions), 0 none (default:
 *   30 % of the runs).
 *   SOAK_STAGED=1 makes every run restore another bucket's state into its bucket
 *   (--destination), 0 none (default: a quarter of the runs, drawn from the seed);
 *   SOAK_PARALLEL=1 runs one at a time (default 2, each run with its own proxies);
 *   SOAK_LOG_DIR=/tmp/soak-logs keeps each CLI invocation's stdout and stderr.
 *
 * Needs the local S3 (eval "$(scripts/local-s3.sh env)") and the bundle (npm run bundle).
 * ACTION_NODE names the Node 24 binary; else scripts/node24.sh finds one. SOAK_CLI runs another
 * bundle than dist/cli/index.js (e.g. a copy of a given commit's).
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { envInt } from './lib.js'
import { SCHEDULE_WEIGHTS } from './soak-faults.js'
import type { ScheduleKind } from './soak-types.js'
import { machine, writeResults } from './results-writer.js'
import { runLine, summarize } from './soak-report.js'
import { soak } from './soak-run.js'
import type { Mode } from './soak-types.js'

// This process's own SDK (seeding, checks) warns about Node 20 on every start: not news here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const root = new URL('../../', import.meta.url) // build/bench/ → the repository
const cli = process.env.SOAK_CLI || fileURLToPath(new URL('dist/cli/index.js', root))
if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run bundle\` first`)

const node =
  process.env.ACTION_NODE ||
  execFileSync(fileURLToPath(new URL('scripts/node24.sh', root)), { encoding: 'utf8' }).trim()

function modes(value: string): Mode[] {
  if (value === 'keys' || value === 'prefix') return [value]
  if (value === 'both') return ['keys', 'prefix']
  throw new Error(`SOAK_MODE must be keys, prefix or both, not ${JSON.stringify(value)}`)
}

const seedText = process.env.SOAK_SEED ?? ''
const seed = /^\d+$/.test(seedText) ? Number(seedText) : Math.floor(Math.random() * 2 ** 31)
const only = process.env.SOAK_ONLY?.split(',')
  .map((v) => Number(v.trim()))
  .filter((n) => Number.isInteger(n) && n > 0)
const kind = process.env.SOAK_KIND as ScheduleKind | undefined
if (kind !== undefined && !(kind in SCHEDULE_WEIGHTS)) {
  throw new Error(`SOAK_KIND must be one of ${Object.keys(SCHEDULE_WEIGHTS).join(', ')}`)
}
const options = {
  choose:
    kind || process.env.SOAK_AWS || process.env.SOAK_STAGED
      ? () => ({
          ...(kind ? { kind } : {}),
          ...(process.env.SOAK_AWS ? { aws: process.env.SOAK_AWS === '1' } : {}),
          ...(process.env.SOAK_STAGED ? { staged: process.env.SOAK_STAGED === '1' } : {}),
        })
      : undefined,
  runs: Math.max(envInt('SOAK_RUNS', 200), ...(only ?? [])),
  seed,
  modes: modes(process.env.SOAK_MODE ?? 'both'),
  only: only && only.length > 0 ? only : undefined,
  node,
  cli,
  parallel: envInt('SOAK_PARALLEL', 2),
  log: (line: string) => console.log(line),
  logDir: process.env.SOAK_LOG_DIR || undefined,
}
if (options.logDir) await mkdir(options.logDir, { recursive: true })

const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
const host = machine(`CLI under node ${nodeVersion}, local Ceph RGW`)
console.log(`machine: ${host}`)
console.log(`bundle: ${cli}`)
console.log(
  `SOAK_SEED=${seed} SOAK_RUNS=${options.runs} SOAK_MODE=${options.modes.join('+')} ` +
    `SOAK_PARALLEL=${options.parallel}\n`,
)

const report = await soak(options)
const text = summarize(report, options)
console.log(`\n${text}`)

const perRun = report.runs.map((r) => `${runLine(r)}\n    ${r.schedule}`).join('\n')
const file = await writeResults(
  'soak',
  [host, `bundle: ${cli}`, new Date().toISOString()],
  `${text}\n\nruns:\n${perRun}`,
)
console.log(`\nwritten to ${file}`)
process.exitCode = report.violations.length > 0 ? 1 : 0
