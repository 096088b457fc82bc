/**
 * Confirming writes from the listing, a page of keys at a time rather than a request per key:
 * each write must be the newest entry of its key (up to as many identical entries as the SDK
 * made attempts: a retried write can land twice), directly on top of the entry it was planned
 * on, and hold the source's bytes (same size and ETag; where the ETags differ, HeadObject of
 * both decides). Under SSE-KMS each landing of a retried copy has an ETag of its own: there,
 * HeadObject of the entries between ours and the planned one decides (earlierAttempts).
 * Anything else is another writer's doing, reported as a race.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { RaceError, VerifyError } from '../errors.js'
import type { VersionEntry } from '../../s3/listing.js'
import { headVersion } from '../../s3/objects.js'
import type { PlanItem } from '../plan/decide.js'
import { sameHeaders } from '../plan/resolve.js'
import { silentLogger } from '../../lib/log.js'
import { WriteGuard } from './guard.js'
import type { CopyRequest, Landed } from './requests.js'
import { copyVersion } from './write.js'
import { describeEntry } from '../../history/select.js'
import { sameBytes } from '../../history/content.js'
import type { ObjectFacts } from '../../s3/objects.js'
import type { CopySettings } from '../../settings/types.js'
import { walkKeys, type WalkOptions, type Where } from '../../history/sources.js'

export type { WalkOptions } from '../../history/sources.js'

/** A write that landed (as far as the store said), waiting for the listing to confirm it. */
export interface Written {
  item: PlanItem
  landed: Landed
  /** The second copy of a key, made with its source's encryption. */
  corrective?: boolean
}

/** What the listing said of a write. */
export type Confirmation =
  { written: Written; newVersionId: string; check: string } | { written: Written; error: unknown }

/**
 * Pure: checks one key's history against the write made to it; returns the new entry's ID and
 * whether the listing proves its content, or throws RaceError (another writer) / Error.
 */
export function checkWrite(
  entries: readonly VersionEntry[],
  written: Written,
  /** Entries HeadObject showed to be earlier attempts of this write (earlierAttempts). */
  earlier?: ReadonlySet<string>,
): { newVersionId: string; proven: boolean } {
  const { item, landed } = written
  const key = item.key
  const planned = item.current?.versionId
  const [newest] = entries
  if (landed.uncertain && newest?.versionId === planned) {
    throw new Error(`${key}: the write did not land (the store lost the upload)`)
  }
  const ours = landed.versionId ?? newest?.versionId
  const copies = ownCopies(entries, landed.attempts, planned, earlier)
  const at = entries.findIndex((e) => e.versionId === ours)
  if (ours === undefined || at < 0) {
    throw new RaceError(key, `the new entry ${ours ?? '(unknown)'} is not in the history`)
  }
  if (at >= copies) {
    throw new RaceError(
      key,
      `another writer wrote ${describeEntry(newest)} after our entry ${ours}; it is current now`,
    )
  }
  if (entries[copies]?.versionId !== planned) {
    throw new RaceError(
      key,
      `another writer changed the key between planning and the write: the entry before ours ` +
        `(${ours}) is ${describeEntry(entries[copies])}, planned on ${describeEntry(item.current)}`,
    )
  }
  if (item.action === 'delete') {
    if (!newest.isDeleteMarker)
      throw new RaceError(key, `${describeEntry(newest)} is not a delete marker`)
    return { newVersionId: newest.versionId, proven: true }
  }
  if (newest.isDeleteMarker) throw new RaceError(key, `${describeEntry(newest)} is not our copy`)
  const proven = !!item.wanted && sameBytes(item.wanted, newest, 'listing').same === true
  return { newVersionId: newest.versionId, proven }
}

/**
 * How many entries on top are the same write (same kind, size and ETag as the newest, or known
 * to be its `earlier` attempts), at most `attempts` and stopping at the entry planned on: a
 * retried write that landed each time.
 */
export function ownCopies(
  entries: readonly VersionEntry[],
  attempts: number,
  plannedOn?: string,
  earlier?: ReadonlySet<string>,
): number {
  const [newest] = entries
  if (!newest) return 0
  let n = 1
  while (
    n < attempts &&
    n < entries.length &&
    entries[n].versionId !== plannedOn &&
    (sameWrite(entries[n], newest) || earlier?.has(entries[n].versionId) === true)
  ) {
    n++
  }
  return n
}

