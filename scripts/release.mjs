#!/usr/bin/env node
// Releases the version in package.json as vX.Y.Z: checks, tags, cuts the GitHub release, moves vX.
//
//   node scripts/release.mjs [--remote origin] [--github run|draft|dry-run|skip] [--dry-run]
//                            [--out DIR]
//
// Refuses, with a message and nothing changed, when: the version is not X.Y.Z; the working tree
// is not clean; CHANGELOG.md has no section for the version; the tag vX.Y.Z exists here or on the
// remote; the version is not greater than every vA.B.C tag here and on the remote; dist/ is not
// what `npm run bundle` builds from src/ (built in place, then put back as it was).
//
// Then, in an order made for GitHub's immutable releases (a published release's tag and assets
// can never change, and a tag name once used cannot be used again):
//   1. the notes (the changelog's section) and the packed CLI (`npm pack`) are made in --out;
//   2. vX.Y.Z is tagged (annotated) and pushed: never moved, never reused;
//   3. a draft release of vX.Y.Z is created with the notes and the tarball attached, then
//      published (`gh release create --draft`, `gh release edit --draft=false`);
//   4. the major tag vX is moved to the release and pushed: the only tag that moves.
// --github draft stops at the draft, for a maintainer to publish it in the web UI (where the
// Marketplace listing is ticked), and prints step 4 to run after; --github dry-run prints step
// 3's commands instead; --github skip leaves it out (the git part runs against any remote).
// --dry-run checks and makes the notes and tarball, and prints every later command without
// running it. When a step fails, the commands that remain are printed.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

/** A refusal: said in one message, with nothing changed. */
class Refused extends Error {}

const USAGE =
  'usage: node scripts/release.mjs [--remote NAME] [--github run|draft|dry-run|skip] ' +
  '[--dry-run] [--out DIR]'

/** Runs a command; returns its stdout (trimmed). Throws with its stderr when it fails. */
function run(cmd, args, options = {}) {
  return runRaw(cmd, args, options).trim()
}

/** Runs a command; returns its stdout as it is. */
function runRaw(cmd, args, options = {}) {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
      ...options,
    })
  } catch (e) {
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim()
    throw new Error(`${[cmd, ...args].join(' ')} failed${output ? `:\n${output}` : ''}`)
  }
}

const git = (...args) => run('git', args)

