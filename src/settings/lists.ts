/**
 * The list inputs, given inline or in a file: `keys` or `keys-file` (one key a line), and
 * `version-ids` or `version-ids-file` (one `key=versionId` line a key). A file has the same line
 * format and the same checks as the inline value, and its errors name the file and the line.
 * A runner passes every input as an environment variable, and Linux takes at most 128 KiB in
 * one: a long list goes in a file. Files are read a block at a time (100,000 lines cost their
 * entries, not copies of the text), before anything is written.
 */
import { closeSync, openSync, readSync } from 'node:fs'
import { resolve } from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import { InputError } from '../lib/errors.js'
import { Inputs } from './names.js'
import type { Environment, InputReader } from './types.js'

/** Longer lines are refused (a key is at most 1,024 bytes; so is a version ID). */
const MAX_LINE = 16 * 1024
const BLOCK = 64 * 1024

/** The inline input and the file input of each list. */
const PAIRS = [
  { inline: Inputs.Keys, file: Inputs.KeysFile },
  { inline: Inputs.VersionIds, file: Inputs.VersionIdsFile },
] as const

/** The keys, and which input gave them (`keys` or `keys-file`) for later messages. */
export interface KeyList {
  input: string
  keys: string[]
}

/** A list input that was given: its name and its value (the text, or the file's path). */
export interface GivenList {
  input: string
  value: string
}

/** Calls `onLine` with each line and its number (from 1), trimmed, empty lines included. */
type Lines = (onLine: (line: string, n: number) => void) => void

/** Throws the error of one bad line (its text, its number, the form expected). */
type Fail = (line: string, n: number, expected: string) => never

/**
 * Refuses what can be told without reading a file: a list given both inline and as a file,
 * and a file of keys or versions with `prefix` (a prefix run lists its own keys).
 */
export function checkListInputs(read: InputReader): void {
  const given = (name: string): string => read(name).trim()
  for (const { inline, file } of PAIRS) {
    if (given(inline) !== '' && given(file) !== '') {
      throw new InputError(
        file,
        given(file),
        `to be empty when '${inline}' is set: give the list inline or in a file, not both`,
      )
    }
  }
  if (given(Inputs.Prefix) === '') return
  for (const { file } of PAIRS) {
    if (given(file) !== '') {
      throw new InputError(
        file,
        given(file),
        `to be empty when '${Inputs.Prefix}' is set: a prefix run lists its keys and goes back to '${Inputs.ToTime}'`,
      )
    }
  }
}

/** Which of `version-ids` and `version-ids-file` was given, if either. */
export function givenVersionIds(read: InputReader): GivenList | undefined {
  for (const input of [Inputs.VersionIds, Inputs.VersionIdsFile]) {
    const value = read(input).trim()
    if (value !== '') return { input, value }
  }
  return undefined
}

/** `keys`, or the lines of `keys-file`; each key once. Empty when neither is given. */
export function readKeys(read: InputReader, env: Environment): KeyList {
  const path = read(Inputs.KeysFile).trim()
  if (path === '') return { input: Inputs.Keys, keys: parseKeys(read(Inputs.Keys)) }
  const keys = parseKeyLines(fileLines(Inputs.KeysFile, path, env), fileFail(Inputs.KeysFile, path))
  if (keys.length === 0) throw emptyFile(Inputs.KeysFile, path, env)
  return { input: Inputs.KeysFile, keys }
}

/** `version-ids`, or the lines of `version-ids-file`. */
export function readVersionIds(read: InputReader, env: Environment): Map<string, string | null> {
  const path = read(Inputs.VersionIdsFile).trim()
  if (path === '') return parseVersionIds(read(Inputs.VersionIds))
  const input = Inputs.VersionIdsFile
  const versions = parseVersionLines(fileLines(input, path, env), fileFail(input, path))
  if (versions.size === 0) throw emptyFile(input, path, env)
  return versions
}

/** Non-empty lines, trimmed; a key may not appear twice. */
export function parseKeys(value: string): string[] {
  return parseKeyLines(inlineLines(value), (line, _n, expected) => {
    throw new InputError(Inputs.Keys, line, expected)
  })
}

/**
 * `key=versionId` lines. The split is at the last `=` (keys may contain `=`, version IDs do not).
 * `null` is the version ID of objects written before versioning; an empty version means the key
 * should not exist.
 */
export function parseVersionIds(value: string): Map<string, string | null> {
  return parseVersionLines(inlineLines(value), (line, _n, expected) => {
    throw new InputError(Inputs.VersionIds, line, expected)
  })
}

