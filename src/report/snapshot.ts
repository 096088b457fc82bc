/** Lines and the job summary that report snapshots (pure). */
import type { SnapshotSummary } from '../snapshot/create.js'
import { code, count, fenced, headline, paragraph, preformatted } from './markup.js'
import { accessInputs, withBlock, type UndoOf } from './undo.js'

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

/**
 * The job summary of `mode: snapshot`: what was recorded under which name, and the step that
 * rolls back to exactly this snapshot (by its ID, which never moves). `prefix` is the prefix
 * recorded, when it was one; `of` how the run reached the bucket.
 */
export function snapshotPage(
  s: SnapshotSummary | undefined,
  scope: { of?: UndoOf; prefix?: string; error?: string },
): string {
  const blocks: string[] = []
  if (s) {
    const where =
      scope.prefix === undefined
        ? `${count(s.keys, 'key')} of ${code(`s3://${s.bucket}`)}`
        : `${count(s.keys, 'key')} under ${code(`s3://${s.bucket}/${scope.prefix}`)}`
    const absent = s.absent > 0 ? ` (and ${count(s.absent, 'listed key')} absent)` : ''
    blocks.push(
      headline(`Recorded snapshot ${code(s.name)}: the current version of ${where}${absent}`),
      paragraph(
        `Snapshot ID ${code(s.id)}: the name ${code(s.name)} points to it until it is recorded ` +
          `again; the ID never moves. Stored in ${code(s.uri)}.`,
      ),
    )
    if (scope.of) {
      const inputs: [string, string][] = [
        ['bucket', s.bucket],
        ['to-snapshot', s.id],
        ['if-missing', 'delete'],
        ...accessInputs(scope.of),
      ]
      blocks.push(
        paragraph(
          '<strong>To roll back to this snapshot</strong> (keys created since get a delete ' +
            'marker), run the action with:',
        ),
        fenced(withBlock(inputs), 'yaml'),
      )
    }
  } else {
    blocks.push(headline('No snapshot was recorded'))
  }
  if (scope.error) blocks.push(preformatted(scope.error))
  return `${blocks.join('\n\n')}\n`
}
