/**
 * The places on disk the CLI's own flags name, checked before anything is read from S3 or
 * written: `--work-dir` (where runs keep their files) and `--undo-file` (where the undo lines
 * go). A restore that could not write its undo lines at the end would have changed the bucket
 * and lost the way back; a bad path is an InputError (exit 2) instead.
 */
import { accessSync, constants, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { InputError } from '../lib/errors.js'

/** The folder `--work-dir` names, absolute: it must exist and be writable. */
export function workDir(path: string): string {
  const absolute = resolve(path)
  const problem = folderProblem(absolute)
  if (problem) {
    throw new InputError('work-dir', path, `a folder that exists and can be written (${problem})`)
  }
  return absolute
}

/** `--undo-file`: a file (new, or to be replaced) in a folder that exists and can be written. */
export function checkUndoFile(path: string): void {
  const absolute = resolve(path)
  const expected = 'the path of a file in a folder that exists and can be written'
  if (isFolder(absolute)) {
    throw new InputError('undo-file', path, `${expected} (${absolute} is a folder)`)
  }
  const problem = folderProblem(dirname(absolute))
  if (problem) throw new InputError('undo-file', path, `${expected} (${problem})`)
}

/** Why `folder` cannot take new files, or undefined when it can. */
function folderProblem(folder: string): string | undefined {
  if (!isFolder(folder)) return `${folder} is not a folder that exists`
  try {
    accessSync(folder, constants.W_OK | constants.X_OK)
    return undefined
  } catch {
    return `${folder} cannot be written`
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
