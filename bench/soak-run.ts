/**
 * The randomized fault soak, shared by `npm run soak` (bench/soak.ts) and
 * __tests__/soak.int.test.ts. Each run seeds a fresh bucket, runs the bundled CLI
 * (dist/cli/index.js) once through fault proxies with a seeded schedule (random faults, SIGKILL,
 * faults that exhaust the SDK's retries on a key or in a phase, an outage during the put-back),
 * then twice more without faults, and checks the invariants against the real server (never
 * through the proxies):
 *  1. no version or delete marker is lost;
 *  2. exit 0 ⇒ every selected key is at the target (the content current at T, or absent);
 *  3. non-zero exit ⇒ every selected key's current content is what it was before the run;
 *  4. a clean re-run exits 0 and leaves every key at the target;
 *  5. a second clean re-run writes nothing (no write request, manifest: 0 changed);
 *  6. no multipart upload is left open.
 * Besides: keys outside the selection are never changed (scope), and the harness itself (a hang,
 * a usage error, an exception) is reported as a violation too.
 *
 * The parts: soak-types.ts (the vocabulary), soak-scenario.ts (each run's keys and data),
 * soak-faults.ts (its fault schedule and proxies), soak-cli.ts (one CLI invocation),
 * soak-checks.ts (the server's state the invariants compare), soak-report.ts (the figures).
 * Nothing from src/ is imported (its paths change); the S3 client comes from bench/lib.ts.
 */

import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { client, newBucket, parallel, removeBucket, sleep } from './lib.js'
import {
  entryId,
  Fingerprints,
  list,
  lostEntries,
  mismatches,
  openUploads,
  type Snapshot,
} from './soak-checks.js'
import {
  admittedKeys,
  changedInManifest,
  engineSaid,
  runCli,
  tail,
  type CliRun,
} from './soak-cli.js'
import {
  describeSchedule,
  faultsOf,
  isWrite,
  outageFaults,
  schedule,
  SCHEDULE_WEIGHTS,
  startProxies,
  victimFaults,
  writeCount,
  type Proxies,
  type RunState,
  type Schedule,
} from './soak-faults.js'
import { runLine } from './soak-report.js'
import { layout, needsWrite, Rng, runSeed, seedBucket, type KeyPlan } from './soak-scenario.js'
import {
  PREFIX,
  type Invariant,
  type Phase,
  type RunResult,
  type SoakOptions,
  type SoakReport,
} from './soak-types.js'

/**
 * Options of the runs with big objects. No low threshold: a source uploaded in parts is copied
 * in parts with its own layout; a single-part one with one CopyObject (a single-part source
 * forced into parts could not be proven unchanged by a later run: see docs/semantics.md).
 */
const MULTIPART_FLAGS: string[] = []

interface RunContext {
  options: SoakOptions
  s3: S3Client
  proxies: Proxies
  runnerTemp: string
}

