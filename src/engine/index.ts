/**
 * The engine's front door: everything outside src/engine/ imports it from here, and nothing
 * else (a test holds the line). How a rollback runs, in the order of the folders:
 *
 * - plan/: the target (a time, versions, a snapshot or a saved plan) → one history per key
 *   (history/sources) → `decide()`, the one rule of what a key needs (decide.ts) → a HeadObject
 *   where only that can tell (resolve.ts) → the plan, spilled by scan.ts.
 * - write/: each planned write (write.ts, multipart.ts) under the store's condition (guard.ts),
 *   confirmed from the listing (confirm.ts), and on failure every key put back (putback.ts);
 *   the stage is handed one WriteContext (context.ts).
 * - batch/: the same plan written by S3 Batch Operations copy jobs instead.
 * - run/: what rollback() builds for a run: its stores, a dry run's plan file (recorder.ts),
 *   the manifest, what is kept of the working files (cleanup.ts) and the undo file.
 * - record/: the run record each writing run leaves in the snapshot store (history/runs.ts),
 *   and the recent records read before planning.
 */
export { rollback, type RunOptions } from './rollback.js'
export { recordedRollback, type RecordOptions } from './record/run.js'
export {
  changedTotal,
  undoVersionIds,
  writtenBucket,
  INLINE_KEYS,
  type KeyOutcome,
  type Manifest,
  type PrefixSummary,
} from './plan/manifest.js'
export {
  ARCHIVE_CLASSES,
  NO_SUCH_KEY,
  archiveOf,
  decide,
  restoredCopy,
  sameByListing,
  sourceProblem,
  type Action,
  type PlanItem,
} from './plan/decide.js'
export { heldTarget, resolveTarget, type ResolvedSettings } from './plan/target.js'
export { WriteGuard } from './write/guard.js'
export { copyConfirmed } from './write/confirm.js'
export type { CopyRequest } from './write/requests.js'
export * from './errors.js'