/** Two entries that one write would make: both delete markers, or the same bytes. */
export function sameWrite(a: VersionEntry, b: VersionEntry): boolean {
  if (a.isDeleteMarker || b.isDeleteMarker) return a.isDeleteMarker && b.isDeleteMarker
  return sameBytes(a, b, 'listing').same === true
}

/** How writes are confirmed: the run's copy settings (for a corrective copy) and listing retries. */
export interface ConfirmOptions {
  copy: CopySettings
  walk?: WalkOptions
}

/** Confirms a batch of writes with one listing walk over their keys. */
export async function confirmWrites(
  s3: S3Client,
  where: Where,
  batch: readonly Written[],
  options: ConfirmOptions,
): Promise<Confirmation[]> {
  const byKey = new Map(batch.map((w) => [w.item.key, w]))
  const results: Confirmation[] = []
  const unlisted = await walkKeys(
    s3,
    where,
    [...byKey.keys()],
    options.walk ?? {},
    async ({ key, entries }) => {
      const written = byKey.get(key)
      if (!written) return
      let checked: { newVersionId: string; proven: boolean }
      try {
        checked = checkWrite(entries, written)
      } catch (error) {
        const earlier =
          error instanceof RaceError
            ? await earlierAttempts(s3, where, entries, written)
            : undefined
        try {
          if (!earlier?.size) throw error
          checked = checkWrite(entries, written, earlier)
        } catch (again) {
          results.push({ written, error: again })
          return
        }
      }
      const { newVersionId, proven } = checked
      if (proven) {
        results.push({ written, newVersionId, check: 'size and ETag' })
        return
      }
      try {
        results.push({
          written,
          ...(await settle({ s3, where, ...options }, written, newVersionId)),
        })
      } catch (error) {
        // A mismatch is an answer; a failed read is not: the walk reads this key again.
        if (!(error instanceof VerifyError || error instanceof RaceError)) throw error
        results.push({ written, error })
      }
    },
  )
  for (const [key, error] of unlisted) {
    const written = byKey.get(key)
    if (written) results.push({ written, error })
  }
  return results
}

/**
 * A retried copy (the SDK's attempts > 1) whose earlier attempts may have landed too, on a store
 * that gives each landing an ETag of its own (SSE-KMS: a listing cannot tell them apart from
 * another writer's): the entries directly under ours, at most attempts − 1 and above the entry
 * planned on, that HeadObject shows as the same object as ours — same size, content type, user
 * metadata and KMS key, bytes not found different. Where ETags are the content's MD5, sameWrite
 * has already told, and nothing is added here.
 */
export async function earlierAttempts(
  s3: S3Client,
  where: Where,
  entries: readonly VersionEntry[],
  written: Written,
): Promise<Set<string>> {
  const { item, landed } = written
  const found = new Set<string>()
  const [newest] = entries
  const ours = landed.versionId ?? newest?.versionId
  if (item.action !== 'restore' || landed.attempts <= 1 || !newest || newest.isDeleteMarker)
    return found
  if (newest.versionId !== ours) return found
  const head = (e: VersionEntry): Promise<ObjectFacts> =>
    headVersion(s3, { ...where, key: item.key, versionId: e.versionId })
  const mine = await head(newest)
  if (!mine.serverSideEncryption?.startsWith('aws:kms')) return found
  for (let n = 1; n < landed.attempts && n < entries.length; n++) {
    const entry = entries[n]
    if (entry.versionId === item.current?.versionId || entry.isDeleteMarker) break
    if (!sameLanding(mine, await head(entry))) break
    found.add(entry.versionId)
  }
  return found
}

/** Pure: two landings of one copy, as HeadObject shows them (checkCopy, and the headers). */
export function sameLanding(a: ObjectFacts, b: ObjectFacts): boolean {
  return checkCopy(a, b).ok && sameHeaders(a, b)
}

/**
 * The copy's ETag differs from its source's (KMS encryption, or a part layout the store could
 * not say): HeadObject both and compare sizes, full-object checksums where both have one, and
 * encryption. A copy that took the bucket's default encryption instead of its source's KMS key
 * is copied once more with the source's encryption (both copies stay in the history). Throws
 * VerifyError when the bytes differ.
 */
