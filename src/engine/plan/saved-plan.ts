/**
 * Saved plans: a dry run records, per key, the entry it saw current, the action and the version
 * to restore, in a sealed file (lib/sealed). A run given that file (`plan-file`) plans again with
 * the plan's own target and keys, and writes only if every key is still exactly as the plan saw
 * it: a key that moved, appeared or disappeared makes the plan stale, and nothing is written.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { StalePlanError } from '../errors.js'
import { JsonLinesWriter, readJsonLines, runDirectory } from '../../lib/jsonl.js'
import { byteOrder } from '../../lib/order.js'
import { ExternalSort } from '../../lib/sort.js'
import {
  SealedFileError,
  SealedWriter,
  openSealed,
  type SealedContents,
  type SealedHeader,
} from '../../lib/sealed.js'
import type { VersionEntry } from '../../s3/listing.js'
import type {
  Destination,
  IfMissing,
  ResolvedTarget,
  SnapshotOrigin,
} from '../../settings/types.js'
import { checkPlanDestination, keyMap, type KeyMap } from '../../settings/destination.js'
import type { Action, PlanItem } from './decide.js'
import { isAbsent } from '../../history/select.js'
import { beside, keyTarget, type KeyToPlan } from './beside.js'

const FORMAT = { format: 's3-rollback-plan', version: 1 } as const

/** The first line of a plan file. */
export interface PlanHeader extends SealedHeader {
  bucket: string
  createdAt: string
  /** to-time, or explicit versions (then every line carries its key's version), or a snapshot. */
  target: { toTime: string } | { versionIds: true; snapshot?: SnapshotOrigin }
  /** A prefix run's prefix ('' = the whole bucket); absent for listed keys. */
  prefix?: string
  /** Where the plan restores to, when not in place: its lines name the destination's keys. */
  destination?: Destination
  ifMissing: IfMissing
}

/** One key of a plan. */
export interface PlanLine {
  /** The key written (in the destination, for a plan into one). */
  key: string
  action: Action
  /** What was current: a version, a delete marker, or nothing (null). */
  current: { versionId: string; deleteMarker?: true } | null
  /** The version to restore (restore, unchanged); null when the key is to be absent. */
  wanted: { versionId: string; size?: number; eTag?: string } | null
}

function lineOf(item: PlanItem): PlanLine {
  const entry = (e: VersionEntry): PlanLine['current'] =>
    e.isDeleteMarker ? { versionId: e.versionId, deleteMarker: true } : { versionId: e.versionId }
  const wanted = isAbsent(item.wanted) ? undefined : item.wanted
  return {
    key: item.key,
    action: item.action,
    current: item.current ? entry(item.current) : null,
    wanted: wanted ? { versionId: wanted.versionId, size: wanted.size, eTag: wanted.eTag } : null,
  }
}

/**
 * Whether a key that moved since the plan is now as the plan wants it (its planned write, or the
 * same state, was made since: the plan was applied): now unchanged, with the plan's target.
 */
function nowAsWanted(planned: string, now: string): boolean {
  const target = (s: string): string => s.slice(s.lastIndexOf(', target '))
  return (
    /^(restore|delete|unchanged):/.test(planned) &&
    now.startsWith('unchanged:') &&
    target(planned) === target(now)
  )
}

/** What must be the same for a key to be "as the plan saw it". */
function signature(line: PlanLine): string {
  const current = line.current
    ? `${line.current.deleteMarker ? 'marker ' : ''}${line.current.versionId}`
    : 'nothing'
  return `${line.action}: current ${current}, target ${line.wanted?.versionId ?? 'absent'}`
}

/**
 * A dry run's plan, written as the keys are resolved. They resolve concurrently, so their lines
 * come a little out of order: they are sorted by key (lib/sort.ts: spilled next to the plan a
 * chunk at a time) and sealed in S3's key order, so that applying the plan reads it beside the
 * listing, one key at a time.
 */
export class PlanRecorder {
  private constructor(
    private readonly path: string,
    private readonly header: PlanHeader,
    private readonly lines: ExternalSort<PlanLine>,
  ) {}

  static async create(
    dir: string,
    header: Omit<PlanHeader, keyof SealedHeader>,
  ): Promise<PlanRecorder> {
    const lines = new ExternalSort<PlanLine>(dir, 'plan-lines', (line) => line.key)
    return new PlanRecorder(join(dir, 'plan.s3rollback.jsonl'), { ...FORMAT, ...header }, lines)
  }

  record(item: PlanItem): Promise<void> {
    return this.lines.add(lineOf(item))
  }

  /** Drops the plan of a run that failed: its sorted lines are removed, and no file is sealed. */
  discard(): Promise<void> {
    return this.lines.remove()
  }

  /** Seals the file: its path and its digest (the first 12 hex digits of its SHA-256). */
  async close(): Promise<{ file: string; digest: string }> {
    const writer = await SealedWriter.create<PlanLine>(this.path, this.header)
    try {
      for await (const line of this.lines.sorted()) await writer.write(line)
    } finally {
      await this.lines.remove()
    }
    const sha256 = await writer.close()
    return { file: this.path, digest: sha256.slice(0, 12) }
  }
}

