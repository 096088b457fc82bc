/**
 * How to undo a run, as the CLI prints it (a command line) and as the action reports it (the
 * inputs of a step): it reaches the bucket the way the run did (endpoint, path style, region,
 * expected owner, profile), restores with `if-missing: delete`, and reads the undo lines from a
 * file unless they are few; in the job summary, a `with:` block to paste. Pure: data in, text out.
 */
import type { S3Settings } from '../settings/types.js'
import { changedTotal, undoVersionIds, type Manifest } from '../engine/index.js'
import { code, count, details, fenced, paragraph } from './markup.js'
import { splitRows } from './rows.js'

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
  return [...inputs, ...accessInputs(of)]
}

/** The inputs that reach the bucket as the run did (region, endpoint, path style, owner). */
export function accessInputs(of: UndoOf): [string, string][] {
  const inputs: [string, string][] = []
  if (of.s3.region) inputs.push(['region', of.s3.region])
  if (of.s3.endpoint) inputs.push(['endpoint-url', of.s3.endpoint])
  if (of.s3.forcePathStyle) inputs.push(['force-path-style', 'true'])
  if (of.expectedBucketOwner) inputs.push(['expected-bucket-owner', of.expectedBucketOwner])
  return inputs
}

/**
 * The most bytes of undo lines given inline as `version-ids`: the runner passes an input as an
 * environment variable (`INPUT_VERSION-IDS=…`), and Linux takes at most 128 KiB in one.
 */
export const INLINE_INPUT_BYTES = 128 * 1024 - 'INPUT_VERSION-IDS='.length - 1

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

/**
 * The `with:` block of a step that undoes the run (YAML, values quoted where YAML needs it):
 * the undo lines inline (`version-ids`), or the file that holds them (`version-ids-file`).
 */
export function undoStep(of: UndoOf, lines: UndoLines | string): string {
  return withBlock(undoInputs(of, typeof lines === 'string' ? { file: lines } : lines))
}

/** Inputs that take one item a line: a step gives them as a literal block. */
const LIST_INPUTS: ReadonlySet<string> = new Set(['keys', 'version-ids'])

/** A step's `with:` block; list inputs are literal blocks (`|`), one item a line. */
export function withBlock(inputs: readonly [string, string][]): string {
  const rows = inputs.map(([name, value]) => {
    if (!LIST_INPUTS.has(name) && !value.includes('\n')) return `  ${name}: ${yamlScalar(value)}`
    // YAML takes a block's indentation from its first line, unless told (a key may start with a space)
    const indicator = value.startsWith(' ') ? '|2' : '|'
    return `  ${name}: ${indicator}\n${value
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n')}`
  })
  return ['with:', ...rows].join('\n')
}

/** Undo blocks of the job summary longer than this many lines are collapsed. */
const OPEN_UNDO_LINES = 20

/**
 * How to undo: a `with:` block to paste (the undo lines inline, while they fit in an input),
 * or where the undo file is and the block that reads it.
 */
export function undoSection(m: Manifest, undo?: { of: UndoOf; file: string }): string[] {
  if (!undo || changedTotal(m) === 0) return [] // nothing written, nothing to undo
  const { changed } = splitRows(m.keys)
  const lines = m.summary?.keysOmitted ? '' : undoVersionIds(changed)
  if (lines !== '' && Buffer.byteLength(lines) <= INLINE_INPUT_BYTES) {
    const n = lines.split('\n').length
    const block = fenced(undoStep(undo.of, { versionIds: lines.split('\n') }), 'yaml')
    const intro = `<strong>To undo</strong> this rollback, run the action with:`
    if (n <= OPEN_UNDO_LINES) return [paragraph(intro), block]
    return [
      details(
        `${intro.replace(' with:', '')}: the <code>with:</code> block (${count(n, 'key')})`,
        block,
      ),
    ]
  }
  const file = '${{ runner.temp }}/undo/undo.txt'
  return [
    paragraph(
      `<strong>To undo</strong> this rollback: its undo lines are ` +
        (m.summary?.keysOmitted ? '' : 'too long for an input, and are ') +
        `in ` +
        `the <code>undo-file</code> output, ${code(undo.file)}. Upload it as an artifact; in the ` +
        `job that undoes the run, download it to ${code('${{ runner.temp }}/undo')} and run the action with:`,
    ),
    fenced(undoStep(undo.of, { file }), 'yaml'),
  ]
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
