/**
 * scripts/release.mjs against a scratch repository with a bare remote, in a temp dir: the tags
 * it creates and pushes, the major tag moved by a second release, the notes taken exactly from
 * the changelog, the GitHub steps in their order (draft with the tarball, publish, then the major
 * tag), and each refusal, after which nothing has changed: not the tree, not a tag here or on the
 * remote. GitHub cannot be reached from the tests: `--github dry-run` prints the gh commands,
 * and one test puts a `gh` on PATH that records its arguments and the remote's tags when called.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const script = new URL('../scripts/release.mjs', import.meta.url).pathname
const root = new URL('..', import.meta.url).pathname
const SLOW = 60_000 // a release spawns git, npm run and npm pack: seconds on a busy machine

let scratch: string
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 's3-rollback-release-test-'))
})
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** The environment of every command: no NODE_OPTIONS from jest, npm's cache in the scratch dir. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: scratch,
    npm_config_cache: join(scratch, 'npm-cache'),
    npm_config_update_notifier: 'false',
    GIT_CONFIG_NOSYSTEM: '1',
    ...extra,
  }
  return e
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: env(), encoding: 'utf8' }).trim()
}

const NOTES_1_0_0 = [
  '### Added',
  '',
  '- The first release, with a [link](https://example.com) and `code`.',
  '',
  '```text',
  '## [9.9.9] - a heading inside a code block is text',
  '[x]: not a link definition either',
  '```',
  '',
  '### Fixed',
  '',
  '- Nothing yet.',
].join('\n')

const NOTES_1_1_0 = '### Changed\n\n- The second release.'

/** A Keep a Changelog file with the given sections, newest first, and link definitions. */
function changelog(sections: [string, string][]): string {
  const parts = sections.map(([v, notes]) => `## [${v}] - 2026-12-08\n\n${notes}\n`)
  const links = sections.map(([v]) => `[${v}]: https://example.com/v${v}`)
  return ['# Changelog', '', '## [Unreleased]', '', ...parts, ...links, ''].join('\n')
}

/** A repository like this one (package.json, src/, a bundle script that builds dist/), pushed. */
function repository(name: string): { work: string; remote: string } {
  const dir = join(scratch, name)
  const remote = join(dir, 'remote.git')
  const work = join(dir, 'work')
  mkdirSync(join(work, 'src'), { recursive: true })
  execFileSync('git', ['init', '--quiet', '--bare', remote], { env: env() })
  git(work, 'init', '--quiet', '-b', 'main')
  git(work, 'config', 'user.name', 'Release Test')
  git(work, 'config', 'user.email', 'release-test@example.com')
  writeFileSync(join(work, 'src/cli.js'), 'console.log("s3-rollback")\n')
  writeFileSync(
    join(work, 'build.mjs'),
    "import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'\n" +
      "mkdirSync('dist/cli', { recursive: true })\n" +
      "writeFileSync('dist/cli/index.js', '#!/usr/bin/env node\\n' + readFileSync('src/cli.js', 'utf8'))\n",
  )
  setVersion(work, '1.0.0')
  writeFileSync(join(work, 'CHANGELOG.md'), changelog([['1.0.0', NOTES_1_0_0]]))
  build(work)
  git(work, 'add', '-A')
  git(work, 'commit', '--quiet', '-m', 'First')
  git(work, 'remote', 'add', 'origin', remote)
  git(work, 'push', '--quiet', 'origin', 'main')
  return { work, remote }
}

