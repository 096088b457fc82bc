// The undo command the CLI prints and the step the action reports: they reach the bucket as the
// run did, and the CLI's own parser reads the printed command back to the same settings.
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'
import { parseCli } from '../src/cli/args.js'
import { undoCommand, undoStep, type UndoOf } from '../src/report/undo.js'
import { parseSettings } from '../src/settings/index.js'

const CLI = ['node', '/opt/s3 rollback/dist/cli/index.js']

const local: UndoOf = {
  bucket: 'it-bucket',
  s3: { endpoint: 'http://127.0.0.1:7480', forcePathStyle: true, region: 'us-east-1' },
  expectedBucketOwner: '111122223333',
  profile: 'prod',
}

/** The words of a command line made of plain and single-quoted words (what quote() writes). */
function words(line: string): string[] {
  const out: string[] = []
  for (const m of line.matchAll(/(?:'((?:[^']|'\\'')*)'|(\S+))(?:\s|$)/g)) {
    out.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2])
  }
  return out
}

describe('undoCommand', () => {
  it('runs this CLI by path, with the way to the bucket, reading the undo file', () => {
    expect(undoCommand(CLI, local, { file: '/tmp/s3-rollback-Xb3k/undo.txt' })).toBe(
      "node '/opt/s3 rollback/dist/cli/index.js' restore --bucket it-bucket " +
        '--version-ids-file /tmp/s3-rollback-Xb3k/undo.txt --if-missing delete ' +
        '--region us-east-1 --endpoint-url http://127.0.0.1:7480 --force-path-style ' +
        '--expected-bucket-owner 111122223333 --profile prod',
    )
  })

  it('gives a few versions inline, one --version-id each, quoted for the shell', () => {
    const aws: UndoOf = { bucket: 'justice40-data', s3: { forcePathStyle: false } }
    expect(undoCommand(CLI, aws, { versionIds: ["it's.csv=v1", 'new.csv='] })).toBe(
      "node '/opt/s3 rollback/dist/cli/index.js' restore --bucket justice40-data " +
        "--version-id 'it'\\''s.csv=v1' --version-id new.csv= --if-missing delete",
    )
  })

  it.each([
    ['a file', { file: '/tmp/my undo/undo.txt' }],
    ['inline versions', { versionIds: ["it's.csv=v1", 'new.csv=', 'x=y.csv=null'] }],
  ])('is read back by the CLI to the same bucket, access and target (%s)', (_what, lines) => {
    const [node, script, ...argv] = words(undoCommand(CLI, local, lines))
    expect([node, script]).toEqual(CLI)
    const cli = parseCli(argv)
    if (cli.command !== 'restore') throw new Error(cli.command)
    expect(cli.profile).toBe('prod')
    if ('file' in lines) {
      expect(cli.read('version-ids-file')).toBe(lines.file)
      return
    }
    const s = parseSettings(cli.read)
    expect(s).toMatchObject({
      bucket: 'it-bucket',
      ifMissing: 'delete',
      expectedBucketOwner: '111122223333',
      s3: local.s3,
    })
    expect(s.target).toEqual({
      kind: 'versions',
      versions: new Map([
        ["it's.csv", 'v1'],
        ['new.csv', null],
        ['x=y.csv', 'null'],
      ]),
    })
  })
})

describe('undoStep', () => {
  it('is the with: block of a step that undoes the run', () => {
    const step = undoStep(local, '/home/runner/work/_temp/s3-rollback-Xb3k/undo.txt')
    expect(parse(step)).toEqual({
      with: {
        bucket: 'it-bucket',
        'version-ids-file': '/home/runner/work/_temp/s3-rollback-Xb3k/undo.txt',
        'if-missing': 'delete',
        region: 'us-east-1',
        'endpoint-url': 'http://127.0.0.1:7480',
        'force-path-style': true,
        'expected-bucket-owner': '111122223333',
      },
    })
  })
})
