/**
 * `plan-file`: the saved plan of a dry run. It is read once the run starts; a path that names no
 * readable file is refused here, with the other inputs, naming the input, the path and what was
 * expected, before anything is read from S3 or written.
 */
import { closeSync, openSync, statSync, type Stats } from 'node:fs'
import { resolve } from 'node:path'
import { InputError } from '../lib/errors.js'
import { Inputs } from './names.js'

/** The path as given, once it names a file that can be opened for reading. */
export function parsePlanFile(path: string): string {
  const absolute = resolve(path)
  const refuse = (why: string): InputError =>
    new InputError(
      Inputs.PlanFile,
      path,
      `the path of a readable plan file (the one a dry run saved), relative to the current ` +
        `directory (${process.cwd()}) or absolute (${why})`,
    )
  let stats: Stats
  try {
    stats = statSync(absolute)
  } catch (e) {
    throw refuse((e as Error).message)
  }
  if (stats.isDirectory()) throw refuse(`${absolute} is a folder, not a file`)
  // A pipe or a device is left to the reader: opening one here could block.
  if (!stats.isFile()) return path
  try {
    closeSync(openSync(absolute, 'r'))
  } catch (e) {
    throw refuse((e as Error).message)
  }
  return path
}
