/** Lines and rows that report snapshots and diffs (pure). */
import type { SnapshotSummary } from '../snapshot/create.js'

/**
 * What a snapshot recorded, and how to roll back to it: `rollBackWith` says it in the caller's
 * syntax (the action's `to-snapshot: NAME`, the CLI's `--to-snapshot NAME`).
 */
export function snapshotLine(
  s: SnapshotSummary,
  rollBackWith: (ref: string) => string = (ref) => `to-snapshot: ${ref}`,
): string {
  const absent = s.absent > 0 ? ` (and ${s.absent} listed keys absent)` : ''
  return (
    `Recorded ${s.keys} keys of s3://${s.bucket}${absent} as ${s.name} → snapshot ${s.id}, ` +
    `in ${s.uri}. Roll back to it with ${rollBackWith(s.name)} (or ${s.id}, which never moves).`
  )
}
