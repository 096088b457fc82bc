#!/usr/bin/env node
/**
 * The command line: `s3-rollback restore|verify|snapshot|diff [flags]` (and help, version), on
 * the same modules as the action (parseSettings, rollback, verify, the snapshot store and diff).
 * Results go to stdout (a table, or JSON with --json); progress, errors and what to do about
 * them go to stderr. Exit codes: ./exit.ts.
 */
import { copyFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { userInfo } from 'node:os'
import { parseCli, UsageError } from './args.js'
import { InputError, diagnose, errorMessage } from '../lib/errors.js'
import { parseSettings, type Settings } from '../settings/index.js'
import type { Logger } from '../lib/log.js'
import { createS3Client, slowDownsOf } from '../s3/client.js'
import { concurrencyOf } from '../s3/pressure.js'
import {
  HEADER,
  closingLine,
  planLine,
  recordLine,
  slowDownLine,
  concurrencyLine,
  summaryRows,
  summaryTitle,
  writersLine,
} from '../report/rollback.js'
import { formatTable } from './table.js'
import { tableRows } from '../report/rows.js'
import { INLINE_UNDO_CHARS, undoCommand, type UndoOf } from '../report/undo.js'
import { runDirectory, useWorkRoot } from '../lib/jsonl.js'
import { verificationFailed, verify } from '../verify/index.js'
import { KEY_HEADER, bucketRows, keyRows, verdict } from '../report/verify.js'
import { EXIT, exitCodeOf } from './exit.js'
import { commandHelp, generalHelp } from './help.js'
import { VERSION } from './version.js'
import { thisCli, thisCliLine } from './invoked.js'
import { warnOnOldNode } from './node-support.js'
import { inFlags, inputErrorText } from './wording.js'
import { diffCommand, snapshotCommand, type StoreCommand } from './snapshots.js'
import { historyCommand } from './history.js'
import { Inputs } from '../settings/names.js'
import { cancelOnSignals } from '../lib/cancel.js'
import { cancel } from './cancel.js'
import { cancelNotice } from '../report/cancel.js'
import { recordedRollback, undoVersionIds, writtenBucket, type Manifest } from '../engine/index.js'
import { outputOf } from './output.js'
import { checkProfile } from './profile.js'
import { checkUndoFile, workDir } from './files.js'

/** stdout and stderr: a reader that goes away stops the printing, not the command (output.ts). */
const stderr = outputOf(process.stderr)
const stdout = outputOf(process.stdout, (e) =>
  stderr.line(`s3-rollback: cannot write to stdout (${e.message}); its output stops here`),
)

function stderrLogger(verbose: boolean): Logger {
  const write = (line: string): void => stderr.line(line)
  return {
    info: write,
    warning: (m) => write(`warning: ${inFlags(m)}`),
    debug: (m) => (verbose ? write(`debug: ${m}`) : undefined),
    group: (name, fn) => {
      write(`== ${name}`)
      return fn()
    },
  }
}

const print = (text: string): void => stdout.line(text)
const say = (text: string): void => stderr.line(text)

/** Runs one command line; returns the exit code. */
async function main(argv: string[]): Promise<number> {
  let options: ReturnType<typeof parseCli> | undefined
  let command: StoreCommand
  try {
    options = parseCli(argv)
    if (options.command === 'help') {
      const as = thisCliLine()
      const help = options.topic ? commandHelp(options.topic, as) : generalHelp(VERSION, as)
      if (options.missing) {
        stderr.write(help)
        return EXIT.usage
      }
      stdout.write(help)
      return EXIT.ok
    }
    if (options.command === 'version') {
      print(`s3-rollback ${VERSION}`)
      return EXIT.ok
    }
    if (options.command === 'diff') {
      command = diffCommand(options.read, options.read('from'), options.read('to'))
    } else if (options.command === 'history') {
      command = historyCommand(options.read)
    } else if (options.command === 'snapshot') {
      command = snapshotCommand(options.action ?? 'list', options.read)
    } else {
      command = restoreOrVerify(parseSettings(options.read), options)
    }
    if (options.profile) checkProfile(options.profile, process.env)
    if (options.undoFile) checkUndoFile(options.undoFile)
    if (options.workDir) useWorkRoot(workDir(options.workDir))
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof InputError)) throw e
    const message = e instanceof InputError ? inputErrorText(e) : e.message
    const topic = e instanceof UsageError ? e.command : options?.command
    say(`s3-rollback: ${message}`)
    say(`Run '${thisCliLine()} ${topic ? `${topic} ` : ''}--help' for usage.`)
    return EXIT.usage
  }
  if (options.profile) process.env.AWS_PROFILE = options.profile
  const log = stderrLogger(options.verbose)
  const s3 = createS3Client(command.s3, { sdkWarning: (m) => log.debug(`AWS SDK: ${m}`) })
  const stopListening = cancelOnSignals(cancel, {
    onSignal: (signal) => say(`s3-rollback: ${cancelNotice(signal, cancel)}`),
  })
  try {
    return (await command.run(s3, log, print, options.json)) ?? EXIT.ok
  } catch (e) {
    const { read } = options
    const context = {
      bucket: read(Inputs.Bucket).trim(),
      endpoint: read(Inputs.EndpointUrl).trim(),
    }
    const { fix } = diagnose(e, context)
    say(`s3-rollback: ${inFlags(errorMessage(e))}`)
    if (fix) say(`To fix: ${inFlags(fix)}`)
    if (options.verbose && e instanceof Error && e.stack) say(e.stack)
    return exitCodeOf(e)
  } finally {
    stopListening()
    const slowDowns = slowDownsOf(s3)
    if (slowDowns.answers > 0) say(slowDownLine(slowDowns))
    const concurrency = concurrencyOf(s3)
    if (concurrency) say(concurrencyLine(concurrency))
    s3.destroy()
  }
}