/** A word for a POSIX shell, quoted only when it needs to be. */
const quote = (word) =>
  /^[\w@%+=:,./^{}-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`

/** The text of `## [version]` in a Keep a Changelog file, without its heading (else undefined). */
function changelogSection(text, version) {
  const lines = text.split('\n')
  const heading = /^## \[([^\]]+)\]/
  const start = lines.findIndex((l) => heading.exec(l)?.[1] === version)
  if (start === -1) return undefined
  const body = []
  let fenced = false
  for (const line of lines.slice(start + 1)) {
    if (/^(```|~~~)/.test(line)) fenced = !fenced
    if (!fenced && (heading.test(line) || /^\[[^\]]+\]:\s/.test(line))) break
    body.push(line)
  }
  return body.join('\n').trim()
}

/** [major, minor, patch] of X.Y.Z or vX.Y.Z; undefined for anything else. */
function semver(text) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text)
  return m ? m.slice(1).map(Number) : undefined
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return 0
}

/** Tags named vX.Y.Z (here and on the remote), and whether `tag` is among all tags. */
function tagsOf(remote, tag) {
  const local = git('tag', '--list').split('\n').filter(Boolean)
  const remoteRefs = git('ls-remote', '--tags', remote)
    .split('\n')
    .filter(Boolean)
    .map((l) =>
      l
        .split('\t')[1]
        .replace(/^refs\/tags\//, '')
        .replace(/\^\{\}$/, ''),
    )
  const all = new Set([...local, ...remoteRefs])
  return {
    exists: all.has(tag) ? (local.includes(tag) ? 'here' : `on ${remote}`) : undefined,
    versions: [...all].filter((t) => semver(t) !== undefined),
  }
}

/** Paths `git status` shows (tracked changes and untracked files), [status, path] each. */
function changes() {
  const out = runRaw('git', ['status', '--porcelain', '--untracked-files=all'])
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => [l.slice(0, 2), l.slice(3)])
}

/**
 * Builds with `npm run bundle` in place and compares with the commit (the tree was clean, so any
 * change is the build's); puts every path back as it was before answering.
 */
function checkDist(root, scripts) {
  if (!scripts?.bundle) throw new Refused('package.json has no "bundle" script to check dist/ with')
  console.log('Checking that dist/ is what src/ builds (npm run bundle)…')
  let built
  try {
    run('npm', ['run', '--silent', 'bundle'], { cwd: root })
  } finally {
    built = changes()
    const tracked = built.filter(([s]) => s !== '??').map(([, p]) => p)
    if (tracked.length > 0) git('checkout', '--', ...tracked)
    for (const [s, p] of built) if (s === '??') rmSync(join(root, p), { force: true })
  }
  if (changes().length > 0) throw new Error('the build left changes that could not be put back')
  if (built.length > 0) {
    const paths = built.map(([, p]) => `  ${p}`).join('\n')
    throw new Refused(
      `dist/ is not what src/ builds: npm run bundle changes\n${paths}\n` +
        'Run npm run bundle, commit dist/, and release that commit.',
    )
  }
}

function parse(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      remote: { type: 'string', default: 'origin' },
      github: { type: 'string', default: 'run' },
      'dry-run': { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (positionals.length > 0) throw new Refused(`unexpected argument ${positionals[0]}\n${USAGE}`)
  if (!['run', 'draft', 'dry-run', 'skip'].includes(values.github)) {
    throw new Refused(
      `--github has an invalid value "${values.github}": expected run, draft, dry-run or skip`,
    )
  }
  return values
}

function main(argv) {
  const options = parse(argv)
  if (options.help) return void console.log(USAGE)
  const root = git('rev-parse', '--show-toplevel')
  process.chdir(root)
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
  const version = pkg.version
  const tag = `v${version}`
  const { remote } = options

  // Checks, cheapest first; each refuses with nothing changed.
  if (!semver(version)) {
    throw new Refused(`package.json's version "${version}" is not a release version X.Y.Z`)
  }
  const dirty = changes()
  if (dirty.length > 0) {
    const paths = dirty.map(([s, p]) => `  ${s} ${p}`).join('\n')
    throw new Refused(`the working tree is not clean:\n${paths}\nCommit or remove these first.`)
  }
  let changelog
  try {
    changelog = readFileSync('CHANGELOG.md', 'utf8')
  } catch {
    throw new Refused('CHANGELOG.md cannot be read: the release notes come from it')
  }
  const notes = changelogSection(changelog, version)
  if (!notes) {
    throw new Refused(
      `CHANGELOG.md has no section for ${version}: add "## [${version}] - YYYY-MM-DD" with what changed`,
    )
  }
  const tags = tagsOf(remote, tag)
  if (tags.exists) {
    throw new Refused(
      `the tag ${tag} already exists ${tags.exists}: a released version is never moved or reused; ` +
        'raise the version in package.json, src/cli/version.ts and CHANGELOG.md',
    )
  }
  const newest = tags.versions.sort((a, b) => compare(semver(b), semver(a)))[0]
  if (newest && compare(semver(version), semver(newest)) <= 0) {
    throw new Refused(`${version} is not greater than the last release ${newest}`)
  }
  checkDist(root, pkg.scripts)

  // The notes and the tarball.
  const out = resolve(options.out ?? mkdtempSync(join(tmpdir(), 'release-')))
  mkdirSync(out, { recursive: true })
  try {
    const notesFile = join(out, 'notes.md')
    writeFileSync(notesFile, `${notes}\n`)
    console.log(`Notes (CHANGELOG.md, ${version}) in ${notesFile}:\n\n${notes}\n`)
    const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', out]))
    const tarball = join(out, packed.filename)
    console.log(`Packed ${packed.filename}: ${packed.entryCount} files, ${packed.size} bytes`)

    const major = `v${semver(version)[0]}`
    const create = ['gh', 'release', 'create', tag, tarball, '--draft', '--verify-tag']
    const moveMajor = [
      ['git', 'tag', '-f', major, `${tag}^{commit}`],
      ['git', 'push', '--force', remote, `refs/tags/${major}`],
    ]
    const draft = options.github === 'draft'
    const steps = [
      ['git', 'tag', '-a', tag, '-m', `${pkg.name} ${version}`, 'HEAD'],
      ['git', 'push', remote, `refs/tags/${tag}`],
      ...(options.github === 'skip'
        ? []
        : [[...create, '--title', tag, '--notes-file', notesFile]]),
      ...(options.github === 'skip' || draft
        ? []
        : [['gh', 'release', 'edit', tag, '--draft=false']]),
      ...(draft ? [] : moveMajor),
    ]
    const shell = (step) => step.map(quote).join(' ')
    for (const [i, [cmd, ...args]] of steps.entries()) {
      if (options['dry-run'] || (cmd === 'gh' && options.github === 'dry-run')) {
        console.log(`would run: ${shell([cmd, ...args])}`)
        continue
      }
      console.log(`$ ${shell([cmd, ...args])}`)
      try {
        const output = run(cmd, args)
        if (output) console.log(output)
      } catch (e) {
        const left = [...steps.slice(i), ...(draft ? moveMajor : [])]
        throw new Error(
          `${e.message}\nNot done yet (run by hand once the cause is fixed):\n` +
            left.map((step) => `  ${shell(step)}`).join('\n'),
        )
      }
    }
    if (draft) {
      console.log(
        `${options['dry-run'] ? 'Would leave' : 'Left'} ${tag} as a draft release. To finish: ` +
          `publish it in GitHub's web UI (Releases, ${tag}, Edit: tick "Publish this Action to ` +
          `the GitHub Marketplace", then Publish release), then move ${major}:\n` +
          moveMajor.map((step) => `  ${shell(step)}`).join('\n'),
      )
    } else if (!options['dry-run']) {
      console.log(`Released ${tag}; ${major} points at it.`)
    }
  } finally {
    if (options.out === undefined) rmSync(out, { recursive: true, force: true })
  }
}

try {
  main(process.argv.slice(2))
} catch (e) {
  console.error(`release: ${e instanceof Refused ? 'refused: ' : ''}${e.message}`)
  process.exitCode = 1
}
