import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { UsageError, cliOptions, parseCli, type CliOptions } from '../src/cli/args.js'
import { FLAGS, didYouMean, flagFor } from '../src/cli/flags.js'
import { commandHelp, generalHelp } from '../src/cli/help.js'
import { VERSION } from '../src/cli/version.js'
import { inFlags, inputErrorText } from '../src/cli/wording.js'
import { InputError } from '../src/lib/errors.js'
import { parseSettings } from '../src/settings/index.js'
import { Inputs } from '../src/settings/names.js'

/** The options of a command (not help or version). */
function run(argv: string[]): Extract<CliOptions, { read: unknown }> {
  const cli = parseCli(argv)
  if (!('read' in cli)) throw new Error(`${argv.join(' ')} is not a command`)
  return cli
}

describe('parseCli', () => {
  it('reads flags as the action reads inputs', () => {
    const cli = run([
      'restore',
      '--bucket',
      'justice40-data',
      '--key',
      'a,b.csv',
      '--keys',
      'c.csv,d.csv',
      '--to-time',
      '2021-12-13T15:00:00Z',
      '--dry-run',
      '--endpoint-url',
      'http://127.0.0.1:7480',
      '--force-path-style',
      '--json',
    ])
    expect(cli).toMatchObject({ command: 'restore', json: true, verbose: false })
    const s = parseSettings(cli.read)
    expect(s).toMatchObject({
      mode: 'restore',
      bucket: 'justice40-data',
      keys: ['a,b.csv', 'c.csv', 'd.csv'],
      dryRun: true,
      s3: { endpoint: 'http://127.0.0.1:7480', forcePathStyle: true },
    })
  })

  it('takes version IDs repeated or as lines', () => {
    const cli = run([
      'restore',
      '--bucket',
      'b-1',
      '--version-id',
      'a=v1',
      '--version-ids',
      'b=null\nc=',
    ])
    expect(parseSettings(cli.read).target).toEqual({
      kind: 'versions',
      versions: new Map([
        ['a', 'v1'],
        ['b', 'null'],
        ['c', null],
      ]),
    })
  })

  it('verify: the command is the mode; --drill is a switch', () => {
    const cli = run(['verify', '--bucket', 'b-1', '--keys', 'a', '--drill', '--profile', 'p'])
    expect(cli.profile).toBe('p')
    const s = parseSettings(cli.read)
    expect(s.mode).toBe('verify')
    expect(s.verify?.drill).toBe(true)
  })

  it.each([
    [['--bucket', 'b'], 'missing command before --bucket'],
    [['rollback'], 'unknown command "rollback": expected restore, verify, snapshot, diff'],
    [['restor'], 'unknown command "restor"; did you mean restore?'],
    [['verify', 'extra'], 'unexpected argument "extra"'],
    [['restore', '--to-tme', 'x'], 'unknown flag --to-tme; did you mean --to-time?'],
    [['restore', '--buckt=b'], 'unknown flag --buckt; did you mean --bucket?'],
    [['verify', '--bogus'], 'unknown flag --bogus'],
    [['verify', '--bucket'], 'flag --bucket needs a value'],
    [['verify', '--bucket', '--keys', 'a'], 'flag --bucket needs a value before the next flag'],
    [['restore', '--dry-run=yes'], 'flag --dry-run is a switch and takes no value'],
    [['verify', '--mode', 'restore'], 'unknown flag --mode'],
    [['restore', '--drill'], '--drill is a flag of verify, not restore'],
    [['verify', '--prefix', 'p/'], '--prefix is a flag of restore, snapshot and diff, not verify'],
    [['snapshot'], 'snapshot needs an action: create, list or show'],
    [['snapshot', 'creat', 'x'], 'unknown snapshot action "creat"; did you mean create?'],
    [['snapshot', 'create'], 'snapshot create needs a NAME'],
    [['snapshot', 'list', 'extra'], 'unexpected argument "extra"'],
    [['diff', '--to-time', 'x'], '--to-time is a flag of restore and verify, not diff'],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(UsageError)
    expect(() => parseCli(argv)).toThrow(message)
  })

  it('no arguments at all is a usage error that shows the help', () => {
    expect(parseCli([])).toEqual({ command: 'help', missing: true })
  })

  it.each([
    [['--help'], undefined],
    [['-h'], undefined],
    [['help'], undefined],
    [['help', 'verify'], 'verify'],
    [['verify', '--help'], 'verify'],
    [['restore', '--bucket', 'b', '-h'], 'restore'],
  ])('%j asks for help', (argv, topic) => {
    expect(parseCli(argv)).toEqual({ command: 'help', topic })
  })

  it.each([[['--version']], [['-V']], [['version']]])('%j asks for the version', (argv) => {
    expect(parseCli(argv)).toEqual({ command: 'version' })
  })
})

