/** What a version listing says of a key (both request paths read listings into these). */

/** One version or delete marker of a key, as S3 lists it. */
export interface VersionEntry {
  key: string
  /** The S3 version ID; `'null'` for objects written before versioning was enabled. */
  versionId: string
  isDeleteMarker: boolean
  isLatest: boolean
  lastModified: Date
  size?: number
  eTag?: string
  storageClass?: string
}

/** All entries of one key, newest first, in S3's listing order. */
export interface KeyHistory {
  key: string
  entries: VersionEntry[]
}
