/** `s3-rollback snapshot create|list|show` and `s3-rollback diff`: results on stdout. */
import type { S3Client } from '@aws-sdk/client-s3'
import { InputError } from '../lib/errors.js'
import type { Logger } from '../lib/log.js'
import { formatBytes } from '../report/rollback.js'
import { snapshotLine } from '../report/snapshot.js'
import { parseAccess, parseSettings, type InputReader, type S3Settings } from '../settings/index.js'
import { Inputs } from '../settings/names.js'
import { parsePrefix } from '../settings/prefix.js'
import { checkListInputs, readKeys } from '../settings/lists.js'
import { parseSide, parseSnapshotName } from '../settings/snapshot.js'
import { cancel } from './cancel.js'
import { createSnapshot } from '../snapshot/create.js'
import { diff, type DiffResult, type KeyState } from '../snapshot/diff.js'
import { listPointers, openSnapshot, resolveRef, uriOf } from '../history/snapshots.js'
import type { SnapshotAction } from './args.js'
import { formatTable } from './table.js'
import { flagFor } from './flags.js'

type Print = (text: string) => void

/** A parsed command: how to reach S3, and what to do there. */
export interface StoreCommand {
  s3: S3Settings
  /** Returns the exit code (default 0). */
  run: (s3: S3Client, log: Logger, print: Print, json: boolean) => Promise<number | void>
}

/** Parses what the command needs (InputError on a bad flag); `run` then does it. */
export function snapshotCommand(action: SnapshotAction, read: InputReader): StoreCommand {
  if (action === 'create') {
    const settings = parseSettings(read)
    return {
      s3: settings.s3,
      run: async (s3, log, print, json) => {
        const summary = await createSnapshot(s3, settings, log, { cancel })
        const line = snapshotLine(summary, (ref) => `${flagFor(Inputs.ToSnapshot)} ${ref}`)
        print(json ? JSON.stringify(summary, null, 2) : line)
      },
    }
  }
  const access = parseAccess(read)
  if (action === 'list') {
    return {
      s3: access.s3,
      run: async (s3, _log, print, json) => {
        const pointers = await listPointers(s3, access.snapshotStore)
        if (json) return print(JSON.stringify(pointers, null, 2))
        if (pointers.length === 0) return print(`No snapshots in ${uriOf(access.snapshotStore)}`)
        const rows = pointers.map((p) => [p.name, p.id, p.createdAt, String(p.keys)])
        print(formatTable(['Name', 'Snapshot ID', 'Created', 'Keys'], rows))
      },
    }
  }
  const ref = parseSnapshotName(Inputs.Snapshot, read(Inputs.Snapshot).trim())
  return {
    s3: access.s3,
    run: async (s3, _log, print, json) => {
      const id = await resolveRef(s3, access.snapshotStore, ref)
      const { header, values } = await openSnapshot(s3, access.snapshotStore, id, access.bucket)
      const lines = []
      for await (const line of values) lines.push(line)
      if (json) return print(JSON.stringify({ ...header, keys: lines }, null, 2))
      const scope =
        'prefix' in header.scope
          ? `prefix ${header.scope.prefix || '(whole bucket)'}`
          : `${header.scope.keys} listed keys`
      print(
        `Snapshot ${header.id} (${header.name}) of s3://${header.bucket}, ${scope}, taken ${header.createdAt}`,
      )
      const c = header.context
      if (c.commit || c.runUrl) print(`Commit ${c.commit ?? '—'}, run ${c.runUrl ?? '—'}`)
      print('')
      const rows = lines.map((l) => [
        l.key,
        l.versionId ?? '(absent)',
        l.size === undefined ? '—' : formatBytes(l.size),
        l.eTag ?? '',
      ])
      print(formatTable(['Key', 'Version', 'Size', 'ETag'], rows))
    },
  }
}

/** `diff`: parses --from/--to and the scope, then lists the changes. */
export function diffCommand(read: InputReader, fromFlag: string, toFlag: string): StoreCommand {
  const now = new Date()
  const access = parseAccess(read)
  checkListInputs(read)
  const { keys } = readKeys(read, process.env)
  const prefix = parsePrefix(read(Inputs.Prefix), { keys, toTime: 'now', versionIds: '' })
  if (fromFlag === '') {
    throw new InputError('from', '', 'the earlier state: a snapshot name or ID, a time, or now')
  }
  const from = parseSide('from', fromFlag, now)
  const to = parseSide('to', toFlag || 'now', now)
  return {
    s3: access.s3,
    run: async (s3, _log, print, json) => {
      const result = await diff(s3, access, { keys, prefix }, from, to)
      print(json ? JSON.stringify(result, null, 2) : diffText(result))
    },
  }
}

function diffText(r: DiffResult): string {
  const state = (s: KeyState | null): string =>
    s ? `${s.versionId} (${s.size === undefined ? '?' : formatBytes(s.size)})` : '—'
  const rows = r.changes.map((c) => [c.key, c.change, state(c.before), state(c.after)])
  const t = r.totals
  const head = `From ${r.from} to ${r.to} in s3://${r.bucket}: ${t.added} added, ${t.removed} removed, ${t.changed} changed, ${t.unchanged} unchanged`
  return rows.length === 0
    ? `${head}.`
    : `${head}:\n\n${formatTable(['Key', 'Change', 'Before', 'After'], rows)}`
}