describe('the flag table', () => {
  const action = parse(readFileSync('action.yml', 'utf8')) as {
    inputs: Record<string, { default?: string }>
  }

  it('has a flag for every action input but mode, on the commands that use it', () => {
    const restore = cliOptions('restore')
    const verify = cliOptions('verify')
    for (const name of Object.values(Inputs)) {
      if (name === Inputs.Mode) {
        expect(restore[name]).toBeUndefined()
        continue
      }
      expect(`${name}: ${restore[name] !== undefined || verify[name] !== undefined}`).toBe(
        `${name}: true`,
      )
    }
    expect(verify[Inputs.Prefix]).toBeUndefined()
    expect(restore[Inputs.Drill]).toBeUndefined()
    expect(flagFor(Inputs.Keys)).toBe('--key/--keys')
    expect(flagFor(Inputs.VersionIds)).toBe('--version-id/--version-ids')
    expect(flagFor(Inputs.MinWindow)).toBe('--min-window')
  })

  it("shows action.yml's default for every input that has one", () => {
    for (const flag of FLAGS) {
      const input = action.inputs[flag.input ?? flag.name]
      const fallback = input?.default
      if (!input || fallback === undefined || fallback === '' || fallback === 'false') continue
      if (fallback.startsWith('${{')) continue // github.token: the CLI reads GITHUB_TOKEN
      expect(`${flag.name}: ${flag.default}`).toBe(`${flag.name}: ${fallback}`)
    }
  })

  it("lists every flag of a command, with its default, in that command's help", () => {
    for (const command of ['restore', 'verify'] as const) {
      const help = commandHelp(command)
      for (const flag of FLAGS.filter((f) => f.commands.includes(command))) {
        expect(help).toContain(`--${flag.name}`)
        if (flag.default) expect(help).toContain(`(default: ${flag.default})`)
      }
      expect(help).toMatch(/Exit codes:\n {2}0 /)
    }
    expect(generalHelp(VERSION)).toContain(`s3-rollback ${VERSION}:`)
  })

  it('has the version of package.json', () => {
    expect(VERSION).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version)
  })

  it.each([
    ['to-tme', 'to-time'],
    ['dryrun', 'dry-run'],
    ['bukcet', 'bucket'],
    ['concurency', 'concurrency'],
    ['endpoint', 'endpoint-url'],
    ['xyz', undefined],
  ])('did you mean: %s → %s', (typed, guess) => {
    expect(
      didYouMean(
        typed,
        FLAGS.map((f) => f.name),
      ),
    ).toBe(guess)
  })
})

describe('command-line wording', () => {
  it('names flags, not action inputs', () => {
    expect(inFlags("set 'if-missing' to delete or skip; 'keys' or 'version-ids'")).toBe(
      'set --if-missing to delete or skip; --key/--keys or --version-id/--version-ids',
    )
    expect(inFlags("the run's 'unknown-thing'")).toBe("the run's 'unknown-thing'")
    expect(inputErrorText(new InputError(Inputs.Bucket, '', 'a bucket name'))).toBe(
      'missing flag --bucket: expected a bucket name.',
    )
    expect(inputErrorText(new InputError(Inputs.ToTime, 'x', "a time, or 'version-ids'"))).toBe(
      '--to-time has an invalid value "x": expected a time, or --version-id/--version-ids.',
    )
  })
})
