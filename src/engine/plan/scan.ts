/**
 * Pass 1: resolves every key of the source (nothing is written to S3) and spills what to do:
 * writes to the plan store, manifest rows of keys left as is to the outcome store. Memory holds
 * one listing page and the keys in flight, whatever the number of keys; a snapshot's versions
 * or a saved plan's lines come with each key (beside.ts), not from a map of every key.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { StepError } from '../../lib/errors.js'
import { PlanError, type KeyProblem } from '../errors.js'
import type { Logger } from '../../lib/log.js'
import { eachAdaptive } from '../../lib/pool.js'
import { onThrottle } from '../../s3/pressure.js'
import { Progress } from '../../lib/progress.js'
import type { Store } from '../../lib/store.js'
import type { KeyToPlan } from './beside.js'
import type { Action, PlanItem } from './decide.js'
import { plannedOutcome, type KeyOutcome } from './manifest.js'
import { resolveKey, type ResolveRequest } from './resolve.js'
import { describeEntry } from '../../history/select.js'

/** Problems kept in memory (and so in the error); the rest are only counted. */
export const PROBLEMS_KEPT = 100

/** What pass 1 found. Everything else went to the stores it was given. */
export interface ScanResult {
  /** Keys resolved (for a prefix: keys with any history). */
  keys: number
  /** Versions and delete markers listed (of the source, in a run into a destination). */
  versions: number
  /** Keys per planned action. */
  actions: Record<Action, number>
  /** The first PROBLEMS_KEPT keys that cannot be rolled back. */
  problems: KeyProblem[]
  problemCount: number
}

/** Where pass 1 spills. */
export interface ScanStores {
  /** One PlanItem per key to write (restore or delete). */
  plan: Store<PlanItem>
  /** One KeyOutcome per key left as is (unchanged or skipped). */
  outcomes: Store<KeyOutcome>
}

/** How pass 1 runs: where it spills, how many keys at once, and what it reports. */
export interface ScanOptions {
  stores: ScanStores
  /**
   * The most keys resolved at once (HeadObjects, where needed, overlap): the ceiling of windows
   * that follow the store's answers, as the writes' do.
   */
  concurrency: number
  log: Logger
  /** Log every key's decision (a list of keys); otherwise only progress (a prefix). */
  logEachKey?: boolean
  /** Sees every key that resolved, with what was read beside it (to record a plan, or check one). */
  observe?: (item: PlanItem, key: KeyToPlan) => Promise<void> | void
}

/** Resolves each key of `source`, at most `options.concurrency` at a time. */
export async function scan(
  s3: S3Client,
  request: ResolveRequest,
  source: AsyncIterable<KeyToPlan>,
  options: ScanOptions,
): Promise<ScanResult> {
  const { stores, concurrency, log, logEachKey = false, observe } = options
  const result: ScanResult = {
    keys: 0,
    versions: 0,
    actions: { restore: 0, delete: 0, unchanged: 0, skip: 0 },
    problems: [],
    problemCount: 0,
  }
  const progress = new Progress('Resolved', undefined, log)
  const line = (): string =>
    `${result.versions} versions listed, ${result.actions.restore + result.actions.delete} to write`
  const pool = {
    ceiling: concurrency,
    place: (next: KeyToPlan) => ({ bucket: request.bucket, key: next.key }),
    watch: (listener: Parameters<typeof onThrottle>[1]) => onThrottle(s3, listener),
  }
  await eachAdaptive(source, pool, async (next) => {
    const { key, entries } = next
    result.keys++
    result.versions += entries.length
    const own = next.target || next.copies ? { ...request, ...ownOf(next) } : request
    const resolved = await resolveKey(s3, own, next).catch((e: unknown) => {
      throw new StepError('planning', key, e)
    })
    if ('problem' in resolved) {
      result.problemCount++
      if (result.problems.length < PROBLEMS_KEPT) result.problems.push(resolved)
    } else {
      result.actions[resolved.action]++
      await observe?.(resolved, next)
      const line = `${key}: ${resolved.action} (current: ${describeEntry(resolved.current)}; target: ${describeEntry(resolved.wanted)})`
      if (logEachKey) log.info(line)
      else log.debug(line)
      if (resolved.action === 'restore' || resolved.action === 'delete') {
        await stores.plan.write(resolved)
      } else {
        await stores.outcomes.write(plannedOutcome(resolved))
      }
    }
    progress.add(1, line())
  })
  progress.finish(line())
  return result
}

/** What a key brought from beside the listing: its own target, its recorded copies. */
function ownOf(key: KeyToPlan): Partial<ResolveRequest> {
  return {
    ...(key.target ? { target: key.target } : {}),
    ...(key.copies ? { copies: key.copies } : {}),
  }
}

/** Nothing is written when any key cannot be rolled back, or when a prefix has no key. */
export function checkPlan(result: ScanResult, prefix: string | undefined): void {
  if (result.problemCount > 0) {
    const more = result.problemCount - result.problems.length
    const problems = [...result.problems]
    if (more > 0) problems.push({ key: `(${more} more keys)`, problem: 'not listed' })
    throw new PlanError(problems)
  }
  // Versions count the source's entries only: a prefix with none is a typo even when a
  // destination has keys (which would all be hidden otherwise).
  if (prefix !== undefined && result.versions === 0) {
    throw new PlanError([
      {
        key: prefix,
        problem: 'no key has any version under this prefix (prefixes are case-sensitive)',
      },
    ])
  }
}
