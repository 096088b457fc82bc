/** Lines and rows that report snapshots and diffs (pure). */
import type { SnapshotSummary } from '../snapshot/create.js'

export function snapshotLine(s: SnapshotSummary): string {
  const absent = s.absent > 0 ? ` (and ${s.absent} listed keys absent)` : ''
  return (
    `Recorded ${s.keys} keys of s3://${s.bucket}${absent} as ${s.name} → snapshot ${s.id}, ` +
    `in ${s.uri}. Roll back to it with to-snapshot: ${s.name} (or ${s.id}, which never moves).`
  )
}