async function settle(
  at: ConfirmOptions & { s3: S3Client; where: Where },
  written: Written,
  newVersionId: string,
): Promise<{ newVersionId: string; check: string }> {
  const { s3, where, ...options } = at
  const { item } = written
  const wanted = item.wanted
  if (!wanted) throw new Error(`${item.key}: a restore without a version to copy`)
  const from = item.from ?? where.bucket
  const source =
    item.source ??
    (await headVersion(s3, {
      ...where,
      bucket: from,
      key: wanted.key,
      versionId: wanted.versionId,
    }))
  const copy = await headVersion(s3, { ...where, key: item.key, versionId: newVersionId })
  const check = checkCopy(source, copy)
  if (check.ok) return { newVersionId, check: check.detail }
  if (check.encryption && !written.corrective) {
    const ours = { ...wanted, key: item.key, versionId: newVersionId, isLatest: true }
    const again: PlanItem = { ...item, current: ours, source }
    const guard = new WriteGuard(silentLogger)
    const redo = await copyVersion(
      { s3, where, copy: options.copy },
      { key: item.key, wanted, from: item.from, source, expected: ours },
      guard,
    )
    const [result] = await confirmWrites(
      s3,
      where,
      [{ item: again, landed: redo, corrective: true }],
      options,
    )
    if (result && 'newVersionId' in result) {
      return {
        newVersionId: result.newVersionId,
        check: `${result.check}, with the source's encryption`,
      }
    }
    throw (
      result?.error ??
      new Error(`${item.key}: the copy with the source's encryption was not confirmed`)
    )
  }
  if (written.landed.unseen) {
    throw new RaceError(
      item.key,
      `another writer wrote ${newVersionId} between planning and the write (a retried write ` +
        `met it: 412; it is not a copy of the source: ${check.detail}); it is current now`,
    )
  }
  throw new VerifyError(item.key, `new version ${newVersionId}: ${check.detail}`, newVersionId)
}

/**
 * One copy of a version to a key, confirmed from the listing as a rollback's writes are: the
 * path a restore drill takes into a scratch key. Throws what the confirmation found.
 */
export async function copyConfirmed(
  s3: S3Client,
  where: Where,
  request: CopyRequest,
  options: { copy: CopySettings; guard: WriteGuard },
): Promise<{ newVersionId: string; check: string; multipart: boolean }> {
  const landed = await copyVersion({ s3, where, copy: options.copy }, request, options.guard)
  const item: PlanItem = {
    key: request.key,
    action: 'restore',
    current: request.expected,
    wanted: request.wanted,
    source: request.source,
    ...(request.from === undefined ? {} : { from: request.from }),
  }
  const [result] = await confirmWrites(s3, where, [{ item, landed }], { copy: options.copy })
  if (!result) throw new Error(`${request.key}: the copy could not be confirmed`)
  if ('error' in result) throw result.error
  return { newVersionId: result.newVersionId, check: result.check, multipart: !!landed.multipart }
}

/**
 * Pure: checks a new version against its source from two HeadObjects: the content rule (size,
 * then a full-object checksum, then an ETag that is the content's MD5; unproven beyond size
 * when neither can tell), and the encryption, so a KMS-encrypted source does not become SSE-S3.
 */
export function checkCopy(
  source: ObjectFacts,
  copy: ObjectFacts,
): { ok: boolean; detail: string; encryption?: boolean } {
  if (source.size !== copy.size) {
    return { ok: false, detail: `size ${copy.size} differs from the source's ${source.size}` }
  }
  if (
    (source.serverSideEncryption ?? 'none') !== (copy.serverSideEncryption ?? 'none') ||
    source.kmsKeyId !== copy.kmsKeyId
  ) {
    const what = (f: ObjectFacts): string =>
      [f.serverSideEncryption ?? 'none', f.kmsKeyId].filter(Boolean).join(' ')
    return {
      ok: false,
      encryption: true,
      detail: `encryption ${what(copy)} differs from the source's ${what(source)}`,
    }
  }
  const verdict = sameBytes(source, copy, 'head')
  if (verdict.same === false) {
    return {
      ok: false,
      detail: verdict.how.replace(' differs from ', " differs from the source's "),
    }
  }
  return { ok: true, detail: verdict.same ? verdict.how : 'size' }
}
