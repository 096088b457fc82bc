/**
 * How this CLI is run, as words a person can paste into a shell: `s3-rollback` when that name
 * on PATH runs this very script (a global install, `npm link`), else `node` and the script's
 * absolute path (a clone, npx's cache), which runs from any directory. Every hint and printed
 * command of the CLI starts with these words.
 */
import { accessSync, constants, realpathSync, statSync } from 'node:fs'
import { delimiter, isAbsolute, join, resolve } from 'node:path'
import { quote } from '../report/undo.js'

/** The name `npm i -g` puts on PATH (package.json `bin`). */
export const BIN_NAME = 's3-rollback'

/**
 * The words that run the CLI whose script is `script` (`process.argv[1]`), given the PATH the
 * user's shell searches. The first executable `s3-rollback` on PATH decides: when it is this
 * script (through npm's symbolic link), the name is enough. Relative PATH entries and the
 * `node_modules/.bin` folders that `npm exec` and `npx` add for their child only are skipped:
 * the user's own shell would not find the name there.
 */
export function invokedAs(script: string, path = ''): string[] {
  const real = realOrUndefined(resolve(script))
  const byPath = ['node', real ?? resolve(script)]
  if (real === undefined) return byPath
  for (const dir of path.split(delimiter)) {
    if (!isAbsolute(dir) || /[\\/]node_modules[\\/]\.bin[\\/]?$/.test(dir)) continue
    const candidate = join(dir, BIN_NAME)
    if (!isExecutableFile(candidate)) continue
    return realOrUndefined(candidate) === real ? [BIN_NAME] : byPath
  }
  return byPath
}

/** The words that run this process's CLI: `['s3-rollback']` or `['node', '/abs/…/index.js']`. */
export function thisCli(): string[] {
  return invokedAs(process.argv[1] ?? '', process.env.PATH)
}

/** This process's CLI as a shell command line, quoted where the shell needs it. */
export function thisCliLine(): string {
  return thisCli().map(quote).join(' ')
}

function realOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path)
  } catch {
    return undefined
  }
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}
