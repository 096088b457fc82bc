/**
 * Which writer takes each key of a plan under `engine: batch-operations`, and the jobs'
 * manifests: one CSV per storage class, written to a file as the plan is read.
 */
import { once } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'
import { join } from 'node:path'
import type { Store } from '../../lib/store.js'
import type { JobState } from '../../s3/control.js'
import type { CopySettings } from '../../settings/types.js'
import { ARCHIVE_CLASSES, type PlanItem } from '../plan/decide.js'
import { isMultipartETag } from '../write/parts.js'
import type { WritersSummary } from '../plan/manifest.js'
import type { TaskRow } from './report.js'

/** Batch Operations copies objects up to this size (CopyObject's limit). */
export const JOB_COPY_LIMIT = 5 * 1024 ** 3

/**
 * Pure: who writes a planned item. A job makes single CopyObjects, up to 5 GB; whatever needs a
 * multipart copy (above `multipart-threshold`, at most 5 GiB) stays here.
 */
export function writerOf(item: PlanItem, copy: CopySettings): 'job' | 'runner' {
  const wanted = item.wanted
  if (item.action !== 'restore' || !wanted) return 'runner' // delete markers: not a copy
  // A job copies each version onto its own key (its TargetKeyPrefix prepends to the whole key,
  // aws/aws-sdk#355): a destination that renames keys is written here.
  if (wanted.key !== item.key) return 'runner'
  const limit = Math.min(JOB_COPY_LIMIT, copy.multipartThreshold)
  if ((wanted.size ?? 0) > limit) return 'runner' // the job's copies stop at 5 GB
  if (isMultipartETag(wanted.eTag)) return 'runner' // only the runner keeps the part layout
  if (ARCHIVE_CLASSES.has(wanted.storageClass ?? '')) return 'runner' // a restored copy: runner
  if (item.source?.sseCustomerAlgorithm) return 'runner' // SSE-C: not in Batch Operations
  return 'job'
}

/** One copy job: its storage class, its keys, and what became of it. */
export interface JobRun {
  id: string
  storageClass: string
  keys: number
  state?: JobState
  failedTasks: TaskRow[]
}

/** Which writer took how many keys (the job summary says it). */
export interface Writers {
  jobs: JobRun[]
  runner: number
}

/** The plan's items for one writer, read again from the plan store. */
export async function* filtered(
  plan: Store<PlanItem>,
  copy: CopySettings,
  writer: 'job' | 'runner',
): AsyncGenerator<PlanItem> {
  for await (const item of plan.read()) if (writerOf(item, copy) === writer) yield item
}

/**
 * The CSV manifests, one file per storage class in `dir`: `bucket,URL-encoded key,versionId`
 * rows of the versions to copy (from the source bucket of a destination run), written as the plan
 * is read (memory: one row at a time). `bucket` is the bucket written.
 */
export async function manifests(
  plan: Store<PlanItem>,
  bucket: string,
  copy: CopySettings,
  dir: string,
): Promise<{ byClass: Map<string, { file: string; keys: number }>; runner: number }> {
  const byClass = new Map<string, { file: string; keys: number; out: WriteStream }>()
  let runner = 0
  for await (const item of plan.read()) {
    if (writerOf(item, copy) === 'runner') {
      runner++
      continue
    }
    const wanted = item.wanted
    if (!wanted) continue
    const storageClass = wanted.storageClass ?? 'STANDARD'
    let group = byClass.get(storageClass)
    if (!group) {
      const file = join(dir, `manifest-${storageClass}.csv`)
      group = { file, keys: 0, out: createWriteStream(file) }
      byClass.set(storageClass, group)
    }
    const row = `${item.from ?? bucket},${encodeURIComponent(wanted.key)},${wanted.versionId}\n`
    if (!group.out.write(row)) await once(group.out, 'drain')
    group.keys++
  }
  for (const { out } of byClass.values()) {
    out.end()
    await once(out, 'close')
  }
  return {
    byClass: new Map([...byClass].map(([k, g]) => [k, { file: g.file, keys: g.keys }])),
    runner,
  }
}

/** A dry run's (and a run's first) split: per storage class, the keys a job would copy. */
export async function splitOf(plan: Store<PlanItem>, copy: CopySettings): Promise<Writers> {
  const counts = new Map<string, number>()
  let runner = 0
  for await (const item of plan.read()) {
    if (writerOf(item, copy) === 'runner') runner++
    else {
      const storageClass = item.wanted?.storageClass ?? 'STANDARD'
      counts.set(storageClass, (counts.get(storageClass) ?? 0) + 1)
    }
  }
  const jobs = [...counts].map(([storageClass, keys]) => ({
    id: '',
    storageClass,
    keys,
    failedTasks: [],
  }))
  return { jobs, runner }
}

/** The manifest's account of who wrote what. */
export function describeWriters(w: Writers): WritersSummary {
  return {
    runner: w.runner,
    jobs: w.jobs.map((j) => ({
      ...(j.id ? { id: j.id } : {}),
      storageClass: j.storageClass,
      keys: j.keys,
      ...(j.state
        ? { status: j.state.status, succeeded: j.state.succeeded, failed: j.state.failed }
        : {}),
    })),
  }
}
