import { describe, expect, it } from '@jest/globals'
import { UsageError, cliOptions, flagFor, parseCli } from '../src/cli/args.js'
import { parseSettings } from '../src/settings/index.js'
import { Inputs } from '../src/settings/names.js'

describe('parseCli', () => {
  it('reads flags as the action reads inputs', () => {
    const cli = parseCli([
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
    const cli = parseCli([
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
    const cli = parseCli(['verify', '--bucket', 'b-1', '--keys', 'a', '--drill', '--profile', 'p'])
    expect(cli.profile).toBe('p')
    const s = parseSettings(cli.read)
    expect(s.mode).toBe('verify')
    expect(s.verify?.drill).toBe(true)
  })

  it.each([
    [[], 'missing command'],
    [['rollback'], 'unknown command "rollback"'],
    [['verify', 'extra'], 'unexpected argument "extra"'],
    [['verify', '--bogus'], "Unknown option '--bogus'"],
    [['verify', '--bucket'], "Option '--bucket <value>' argument missing"],
    [['verify', '--mode', 'restore'], "Unknown option '--mode'"],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(UsageError)
    expect(() => parseCli(argv)).toThrow(message)
  })

  it.each([[['--help']], [['-h']], [['help']], [['verify', '--help']]])(
    '%j asks for help',
    (argv) => {
      expect(parseCli(argv).command).toBe('help')
    },
  )

  it('has a flag for every action input but mode', () => {
    const options = cliOptions()
    for (const name of Object.values(Inputs)) {
      if (name === Inputs.Mode) expect(options[name]).toBeUndefined()
      else expect(`${name}: ${options[name] !== undefined}`).toBe(`${name}: true`)
    }
    expect(flagFor(Inputs.Keys)).toBe('--key/--keys')
    expect(flagFor(Inputs.MinWindow)).toBe('--min-window')
  })
})