/** `restore` and `verify`: the table (or JSON) on stdout, closing lines, the exit code. */
function restoreOrVerify(
  settings: Settings,
  left: { undoFile?: string; profile?: string; all?: boolean },
): StoreCommand {
  return {
    s3: settings.s3,
    run: async (s3, log, print, json) => {
      if (settings.mode === 'verify') {
        const report = await verify(s3, settings, log, { cancel })
        if (json) print(JSON.stringify(report, null, 2))
        else {
          print(formatTable(['Bucket', ''], bucketRows(report)))
          print('')
          print(formatTable(KEY_HEADER, keyRows(report)))
          for (const problem of report.problems) print(`  - ${inFlags(problem)}`)
          print('')
          print(verdict(report))
        }
        return verificationFailed(report) ? EXIT.failed : EXIT.ok
      }
      const manifest = await recordedRollback(s3, settings, log, {
        by: { ...settings.context, user: localUser() },
        run: { cancel },
      })
      const extra = [
        planLine(manifest),
        writersLine(manifest),
        manifest.record ? recordLine(manifest.record) : undefined,
      ].filter((l) => l !== undefined)
      const closing = [
        closingLine(manifest),
        ...extra.map(inFlags),
        ...(await leftFor(manifest, settings, left)),
      ]
      if (json) {
        print(JSON.stringify(manifest, null, 2))
        for (const line of closing) say(line)
        return EXIT.ok
      }
      print(summaryTitle(manifest))
      print('')
      const { rows, hidden } = tableRows(manifest.keys, left.all === true)
      if (rows.length > 0) {
        print(formatTable(HEADER, summaryRows(rows, manifest.dryRun)))
        print('')
      }
      if (hidden) print(hidden)
      for (const line of closing) print(line)
      return EXIT.ok
    },
  }
}

/**
 * What the run leaves for the user: the manifest file (prefix runs) and how to undo: the undo
 * lines written to `--undo-file`, or next to the manifest, or (a few listed keys) inline as flags,
 * else in a file of their own. The command runs as printed: this CLI as it was run
 * (./invoked.ts), the run's way to the bucket, and a file rather than an argument too long for
 * the system.
 */
async function leftFor(
  manifest: Manifest,
  settings: Settings,
  { undoFile, profile }: { undoFile?: string; profile?: string },
): Promise<string[]> {
  const lines: string[] = []
  const { summary } = manifest
  if (summary) lines.push(`Manifest (one JSON line per key): ${summary.manifestFile}`)
  if (manifest.dryRun) return lines
  let undoAt = summary?.undoFile
  if (undoFile && undoAt) {
    await copyFile(undoAt, undoFile)
    undoAt = resolve(undoFile)
  } else if (undoFile) {
    await writeFile(undoFile, `${undoVersionIds(manifest.keys)}\n`)
    undoAt = resolve(undoFile)
  }
  const of: UndoOf = {
    bucket: writtenBucket(manifest),
    s3: settings.s3,
    expectedBucketOwner: settings.expectedBucketOwner,
    profile,
  }
  const cli = thisCli()
  if (!undoAt) {
    const changed = manifest.keys.filter((k) => k.newVersionId !== null)
    if (changed.length === 0) return lines
    const versionIds = undoVersionIds(changed).split('\n')
    const inline = undoCommand(cli, of, { versionIds })
    if (inline.length <= INLINE_UNDO_CHARS) return [...lines, `To undo: ${inline}`]
    undoAt = join(await runDirectory(), 'undo.txt')
    await writeFile(undoAt, `${versionIds.join('\n')}\n`)
  }
  lines.push(`Undo lines: ${undoAt}`)
  lines.push(`To undo: ${undoCommand(cli, of, { file: undoAt })}`)
  return lines
}

/** Who runs the command, as the run record names them. */
function localUser(): string | undefined {
  try {
    return userInfo().username
  } catch {
    return process.env.USER || process.env.USERNAME || undefined
  }
}

warnOnOldNode(process.version, process.env, say)
process.exitCode = await main(process.argv.slice(2)).catch((e: unknown) => {
  say(
    `s3-rollback: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : errorMessage(e)}`,
  )
  return EXIT.unexpected
})
