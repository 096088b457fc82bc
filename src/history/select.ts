import type { VersionEntry } from '../s3/listing.js'

/**
 * The entry that was current at `at`: the newest entry with LastModified <= at.
 * `entries` must be in S3's listing order (newest first); on equal timestamps the entry
 * S3 lists first is the newer one, so the first match wins.
 * Returns undefined when the key had no entry yet at that time.
 */
export function entryAt(entries: readonly VersionEntry[], at: Date): VersionEntry | undefined {
  return entries.find((e) => e.lastModified.getTime() <= at.getTime())
}

/** The current entry (the one S3 marks IsLatest, else the first listed). */
export function currentEntry(entries: readonly VersionEntry[]): VersionEntry | undefined {
  return entries.find((e) => e.isLatest) ?? entries[0]
}

/** True when the key has no readable object in this state (never written, or a delete marker). */
export function isAbsent(entry: VersionEntry | undefined): boolean {
  return entry === undefined || entry.isDeleteMarker
}

/** An entry in words: `version ID`, `delete marker ID`, or `no entry`. */
export function describeEntry(entry: VersionEntry | undefined): string {
  if (!entry) return 'no entry'
  return entry.isDeleteMarker ? `delete marker ${entry.versionId}` : `version ${entry.versionId}`
}
