/**
 * How to undo a run, as the CLI prints it (a command line) and as the action reports it (the
 * inputs of a step): it reaches the bucket the way the run did (endpoint, path style, region,
 * expected owner, profile), restores with `if-missing: delete`, and reads the undo lines from a
 * file unless they are few. Pure: data in, text out.
 */
import type { S3Settings } from '../settings/types.js'

/** Inline undo commands up to this length; longer ones read a file (`--version-ids-file`). */
export const INLINE_UNDO_CHARS = 2048

/** The run to undo: where its bucket is and how it was reached. */
export interface UndoOf {
  bucket: string
  s3: S3Settings
  expectedBucketOwner?: string
  /** CLI only: the AWS profile of the run. */
  profile?: string
}

/** Where the undo lines are: a file, or (a few keys) `key=versionId` lines to give inline. */
export type UndoLines = { file: string } | { versionIds: readonly string[] }

/** The action inputs that undo the run, in the order a step lists them. */
export function undoInputs(of: UndoOf, lines: UndoLines): [string, string][] {
  const inputs: [string, string][] = [['bucket', of.bucket]]
  if ('file' in lines) inputs.push(['version-ids-file', lines.file])
  else inputs.push(['version-ids', lines.versionIds.join('\n')])
  inputs.push(['if-missing', 'delete'])
  if (of.s3.region) inputs.push(['region', of.s3.region])
  if (of.s3.endpoint) inputs.push(['endpoint-url', of.s3.endpoint])
  if (of.s3.forcePathStyle) inputs.push(['force-path-style', 'true'])
  if (of.expectedBucketOwner) inputs.push(['expected-bucket-owner', of.expectedBucketOwner])
  return inputs
}

/**
 * The command line that undoes the run, ready to paste: `cli` is this CLI as a command (node and
 * the absolute path of its script), so it runs from any directory, in a clone or an install.
 */
export function undoCommand(cli: readonly string[], of: UndoOf, lines: UndoLines): string {
  const words = [...cli, 'restore']
  for (const [name, value] of undoInputs(of, lines)) {
    if (name === 'version-ids') {
      for (const line of value.split('\n')) words.push('--version-id', line)
    } else if (name === 'force-path-style') {
      words.push(`--${name}`)
    } else {
      words.push(`--${name}`, value)
    }
  }
  if (of.profile) words.push('--profile', of.profile)
  return words.map(quote).join(' ')
}

/** The `with:` block of a step that undoes the run (YAML, values quoted where YAML needs it). */
export function undoStep(of: UndoOf, file: string): string {
  const rows = undoInputs(of, { file }).map(([name, value]) => `  ${name}: ${yamlScalar(value)}`)
  return ['with:', ...rows].join('\n')
}

/** A word for a POSIX shell, quoted only when it needs to be. */
export function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

function yamlScalar(value: string): string {
  if (value === 'true') return value
  return /^[\w./-][\w./:@-]*$/.test(value) && !/^(true|false|null|~|\d.*)$/i.test(value)
    ? value
    : JSON.stringify(value)
}