/** Where a relative path of a file input points: GITHUB_WORKSPACE when set, else the cwd. */
export function inputPath(path: string, env: Environment): string {
  return resolve(env.GITHUB_WORKSPACE || process.cwd(), path)
}

function parseKeyLines(lines: Lines, fail: Fail): string[] {
  const keys = new Set<string>()
  lines((key, n) => {
    if (key === '') return
    if (keys.has(key)) {
      const earlier = firstLine(lines, (line) => line === key)
      fail(key, n, `each object key once (this key is listed twice: lines ${earlier} and ${n})`)
    }
    keys.add(key)
  })
  return [...keys]
}

function parseVersionLines(lines: Lines, fail: Fail): Map<string, string | null> {
  const versions = new Map<string, string | null>()
  const keyOf = (line: string): string => {
    const at = line.lastIndexOf('=')
    return at < 0 ? '' : line.slice(0, at).trim()
  }
  lines((line, n) => {
    if (line === '') return
    const key = keyOf(line)
    if (key === '') fail(line, n, 'one key=versionId line per key')
    if (versions.has(key)) {
      const earlier = firstLine(lines, (other) => other !== '' && keyOf(other) === key)
      fail(line, n, `each key once (this key is listed twice: lines ${earlier} and ${n})`)
    }
    const versionId = line.slice(line.lastIndexOf('=') + 1).trim()
    versions.set(key, versionId === '' ? null : versionId)
  })
  return versions
}

/** The number of the first line that matches (read again: only an error needs it). */
function firstLine(lines: Lines, matches: (line: string) => boolean): number {
  let first = 0
  lines((line, n) => {
    if (first === 0 && matches(line)) first = n
  })
  return first
}

function inlineLines(value: string): Lines {
  return (onLine) => value.split(/\r?\n/).forEach((line, i) => onLine(line.trim(), i + 1))
}

/** A bad line of a file: the value names the file and the line number. */
function fileFail(input: string, path: string): Fail {
  return (line, n, expected) => {
    const shown = line.length > 200 ? `${line.slice(0, 200)}…` : line
    throw new InputError(input, `${path} line ${n}: ${shown}`, expected)
  }
}

/** What a file input holds, for its errors. */
function fileForm(input: string, env: Environment): string {
  const what = input === Inputs.KeysFile ? 'object keys, one per line' : 'key=versionId lines'
  const base = env.GITHUB_WORKSPACE
    ? `GITHUB_WORKSPACE (${env.GITHUB_WORKSPACE})`
    : `the current directory (${process.cwd()})`
  return `the path of a readable file of ${what}, relative to ${base} or absolute`
}

function emptyFile(input: string, path: string, env: Environment): InputError {
  return new InputError(
    input,
    path,
    `${fileForm(input, env)}, with at least one line (${inputPath(path, env)} has none)`,
  )
}

/**
 * The lines of a file, read a block at a time; a UTF-8 byte order mark is dropped. A file that
 * cannot be opened or read is an InputError naming the input, the path and what was expected.
 */
function fileLines(input: string, path: string, env: Environment): Lines {
  const absolute = inputPath(path, env)
  const unreadable = (e: unknown): InputError =>
    new InputError(input, path, `${fileForm(input, env)} (${(e as Error).message})`)
  return (onLine) => {
    let fd: number
    try {
      fd = openSync(absolute, 'r')
    } catch (e) {
      throw unreadable(e)
    }
    try {
      const block = Buffer.alloc(BLOCK)
      const decoder = new StringDecoder('utf8')
      let rest = ''
      let n = 0
      for (;;) {
        let size: number
        try {
          size = readSync(fd, block, 0, BLOCK, null)
        } catch (e) {
          throw unreadable(e)
        }
        const text = rest + (size === 0 ? decoder.end() : decoder.write(block.subarray(0, size)))
        const lines = text.split('\n')
        rest = size === 0 ? '' : (lines.pop() ?? '')
        for (const line of lines) {
          n++
          if (line.length > MAX_LINE) {
            fileFail(input, path)(line, n, `lines of at most ${MAX_LINE} characters`)
          }
          onLine((n === 1 ? line.replace(/^\uFEFF/, '') : line).trim(), n)
        }
        if (rest.length > MAX_LINE) {
          fileFail(input, path)(rest, n + 1, `lines of at most ${MAX_LINE} characters`)
        }
        if (size === 0) return
      }
    } finally {
      closeSync(fd)
    }
  }
}
