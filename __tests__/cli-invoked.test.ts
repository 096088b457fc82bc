// How the CLI names itself in hints and printed commands (src/cli/invoked.ts), over real files,
// links and PATHs in a temp dir; and the one line it prints on a Node it does not support
// (src/cli/node-support.ts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { BIN_NAME, invokedAs } from '../src/cli/invoked.js'
import { MIN_NODE_MAJOR, oldNodeLine, warnOnOldNode } from '../src/cli/node-support.js'

let dir: string
/** An installed CLI: lib/…/dist/cli/index.js, linked from bin/s3-rollback as `npm i -g` does. */
let script: string
let bin: string

beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 's3-rollback-invoked-')))
  script = join(dir, 'lib/node_modules/s3-rollback/dist/cli/index.js')
  mkdirSync(join(script, '..'), { recursive: true })
  writeFileSync(script, '#!/usr/bin/env node\n')
  chmodSync(script, 0o755)
  bin = join(dir, 'bin')
  mkdirSync(bin)
  symlinkSync('../lib/node_modules/s3-rollback/dist/cli/index.js', join(bin, BIN_NAME))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A folder holding an executable (or not) file named s3-rollback that is not our script. */
function other(name: string, mode = 0o755): string {
  const folder = join(dir, name)
  mkdirSync(folder, { recursive: true })
  writeFileSync(join(folder, BIN_NAME), '#!/bin/sh\n')
  chmodSync(join(folder, BIN_NAME), mode)
  return folder
}

const path = (...dirs: string[]): string => dirs.join(delimiter)

describe('invokedAs', () => {
  it('installed: the name, whether run by the link on PATH or by the script path', () => {
    expect(invokedAs(join(bin, BIN_NAME), path('/usr/bin', bin))).toEqual([BIN_NAME])
    expect(invokedAs(script, path(bin, '/usr/bin'))).toEqual([BIN_NAME])
  })

  it('not on PATH (a clone): node and the absolute, real path of the script', () => {
    expect(invokedAs(script, path('/usr/bin', '/bin'))).toEqual(['node', script])
    expect(invokedAs(script, '')).toEqual(['node', script])
    const linkedDir = join(dir, 'checkout-link')
    symlinkSync(join(dir, 'lib'), linkedDir)
    const viaLink = join(linkedDir, 'node_modules/s3-rollback/dist/cli/index.js')
    expect(invokedAs(viaLink, '/usr/bin')).toEqual(['node', script])
  })

  it('another s3-rollback first on PATH: the shell would run that one, so node and the path', () => {
    expect(invokedAs(script, path(other('elsewhere/bin'), bin))).toEqual(['node', script])
  })

  it('a file of that name that cannot be run is passed over, as the shell does', () => {
    expect(invokedAs(script, path(other('not-executable', 0o644), bin))).toEqual([BIN_NAME])
  })

  it("npx and npm scripts' node_modules/.bin, and relative entries, are not the user's PATH", () => {
    const npxBin = join(dir, '_npx/0123abcd/node_modules/.bin')
    mkdirSync(npxBin, { recursive: true })
    symlinkSync(script, join(npxBin, BIN_NAME))
    expect(invokedAs(script, path(npxBin, '/usr/bin'))).toEqual(['node', script])
    expect(invokedAs(script, path('bin', '.', ''))).toEqual(['node', script])
  })

  it('a script that is not there: node and its absolute path', () => {
    expect(invokedAs(join(dir, 'gone.js'), bin)).toEqual(['node', join(dir, 'gone.js')])
  })
})

describe('oldNodeLine and warnOnOldNode', () => {
  it('one line on a Node older than 22, nothing on 22 and later', () => {
    expect(oldNodeLine('v20.20.2')).toBe(
      's3-rollback: warning: Node v20.20.2 is past its end of life and not supported; ' +
        'use Node 22 or later (this run goes on).',
    )
    expect(oldNodeLine('v18.0.0')).toMatch(/^s3-rollback: warning: Node v18\.0\.0 /)
    expect(oldNodeLine('v22.0.0')).toBeUndefined()
    expect(oldNodeLine('v24.21.0')).toBeUndefined()
    expect(oldNodeLine('v100.1.0')).toBeUndefined()
  })

  it("says it once and turns the AWS SDK's warning off; on a supported Node, neither", () => {
    const said: string[] = []
    const env: NodeJS.ProcessEnv = {}
    warnOnOldNode('v20.20.2', env, (l) => said.push(l))
    expect(said).toEqual([oldNodeLine('v20.20.2')])
    expect(env).toEqual({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' })
    const quiet: NodeJS.ProcessEnv = {}
    warnOnOldNode('v24.21.0', quiet, (l) => said.push(l))
    expect(said).toHaveLength(1)
    expect(quiet).toEqual({})
  })

  it("is package.json's engines.node", () => {
    const { engines } = JSON.parse(readFileSync('package.json', 'utf8')) as {
      engines: { node: string }
    }
    expect(engines.node).toBe(`>=${MIN_NODE_MAJOR}`)
  })
})