function setVersion(work: string, version: string): void {
  const pkg = {
    name: 's3-rollback',
    version,
    private: true,
    type: 'module',
    bin: { 's3-rollback': 'dist/cli/index.js' },
    files: ['dist/cli/', 'CHANGELOG.md'],
    scripts: { bundle: 'node build.mjs' },
  }
  writeFileSync(join(work, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`)
}

function build(work: string): void {
  execFileSync('node', ['build.mjs'], { cwd: work, env: env() })
}

interface Release {
  code: number | null
  stdout: string
  stderr: string
}

function release(work: string, args: string[], extraEnv?: Record<string, string>): Release {
  const run = spawnSync('node', [script, ...args], {
    cwd: work,
    env: env(extraEnv),
    encoding: 'utf8',
  })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

/** name → commit of every tag (peeled), as `git ls-remote` or `git show-ref` list them. */
function tags(listing: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of listing.split('\n').filter(Boolean)) {
    const [sha, ref] = line.split(/\s+/)
    if (!ref.startsWith('refs/tags/')) continue
    const name = ref.slice('refs/tags/'.length)
    if (name.endsWith('^{}')) out[name.slice(0, -3)] = sha
    else out[name] ??= sha
  }
  return out
}

const remoteTags = (work: string): Record<string, string> =>
  tags(git(work, 'ls-remote', '--tags', 'origin'))

function localTags(work: string): Record<string, string> {
  try {
    return tags(git(work, 'show-ref', '--tags', '--dereference'))
  } catch {
    return {} // show-ref exits 1 when there is no tag
  }
}

/** The state a refusal must leave: the tree's status, its files' bytes, the tags everywhere. */
function state(work: string): unknown {
  return {
    status: git(work, 'status', '--porcelain', '--untracked-files=all'),
    head: git(work, 'rev-parse', 'HEAD'),
    dist: readFileSync(join(work, 'dist/cli/index.js'), 'utf8'),
    src: readFileSync(join(work, 'src/cli.js'), 'utf8'),
    local: localTags(work),
    remote: remoteTags(work),
  }
}

/** Commits a second version: a change to src/, dist/ rebuilt, its changelog section. */
function secondVersion(work: string, version = '1.1.0'): void {
  writeFileSync(join(work, 'src/cli.js'), 'console.log("s3-rollback, second")\n')
  build(work)
  setVersion(work, version)
  writeFileSync(
    join(work, 'CHANGELOG.md'),
    changelog([
      [version, NOTES_1_1_0],
      ['1.0.0', NOTES_1_0_0],
    ]),
  )
  git(work, 'add', '-A')
  git(work, 'commit', '--quiet', '-m', `Version ${version}`)
}

describe('scripts/release.mjs', () => {
  it(
    'tags and pushes vX.Y.Z and v1, with the notes and the tarball; a second release moves v1 only',
    () => {
      const { work } = repository('two-releases')
      const out = join(scratch, 'two-releases/out')
      const first = release(work, ['--github', 'dry-run', '--out', out])
      expect(first.stderr).toBe('')
      expect(first.code).toBe(0)
      const firstCommit = git(work, 'rev-parse', 'HEAD')
      expect(remoteTags(work)).toEqual({ 'v1.0.0': firstCommit, v1: firstCommit })
      expect(git(work, 'cat-file', '-t', 'refs/tags/v1.0.0')).toBe('tag') // annotated
      expect(readFileSync(join(out, 'notes.md'), 'utf8')).toBe(`${NOTES_1_0_0}\n`)
      expect(existsSync(join(out, 's3-rollback-1.0.0.tgz'))).toBe(true)
      const tarball = join(out, 's3-rollback-1.0.0.tgz')
      const notes = join(out, 'notes.md')
      expect(first.stdout).toContain(
        `would run: gh release create v1.0.0 ${tarball} --draft --verify-tag --title v1.0.0 --notes-file ${notes}\n` +
          'would run: gh release edit v1.0.0 --draft=false\n' +
          '$ git tag -f v1 v1.0.0^{commit}\n',
      )
      expect(git(work, 'status', '--porcelain', '--untracked-files=all')).toBe('')

      secondVersion(work)
      const second = release(work, ['--github', 'dry-run', '--out', out])
      expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' })
      const secondCommit = git(work, 'rev-parse', 'HEAD')
      expect(remoteTags(work)).toEqual({
        'v1.0.0': firstCommit,
        'v1.1.0': secondCommit,
        v1: secondCommit,
      })
      expect(readFileSync(join(out, 'notes.md'), 'utf8')).toBe(`${NOTES_1_1_0}\n`)
    },
    SLOW,
  )

  it(
    'calls gh after the version tag is on the remote and before v1 moves: draft, then publish',
    () => {
      const { work } = repository('gh-order')
      const bin = join(scratch, 'gh-order/bin')
      const log = join(scratch, 'gh-order/gh.log')
      mkdirSync(bin)
      writeFileSync(
        join(bin, 'gh'),
        '#!/bin/sh\n' +
          'echo "gh $*" >> "$GH_LOG"\n' +
          'echo "remote: $(git ls-remote --tags origin | grep -v "\\^{}" | cut -f2 | tr "\\n" " ")" >> "$GH_LOG"\n',
      )
      chmodSync(join(bin, 'gh'), 0o755)
      const run = release(work, ['--out', join(scratch, 'gh-order/out')], {
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        GH_LOG: log,
      })
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' })
      const out = join(scratch, 'gh-order/out')
      expect(readFileSync(log, 'utf8')).toBe(
        `gh release create v1.0.0 ${out}/s3-rollback-1.0.0.tgz --draft --verify-tag --title v1.0.0 --notes-file ${out}/notes.md\n` +
          'remote: refs/tags/v1.0.0 \n' +
          'gh release edit v1.0.0 --draft=false\n' +
          'remote: refs/tags/v1.0.0 \n',
      )
      expect(Object.keys(remoteTags(work)).sort()).toEqual(['v1', 'v1.0.0'])
    },
    SLOW,
  )

  it(
    '--github draft: the draft with the tarball, then it stops and says how to finish; v1 stays',
    () => {
      const { work } = repository('draft')
      const bin = join(scratch, 'draft/bin')
      const log = join(scratch, 'draft/gh.log')
      mkdirSync(bin)
      writeFileSync(join(bin, 'gh'), '#!/bin/sh\necho "gh $*" >> "$GH_LOG"\n')
      chmodSync(join(bin, 'gh'), 0o755)
      const out = join(scratch, 'draft/out')
      const run = release(work, ['--github', 'draft', '--out', out], {
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        GH_LOG: log,
      })
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' })
      expect(readFileSync(log, 'utf8')).toBe(
        `gh release create v1.0.0 ${out}/s3-rollback-1.0.0.tgz --draft --verify-tag --title v1.0.0 --notes-file ${out}/notes.md\n`,
      )
      expect(Object.keys(remoteTags(work))).toEqual(['v1.0.0'])
      expect(run.stdout).toContain(
        "Left v1.0.0 as a draft release. To finish: publish it in GitHub's web UI (Releases, " +
          'v1.0.0, Edit: tick "Publish this Action to the GitHub Marketplace", then Publish ' +
          'release), then move v1:\n  git tag -f v1 v1.0.0^{commit}\n' +
          '  git push --force origin refs/tags/v1\n',
      )
    },
    SLOW,
  )

  it(
    '--github skip: no gh step, the tags are pushed; --dry-run: the commands only',
    () => {
      const { work } = repository('skip')
      const dry = release(work, ['--dry-run', '--github', 'skip'])
      expect({ code: dry.code, stderr: dry.stderr }).toEqual({ code: 0, stderr: '' })
      expect(dry.stdout).toContain("would run: git tag -a v1.0.0 -m 's3-rollback 1.0.0' HEAD\n")
      expect(dry.stdout).toContain('would run: git push --force origin refs/tags/v1\n')
      expect(dry.stdout).not.toContain('gh ')
      expect(remoteTags(work)).toEqual({})
      expect(localTags(work)).toEqual({})

      const run = release(work, ['--github', 'skip'])
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' })
      expect(run.stdout).not.toContain('gh release')
      const head = git(work, 'rev-parse', 'HEAD')
      expect(remoteTags(work)).toEqual({ 'v1.0.0': head, v1: head })
    },
    SLOW,
  )

  it(
    'prints the steps left when one fails (the remote refuses v1)',
    () => {
      const { work, remote } = repository('fails')
      writeFileSync(
        join(remote, 'hooks/pre-receive'),
        '#!/bin/sh\nwhile read old new ref; do [ "$ref" = refs/tags/v1 ] && exit 1; done; exit 0\n',
      )
      chmodSync(join(remote, 'hooks/pre-receive'), 0o755)
      const run = release(work, ['--github', 'skip'])
      expect(run.code).toBe(1)
      expect(run.stderr).toMatch(/^release: git push --force origin refs\/tags\/v1 failed:/)
      expect(run.stderr).toContain(
        'Not done yet (run by hand once the cause is fixed):\n' +
          '  git push --force origin refs/tags/v1\n',
      )
      expect(Object.keys(remoteTags(work))).toEqual(['v1.0.0'])
    },
    SLOW,
  )

  describe('refuses, with nothing changed', () => {
    it(
      'a dirty tree',
      () => {
        const { work } = repository('dirty')
        writeFileSync(join(work, 'src/cli.js'), 'console.log("edited, not committed")\n')
        writeFileSync(join(work, 'stray.txt'), 'x\n')
        const before = state(work)
        const run = release(work, ['--github', 'dry-run'])
        expect(run.code).toBe(1)
        expect(run.stderr).toBe(
          'release: refused: the working tree is not clean:\n' +
            '   M src/cli.js\n  ?? stray.txt\nCommit or remove these first.\n',
        )
        expect(state(work)).toEqual(before)
      },
      SLOW,
    )

    it(
      'a dist/ that is not what src/ builds (and puts the build back)',
      () => {
        const { work } = repository('stale')
        writeFileSync(join(work, 'src/cli.js'), 'console.log("changed, dist not rebuilt")\n')
        git(work, 'commit', '--quiet', '-am', 'src only')
        const before = state(work)
        const run = release(work, ['--github', 'dry-run'])
        expect(run.code).toBe(1)
        expect(run.stderr).toBe(
          'release: refused: dist/ is not what src/ builds: npm run bundle changes\n' +
            '  dist/cli/index.js\nRun npm run bundle, commit dist/, and release that commit.\n',
        )
        expect(state(work)).toEqual(before)
      },
      SLOW,
    )

    it(
      'a version without a changelog section',
      () => {
        const { work } = repository('no-section')
        setVersion(work, '1.2.0')
        git(work, 'commit', '--quiet', '-am', '1.2.0 without notes')
        const before = state(work)
        const run = release(work, ['--github', 'dry-run'])
        expect(run.code).toBe(1)
        expect(run.stderr).toBe(
          'release: refused: CHANGELOG.md has no section for 1.2.0: add "## [1.2.0] - YYYY-MM-DD" with what changed\n',
        )
        expect(state(work)).toEqual(before)
      },
      SLOW,
    )

    it(
      'a tag that exists, here or only on the remote',
      () => {
        const { work } = repository('exists')
        expect(release(work, ['--github', 'skip']).code).toBe(0)
        let before = state(work)
        let run = release(work, ['--github', 'dry-run'])
        expect(run.code).toBe(1)
        expect(run.stderr).toBe(
          'release: refused: the tag v1.0.0 already exists here: a released version is never ' +
            'moved or reused; raise the version in package.json, src/cli/version.ts and CHANGELOG.md\n',
        )
        expect(state(work)).toEqual(before)

        git(work, 'tag', '-d', 'v1.0.0')
        before = state(work)
        run = release(work, ['--github', 'dry-run'])
        expect(run.code).toBe(1)
        expect(run.stderr).toContain('the tag v1.0.0 already exists on origin')
        expect(state(work)).toEqual(before)
      },
      SLOW,
    )

    it(
      'a version not greater than the last',
      () => {
        const { work } = repository('older')
        expect(release(work, ['--github', 'skip']).code).toBe(0)
        secondVersion(work, '0.9.0')
        const before = state(work)
        const run = release(work, ['--github', 'dry-run'])
        expect(run.code).toBe(1)
        expect(run.stderr).toBe(
          'release: refused: 0.9.0 is not greater than the last release v1.0.0\n',
        )
        expect(state(work)).toEqual(before)
      },
      SLOW,
    )

    it('a bad --github value', () => {
      const { work } = repository('usage')
      const before = state(work)
      const run = release(work, ['--github', 'maybe'])
      expect(run.code).toBe(1)
      expect(run.stderr).toBe(
        'release: refused: --github has an invalid value "maybe": expected run, draft, dry-run or skip\n',
      )
      expect(state(work)).toEqual(before)
    })
  })
})

describe('this repository', () => {
  it('package.json, src/cli/version.ts and CHANGELOG.md name the same version', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    const source = readFileSync(join(root, 'src/cli/version.ts'), 'utf8')
    expect(source).toContain(`export const VERSION = '${version}'`)
    const log = readFileSync(join(root, 'CHANGELOG.md'), 'utf8')
    expect(log).toMatch(
      new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'),
    )
    expect(log).toContain(
      `[${version}]: https://github.com/usds/s3-rollback/releases/tag/v${version}`,
    )
  })
})
