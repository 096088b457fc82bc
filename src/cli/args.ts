/** Command-line flags → the same InputReader the action uses (flags mirror the action inputs). */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import type { InputReader } from '../settings/index.js'
import { Inputs } from '../settings/names.js'
import { COMMANDS, FLAGS, didYouMean, type Command } from './flags.js'

/** Bad command-line usage (unknown flag or command, a flag without its value). */
export class UsageError extends Error {
  override name = 'UsageError'
  constructor(
    message: string,
    /** The command whose help to point at. */
    readonly command?: Command,
  ) {
    super(message)
  }
}

/** What the command line asks for. */
export type CliOptions =
  /** `missing`: no command at all, a usage error (the help goes to stderr, exit 2). */
  | { command: 'help'; topic?: Command; missing?: true }
  | { command: 'version' }
  | {
      command: Command
      /** `snapshot` only: create, list or show. */
      action?: SnapshotAction
      /** Reads an action input from the flags ('' when not given). */
      read: InputReader
      json: boolean
      /** restore: list every key in the table, not only the ones that change. */
      all: boolean
      verbose: boolean
      profile?: string
      undoFile?: string
      workDir?: string
    }

type Options = NonNullable<ParseArgsConfig['options']>

export type SnapshotAction = 'create' | 'list' | 'show'
const SNAPSHOT_ACTIONS: readonly SnapshotAction[] = ['create', 'list', 'show']

/** The parser options of one command's flags. */
export function cliOptions(command: Command): Options {
  const options: Options = { help: { type: 'boolean', short: 'h' } }
  for (const flag of FLAGS) {
    if (!flag.commands.includes(command)) continue
    options[flag.name] = {
      type: flag.value === undefined ? 'boolean' : 'string',
      ...(flag.repeat ? { multiple: true } : {}),
    }
  }
  return options
}

/** Parses argv (without node and the script). Throws UsageError. */
export function parseCli(argv: string[]): CliOptions {
  const [first, ...rest] = argv
  if (first === undefined) return { command: 'help', missing: true }
  if (['help', '--help', '-h'].includes(first)) {
    const topic = rest.find((a): a is Command => (COMMANDS as string[]).includes(a))
    return { command: 'help', topic }
  }
  if (first === '--version' || first === '-V' || first === 'version') return { command: 'version' }
  if (first.startsWith('-')) {
    throw new UsageError(
      `missing command before ${first}: s3-rollback ${COMMANDS.join('|')} [flags]`,
    )
  }
  if (!(COMMANDS as string[]).includes(first)) {
    const guess = didYouMean(first, COMMANDS)
    throw new UsageError(
      `unknown command ${JSON.stringify(first)}` +
        (guess ? `; did you mean ${guess}?` : `: expected ${COMMANDS.join(', ')}`),
    )
  }
  const command = first as Command
  checkFlagNames(command, rest)
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: rest, options: cliOptions(command), allowPositionals: true })
  } catch (e) {
    throw new UsageError(parserMessage(e as Error & { code?: string }), command)
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>
  if (values.help === true) return { command: 'help', topic: command }
  const positionals = [...parsed.positionals]
  let action: SnapshotAction | undefined
  let name = ''
  if (command === 'snapshot') {
    action = snapshotAction(positionals.shift())
    if (action !== 'list') name = positionals.shift() ?? ''
    if (action !== 'list' && name === '') {
      throw new UsageError(
        `snapshot ${action} needs a NAME${action === 'show' ? ' or ID' : ''}`,
        command,
      )
    }
  }
  if (positionals.length > 0) {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(positionals[0])} (flags start with --; ` +
        'quote values that contain spaces)',
      command,
    )
  }
  const list = (name: string): string[] => (values[name] as string[] | undefined) ?? []
  const keys = [...list('key'), ...list(Inputs.Keys).flatMap((v) => v.split(/[,\n]/))]
  const versionIds = [...list('version-id'), ...list(Inputs.VersionIds)]
  const read: InputReader = (input) => {
    if (input === Inputs.Mode) return command === 'snapshot' ? 'snapshot' : command
    if (input === Inputs.Snapshot && command === 'snapshot') return name
    if (input === Inputs.Keys) return keys.join('\n')
    if (input === Inputs.VersionIds) return versionIds.join('\n')
    const value = values[input]
    if (typeof value === 'boolean') return value ? 'true' : 'false'
    return typeof value === 'string' ? value : ''
  }
  return {
    command,
    ...(action ? { action } : {}),
    read,
    json: values.json === true,
    all: values.all === true,
    verbose: values.verbose === true,
    profile: values.profile as string | undefined,
    undoFile: values['undo-file'] as string | undefined,
    workDir: values['work-dir'] as string | undefined,
  }
}

function snapshotAction(word: string | undefined): SnapshotAction {
  if ((SNAPSHOT_ACTIONS as readonly (string | undefined)[]).includes(word)) {
    return word as SnapshotAction
  }
  const guess = word === undefined ? undefined : didYouMean(word, SNAPSHOT_ACTIONS)
  throw new UsageError(
    word === undefined
      ? 'snapshot needs an action: create, list or show'
      : `unknown snapshot action ${JSON.stringify(word)}` +
          (guess ? `; did you mean ${guess}?` : ': expected create, list or show'),
    'snapshot',
  )
}

/** Unknown flags, and flags of the other command, before the parser sees them. */
function checkFlagNames(command: Command, args: readonly string[]): void {
  const known = Object.keys(cliOptions(command))
  for (const arg of args) {
    if (arg === '--') break
    if (!arg.startsWith('--')) continue
    const name = arg.slice(2).split('=')[0]
    if (known.includes(name)) continue
    const other = FLAGS.find((f) => f.name === name)
    if (other) {
      const of = other.commands.join(', ').replace(/, ([^,]*)$/, ' and $1')
      throw new UsageError(`--${name} is a flag of ${of}, not ${command}`, command)
    }
    const guess = didYouMean(name, known)
    throw new UsageError(
      `unknown flag --${name}` + (guess ? `; did you mean --${guess}?` : ''),
      command,
    )
  }
}

/** Node's parser errors, reworded. */
function parserMessage(e: Error & { code?: string }): string {
  const flag = /'(-[^' ]+)/.exec(e.message)?.[1]
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
    if (/does not take an argument/.test(e.message)) {
      return `flag ${flag} is a switch and takes no value (write ${flag} alone)`
    }
    return (
      `flag ${flag} needs a value` + (/ambiguous/.test(e.message) ? ' before the next flag' : '')
    )
  }
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) return `unknown flag ${flag}`
  return e.message
}
