/** Builders shared by the unit tests: listing entries, key histories, inputs, async iterables. */
import type { VersionEntry } from '../../src/s3/listing.js'

/** A version of `key` (not a delete marker, not the latest unless `extra` says so). */
export function version(
  key: string,
  versionId: string,
  when: string | number | Date,
  extra: Partial<VersionEntry> = {},
): VersionEntry {
  return {
    key,
    versionId,
    isDeleteMarker: false,
    isLatest: false,
    lastModified: new Date(when),
    ...extra,
  }
}

/** A delete marker of `key` (no size, no ETag). */
export function marker(
  key: string,
  versionId: string,
  when: string | number | Date,
  extra: Partial<VersionEntry> = {},
): VersionEntry {
  return version(key, versionId, when, { isDeleteMarker: true, ...extra })
}

/**
 * The history of `key` newest first, as S3 lists it (the first entry is the latest), from rows
 * `[versionId, time]`, or `[versionId, time, 'marker']` for a delete marker.
 */
export function history(
  key: string,
  ...rows: Array<[versionId: string, when: string, kind?: 'marker']>
): VersionEntry[] {
  return rows.map(([versionId, when, kind], i) =>
    (kind === 'marker' ? marker : version)(key, versionId, when, { isLatest: i === 0 }),
  )
}

/** An input reader for parseSettings: the given values, '' for every other input. */
export const inputReader =
  (values: Record<string, string>) =>
  (name: string): string =>
    values[name] ?? ''

/** Every item of an async iterable, in order. */
export async function readAll<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}
