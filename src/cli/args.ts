/** Command-line flags → the same InputReader the action uses (flags mirror the action inputs). */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import type { InputReader } from '../settings/index.js'
import { Inputs } from '../settings/names.js'

/** Bad command-line usage (unknown flag, missing command). */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** What the command line asks for. */
export interface CliOptions {
  command: 'restore' | 'verify' | 'help'
  /** Reads an action input from the flags ('' when not given). */
  read: InputReader
  json: boolean
  verbose: boolean
  profile?: string
}

/** Inputs that are switches on the command line (`--dry-run`, not `--dry-run true`). */
const SWITCHES: ReadonlySet<string> = new Set([Inputs.DryRun, Inputs.ForcePathStyle, Inputs.Drill])
/** Inputs with their own flags: the command, and list inputs that may be repeated. */
const OWN_FLAGS: ReadonlySet<string> = new Set([Inputs.Mode, Inputs.Keys, Inputs.VersionIds])

type Options = NonNullable<ParseArgsConfig['options']>

/** Every action input is a flag of the same name; lists also take repeated singular flags. */
export function cliOptions(): Options {
  const options: Options = {
    key: { type: 'string', multiple: true },
    keys: { type: 'string', multiple: true },
    'version-id': { type: 'string', multiple: true },
    'version-ids': { type: 'string', multiple: true },
    profile: { type: 'string' },
    json: { type: 'boolean' },
    verbose: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }
  for (const name of Object.values(Inputs) as string[]) {
    if (OWN_FLAGS.has(name)) continue
    options[name] = { type: SWITCHES.has(name) ? 'boolean' : 'string' }
  }
  return options
}

/** The flag(s) a user gives for an input, for error messages. */
export function flagFor(input: string): string {
  if (input === Inputs.Keys) return '--key/--keys'
  if (input === Inputs.VersionIds) return '--version-id/--version-ids'
  return `--${input}`
}

/** Parses argv (without node and the script). Throws UsageError. */
export function parseCli(argv: string[]): CliOptions {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: argv, options: cliOptions(), allowPositionals: true, strict: true })
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>
  const [command, ...extra] = parsed.positionals
  const list = (name: string): string[] => (values[name] as string[] | undefined) ?? []
  const options = {
    json: values.json === true,
    verbose: values.verbose === true,
    profile: values.profile as string | undefined,
  }
  if (values.help === true || command === 'help') {
    return { command: 'help', read: () => '', ...options }
  }
  if (command !== 'restore' && command !== 'verify') {
    throw new UsageError(
      command === undefined
        ? 'missing command: restore or verify'
        : `unknown command ${JSON.stringify(command)}: expected restore or verify`,
    )
  }
  if (extra.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])} (flags start with --)`)
  }
  const keys = [...list('key'), ...list('keys').flatMap((v) => v.split(/[,\n]/))]
  const versionIds = [...list('version-id'), ...list('version-ids')]
  const read: InputReader = (name) => {
    if (name === Inputs.Mode) return command
    if (name === Inputs.Keys) return keys.join('\n')
    if (name === Inputs.VersionIds) return versionIds.join('\n')
    const value = values[name]
    if (typeof value === 'boolean') return value ? 'true' : 'false'
    return typeof value === 'string' ? value : ''
  }
  return { command, read, ...options }
}
