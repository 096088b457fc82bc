/** The verify report's types: what verify mode finds, per key and for the bucket. */
import type { BucketFacts } from '../s3/bucket.js'
import type { DrillOutcome } from './drill.js'
import type { WindowLimit } from './lifecycle.js'
import type { Action } from '../engine/index.js'

/**
 * The state of a key at the target.
 * restorable: a version is there and can be copied (or is current already);
 * absent: no object at the target, which if-missing (delete or skip) allows;
 * missing: no version at the target (the key did not exist yet, or the version ID is unknown);
 * deleted: a delete marker at the target; archived: the version is in GLACIER or DEEP_ARCHIVE
 * (or an Intelligent-Tiering archive tier) and not restored; unreadable: listing or HeadObject failed.
 */
export type KeyState = 'restorable' | 'absent' | 'missing' | 'deleted' | 'archived' | 'unreadable'

/** The verification of one key. */
export interface KeyReport {
  key: string
  state: KeyState
  /** What a rollback to the target would do; null when it would fail. */
  action: Action | null
  /** The entry at the target (a version, or the delete marker), if any. */
  versionId: string | null
  lastModified: string | null
  size: number | null
  storageClass: string | null
  /** The key's guaranteed rollback window in days (see lifecycle.ts); null: unlimited. */
  windowDays: number | null
  /** The lifecycle rules that apply to the key, described. */
  rules: string[]
  /** The actions that bound the window. */
  limits: WindowLimit[]
  /** Things worth knowing that do not fail the check. */
  notes: string[]
  /** The drill of this key (drill: true only). */
  drill: DrillOutcome | null
  /** Why a rollback of this key would not work; empty when it would. */
  problems: string[]
}

/** The `report` output. */
export interface VerifyReport {
  bucket: string
  /** A check of a restore into a destination: its bucket and prefix (the drill writes there). */
  destination?: { bucket: string; prefix: string }
  checkedAt: string
  target:
    | { toTime: string }
    | { versionIds: Record<string, string | null> }
    | { snapshot: string; snapshotId: string }
  /** True when the target is the start of the window (no to-time or version-ids given). */
  atWindowStart: boolean
  minWindow: string
  minWindowDays: number
  versioning: BucketFacts['versioning']
  mfaDelete: BucketFacts['mfaDelete']
  /** Every lifecycle rule of the bucket, described; null when it could not be read. */
  lifecycleRules: string[] | null
  /** The shortest guaranteed window over all keys, in days; null: unlimited. */
  window: number | null
  /** True when a rollback of every key to the target would work and every window is long enough. */
  restorable: boolean
  keys: KeyReport[]
  /** The drill, when asked for: its prefix and anything its cleanup left behind. */
  drill: { prefix: string; leftBehind: string[] } | null
  /** Every problem, one line each (bucket, keys, drill cleanup). */
  problems: string[]
}