/** The header of a plan file, the target it implies, and a check of each resolved key. */
export interface LoadedPlan {
  header: PlanHeader
  /** The first 12 hex digits of the file's SHA-256, as the dry run reported it. */
  digest: string
  /** For a versions plan of a prefix, each key's version comes beside the listing (`beside`). */
  target: ResolvedTarget
  /** The listed keys of a keys plan, in key order. */
  keys: string[]
  /** Every line of the plan, in key order (as often as needed). */
  lines(): AsyncIterable<PlanLine>
  /**
   * The listing's keys, each with the plan's line of it (and, for a versions plan, its version);
   * a key only in the plan is reported as not listed now.
   */
  beside(source: AsyncIterable<KeyToPlan>): AsyncIterable<KeyToPlan>
  /** Compares a freshly resolved key with what the plan expected of it (`KeyToPlan.planned`). */
  check(item: PlanItem, planned: string | undefined): void
  /** Throws StalePlanError when any key moved, appeared or is missing. */
  finish(): void
  /**
   * Keys the plan would write that are already as it wants them (an earlier apply wrote them):
   * not a change that makes the plan stale, and not written again.
   */
  applied(): number
  /** Removes the local copy of an old, unsorted plan file. */
  dispose(): Promise<void>
}

/** Keys named in a stale-plan error (the count is always given). */
const MOVED_KEPT = 100

/**
 * Reads and checks a plan file: its format, its seal, its bucket, its destination and its key
 * order, reading it through once (memory: one line; a keys plan also holds its keys). Applying it
 * reads it again, beside the listing; the seal is checked again then, and must be the same. A
 * plan file written before plans were sorted is sorted into a local copy first. A plan made for
 * a destination is applied only with that destination, and one made in place only in place.
 */
export async function loadPlan(
  file: string,
  bucket: string,
  destination?: Destination,
): Promise<LoadedPlan> {
  const describe = `plan file ${file}`
  const open = async (): Promise<SealedContents<PlanHeader, PlanLine>> => {
    const contents = await openSealed<PlanHeader, PlanLine>(file, { ...FORMAT, describe })
    if (contents.header.bucket !== bucket) {
      throw new SealedFileError(
        `plan file ${file} is a plan for bucket ${contents.header.bucket}, not ${bucket}`,
      )
    }
    return contents
  }
  const first = await open()
  const { header } = first
  checkPlanDestination(`plan file ${file}`, header.destination, destination)
  const map = keyMap(bucket, header.prefix, header.destination)
  const keys: string[] = []
  /** A keys plan's versions (listed keys are held anyway; the manifest names them). */
  const versions = new Map<string, string | null>()
  const listed = header.prefix === undefined
  let inOrder = true
  let previous: Buffer | undefined
  for await (const line of first.values) {
    const bytes = Buffer.from(line.key, 'utf8')
    if (previous && Buffer.compare(previous, bytes) >= 0) inOrder = false
    previous = bytes
    if (!listed) continue
    const key = map.from(line.key)
    keys.push(key)
    if ('versionIds' in header.target) versions.set(key, line.wanted?.versionId ?? null)
  }
  const sha256 = first.sha256 ?? ''
  const dir = inOrder ? undefined : await runDirectory()
  const dispose = async (): Promise<void> => {
    if (dir) await rm(dir, { recursive: true, force: true })
  }
  let lines: () => AsyncIterable<PlanLine>
  if (dir) {
    const copy = join(dir, 'plan-sorted.jsonl')
    try {
      const sorted = new ExternalSort<PlanLine>(dir, 'plan', (line) => line.key)
      for await (const line of (await open()).values) await sorted.add(line)
      const writer = await JsonLinesWriter.create(copy)
      for await (const line of sorted.sorted()) await writer.write(line)
      await writer.close()
    } catch (e) {
      await dispose()
      throw e
    }
    lines = () => readJsonLines<PlanLine>(copy)
    keys.sort(byteOrder)
  } else {
    lines = async function* () {
      const again = await open()
      yield* again.values
      if (again.sha256 !== sha256) {
        throw new SealedFileError(`${describe} was changed while it was being applied`)
      }
    }
  }
  const target: ResolvedTarget =
    'toTime' in header.target
      ? { kind: 'time', at: new Date(header.target.toTime), text: header.target.toTime }
      : { kind: 'versions', versions, origin: header.target.snapshot }
  const moved: { key: string; problem: string }[] = []
  let movedCount = 0
  let appliedCount = 0
  const report = (key: string, problem: string): void => {
    movedCount++
    if (moved.length < MOVED_KEPT) moved.push({ key, problem })
  }
  const refuse = (message: string): Error =>
    new SealedFileError(`${describe} is ${message} (it was read in order a moment ago)`)
  return {
    header,
    digest: sha256.slice(0, 12),
    target,
    keys,
    lines,
    async *beside(source) {
      for await (const { key, listed, line } of beside(source, sourceKeys(lines(), map), refuse)) {
        if (!listed) report(line?.written ?? key, 'in the plan, but not listed now')
        else if (!line) yield { ...listed, target: keyTarget(target, key, null) }
        else {
          const versionId = line.wanted?.versionId ?? null
          yield { ...listed, target: keyTarget(target, key, versionId), planned: signature(line) }
        }
      }
    },
    check(item, planned) {
      const now = signature(lineOf(item))
      if (planned === undefined) report(item.key, `new since the plan (now ${now})`)
      else if (planned === now) return
      else if (!nowAsWanted(planned, now)) report(item.key, `planned ${planned}; now ${now}`)
      else if (!planned.startsWith('unchanged:')) appliedCount++
    },
    finish() {
      if (movedCount > 0) throw new StalePlanError(file, moved, movedCount)
    },
    applied: () => appliedCount,
    dispose,
  }
}

/** The plan's lines under the source key each is restored from (the listing's key). */
async function* sourceKeys(
  lines: AsyncIterable<PlanLine>,
  map: KeyMap,
): AsyncGenerator<PlanLine & { written: string }> {
  for await (const line of lines) yield { ...line, key: map.from(line.key), written: line.key }
}