async function oneRun(ctx: RunContext, run: number): Promise<RunResult> {
  const { options, s3, proxies } = ctx
  const started = Date.now()
  const seed = runSeed(options.seed, run)
  const rng = new Rng(seed)
  const choice = options.choose?.(run) ?? {}
  const mode = choice.mode ?? options.modes[(run - 1) % options.modes.length]
  const multipart = choice.multipart ?? rng.chance(0.25)
  const plans = layout(rng, mode, multipart, choice.keys)
  const selected = plans.filter((p) => p.selected)
  const outside = plans.filter((p) => !p.selected)
  const sched = schedule(rng, choice.kind ?? rng.weighted(SCHEDULE_WEIGHTS), plans, seed)
  const kind = sched.kind
  const concurrency = rng.pick([2, 4, 8, 16])
  // A share of the runs meets AWS's semantics: opaque KMS ETags, conditions honoured.
  const aws = choice.aws ?? rng.chance(0.3)
  // A share restores another bucket's state into this one (drawn last: earlier seeds replay).
  const staged = choice.staged ?? rng.chance(0.25)
  const described = `${describeSchedule(sched)}; concurrency ${concurrency}${multipart ? '; multipart 5MiB' : ''}${aws ? '; AWS layer (KMS, conditions)' : ''}${staged ? '; staged (--destination)' : ''}`
  const result: RunResult = {
    run,
    seed,
    mode,
    kind,
    schedule: described,
    multipart,
    aws,
    staged,
    concurrency,
    keys: selected.length,
    toWrite: selected.filter(needsWrite).length,
    exit: null,
    killed: false,
    cancelled: false,
    added: 0,
    faults: { resetBefore: 0, resetAfter: 0, slowDown: 0, stall: 0 },
    writes: { faulty: 0, rerun: 0, second: 0 },
    ops: {},
    seconds: 0,
    timing: { seed: 0, faulty: 0, rerun: 0, second: 0, checks: 0 },
    violations: [],
  }
  const violate = (invariant: Invariant, detail: string): void => {
    result.violations.push({ run, seed, mode, schedule: described, invariant, detail })
  }
  const quiet = (): void => {
    for (const proxy of [proxies.outer, proxies.middle, proxies.inner]) proxy.setFaults({})
  }

  // `bucket` is written and checked; a staged run reads `source`, seeded the same, instead.
  const bucket = await newBucket(s3, 'soak')
  const source = staged ? await newBucket(s3, 'soak-src') : undefined
  try {
    const seeding = Date.now()
    const at = await seedBucket(s3, source ? [bucket, source] : bucket, plans)
    result.timing.seed = (Date.now() - seeding) / 1000
    const prints = new Fingerprints(s3, bucket)
    const sourcePrints = source ? new Fingerprints(s3, source) : undefined
    const sourceBefore = await sourcePrints?.snapshot()
    // The destination keeps the keys' names: the prefix under --prefix, the top for listed keys.
    const into = source
      ? ['--destination', `s3://${bucket}/${mode === 'prefix' ? PREFIX : ''}`]
      : []
    const args = [
      'restore',
      '--bucket',
      source ?? bucket,
      ...into,
      '--to-time',
      at,
      '--if-missing',
      'delete',
      '--endpoint-url',
      proxies.outer.url,
      '--force-path-style',
      '--concurrency',
      String(concurrency),
      '--json',
      ...(multipart ? MULTIPART_FLAGS : []),
      ...(mode === 'prefix' ? ['--prefix', PREFIX] : selected.flatMap((p) => ['--key', p.key])),
    ]
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? '',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? '',
      RUNNER_TEMP: ctx.runnerTemp,
    }
    const target = (p: KeyPlan): string | null => p.target
    const checkScope = (before: Snapshot, after: Snapshot, phase: string): void => {
      const wrong = mismatches(outside, after, (p) => before.current.get(p.key) ?? null)
      if (wrong.length > 0)
        violate('scope', `${phase}: keys outside the selection changed ${list(wrong)}`)
    }
    const checkLost = (before: Snapshot, after: Snapshot, phase: string): void => {
      const lost = lostEntries(before, after)
      if (lost.length > 0) violate('lost', `${phase}: ${list(lost)}`)
    }
    /** Reports a hang or a usage error; true when the run says nothing about the engine. */
    const harness = (cli: CliRun, phase: string): boolean => {
      if (cli.timedOut) {
        violate('harness', `${phase}: no exit after ${options.timeoutMs ?? 180_000} ms (killed)`)
      } else if (cli.code === 2) {
        violate('harness', `${phase}: usage error: ${tail(cli.stderr)}`)
      }
      return cli.timedOut || cli.code === 2
    }

    /** Runs the CLI, takes the stats, turns faults off, and snapshots the bucket. */
    const invoke = async (
      phase: Phase,
      stop?: Pick<Schedule, 'kill' | 'cancel'>,
    ): Promise<{ cli: CliRun; ops: Record<string, number>; after: Snapshot }> => {
      const t0 = Date.now()
      const cli = await runCli(options, args, env, proxies.outer, stop)
      result.timing[phase] = (Date.now() - t0) / 1000
      const ops = { ...proxies.outer.stats.byOperation }
      if (phase === 'faulty') result.faults = faultsOf(proxies)
      result.writes[phase] = writeCount(ops)
      for (const [op, n] of Object.entries(ops)) result.ops[op] = (result.ops[op] ?? 0) + n
      quiet()
      if (options.logDir) {
        const name = join(options.logDir, `run-${run}-${phase}.log`)
        const head = `${described}\nexit ${cli.code}${cli.killed ? ' (killed)' : ''}\n`
        await writeFile(name, `${head}\n== stdout\n${cli.stdout}\n== stderr\n${cli.stderr}`)
      }
      if (cli.killed) await sleep(1000) // requests the server had already received finish
      const t1 = Date.now()
      const after = await prints.snapshot()
      result.timing.checks += (Date.now() - t1) / 1000
      return { cli, ops, after }
    }

    // The faulty run.
    const listed = Date.now()
    const before = await prints.snapshot()
    result.timing.checks += (Date.now() - listed) / 1000
    const state: RunState = {}
    proxies.aws.configure(aws ? { kms: true, conditions: true } : {})
    proxies.inner.setFaults(sched.background)
    proxies.middle.setFaults(outageFaults(sched, state))
    proxies.outer.setFaults(victimFaults(sched, bucket, state))
    const { cli: faulty, after: afterFaulty } = await invoke('faulty', sched)
    result.exit = faulty.code
    result.killed = faulty.killed
    result.cancelled = faulty.cancelled
    if (faulty.cancelled && !faulty.killed && faulty.code !== 0 && faulty.code !== 130) {
      // A cancelled run exits 130 unless a fault had failed it first (then 1 or 3). A signal
      // that arrives while Node is still loading the bundle ends the process before any code
      // of ours runs: acceptable only when nothing was written.
      const early = faulty.code === null && result.added === 0
      if (!early && faulty.code !== 1 && faulty.code !== 3) {
        violate('put-back', `cancelled run exit ${faulty.code}; ${engineSaid(faulty.stderr, [])}`)
      }
    }
    result.added = afterFaulty.entries.length - before.entries.length
    checkLost(before, afterFaulty, 'faulty run')
    checkScope(before, afterFaulty, 'faulty run')
    if (!harness(faulty, 'faulty run') && !faulty.killed) {
      if (faulty.code === 0) {
        const wrong = mismatches(selected, afterFaulty, target)
        if (wrong.length > 0) violate('target', `exit 0 but not at the target ${list(wrong)}`)
      } else {
        const wrong = mismatches(selected, afterFaulty, (p) => before.current.get(p.key) ?? null)
        // A put-back cut short (a cancel's second signal or deadline) reports such keys as
        // NOT put back: that is what the promise allows. So does a key whose every write is
        // reset before it reaches the store, once an earlier attempt of the run's own write had
        // landed (the victim chosen at a retry): its put-back cannot be written either. A key
        // not as before and not so reported is a violation.
        const reported = admittedKeys(faulty.stderr)
        const admitted = faulty.cancelled
          ? reported
          : new Set([...reported].filter((k) => state.unwritable?.has(k) === true))
        const unreported = wrong.filter((m) => !admitted.has(m.key))
        if (unreported.length > 0) {
          violate(
            'put-back',
            `exit ${faulty.code}; keys not as before the run ${list(unreported)}; ` +
              engineSaid(faulty.stderr, unreported),
          )
        }
      }
    }

    // A clean re-run converges.
    const { cli: rerun, after: afterRerun } = await invoke('rerun')
    checkLost(afterFaulty, afterRerun, 're-run')
    checkScope(afterFaulty, afterRerun, 're-run')
    if (!harness(rerun, 're-run')) {
      const wrong = mismatches(selected, afterRerun, target)
      if (rerun.code !== 0) {
        violate('converge', `clean re-run exit ${rerun.code}; ${engineSaid(rerun.stderr, [])}`)
      } else if (wrong.length > 0) {
        violate('converge', `clean re-run exit 0, not at the target ${list(wrong)}`)
      }
    }

    // A second clean re-run writes nothing.
    const { cli: second, ops, after: afterSecond } = await invoke('second')
    checkLost(afterRerun, afterSecond, 'second re-run')
    checkScope(afterRerun, afterSecond, 'second re-run')
    if (!harness(second, 'second re-run')) {
      if (second.code !== 0) {
        violate(
          'idempotent',
          `second clean re-run exit ${second.code}; ${engineSaid(second.stderr, [])}`,
        )
      } else {
        const writes = Object.entries(ops)
          .filter(([op]) => isWrite(op))
          .map(([op, n]) => `${op} ${n}`)
        let changed: number | string
        try {
          changed = changedInManifest(second.stdout)
        } catch (e) {
          changed = `unreadable manifest (${(e as Error).message})`
        }
        if (writes.length > 0 || changed !== 0) {
          const fresh = afterSecond.entries.filter((e) => !afterRerun.ids.has(entryId(e)))
          const keys = [...new Set(fresh.map((e) => JSON.stringify(e.key)))]
          violate(
            'idempotent',
            `second clean re-run wrote: ${writes.join(', ') || 'no request'}; manifest changed ` +
              `${changed}; ${fresh.length} new entries${keys.length ? ` on ${list(keys, 4)}` : ''}`,
          )
        }
        const wrong = mismatches(selected, afterSecond, target)
        if (wrong.length > 0) {
          violate('converge', `second clean re-run not at the target ${list(wrong)}`)
        }
      }
    }

    // A staged run only reads its source: not one entry more or less, over all three runs.
    if (sourcePrints && sourceBefore) {
      const sourceAfter = await sourcePrints.snapshot()
      const lost = lostEntries(sourceBefore, sourceAfter)
      const gained = sourceAfter.entries.length - sourceBefore.entries.length + lost.length
      if (lost.length > 0 || gained !== 0) {
        violate('scope', `the source changed: ${gained} entries added, ${lost.length} lost`)
      }
    }

    // No multipart upload left open.
    const uploads = await openUploads(s3, bucket)
    if (uploads.length > 0) {
      // A killed process cannot abort what it opened: AbortIncompleteMultipartUpload does.
      if (faulty.killed) result.leftOpenByKill = uploads.length
      else
        violate(
          'uploads',
          `open multipart uploads: ${list(uploads.map(([k]) => JSON.stringify(k)))}`,
        )
      await parallel(
        uploads.map(
          ([Key, UploadId]) =>
            () =>
              s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId })),
        ),
        8,
      )
    }
  } catch (e) {
    quiet()
    violate('harness', `exception: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
  } finally {
    for (const b of source ? [bucket, source] : [bucket]) {
      await removeBucket(s3, b).catch((e: unknown) => {
        violate('harness', `removing ${b}: ${e instanceof Error ? e.message : String(e)}`)
      })
    }
  }
  result.seconds = (Date.now() - started) / 1000
  return result
}

/** Runs the soak: `parallel` workers, each with its own proxies, take the runs in turn. */
export async function soak(options: SoakOptions): Promise<SoakReport> {
  const started = Date.now()
  const s3 = client()
  const runnerTemp = await mkdtemp(join(tmpdir(), 's3-rollback-soak-'))
  const todo = Array.from({ length: options.runs }, (_, i) => i + 1).filter(
    (run) => !options.only || options.only.includes(run),
  )
  const runs: RunResult[] = []
  const worker = async (): Promise<void> => {
    const proxies = await startProxies()
    try {
      for (let run = todo.shift(); run !== undefined; run = todo.shift()) {
        const result = await oneRun({ options, s3, proxies, runnerTemp }, run)
        runs.push(result)
        options.log?.(runLine(result))
      }
    } finally {
      await Promise.all([
        proxies.outer.close(),
        proxies.middle.close(),
        proxies.inner.close(),
        proxies.aws.close(),
      ])
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.parallel ?? 1) }, worker))
  } finally {
    await rm(runnerTemp, { recursive: true, force: true })
    s3.destroy()
  }
  runs.sort((a, b) => a.run - b.run)
  return {
    runs,
    violations: runs.flatMap((r) => r.violations),
    seconds: (Date.now() - started) / 1000,
  }
}
