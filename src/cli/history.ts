/** `s3-rollback history`: the run records in the snapshot store, newest first. */
import { InputError } from '../lib/errors.js'
import { parseAccess, type InputReader } from '../settings/index.js'
import { runHeaders, RECENT_RUNS, type RunHeader } from '../history/runs.js'
import { uriOf } from '../history/snapshots.js'
import { historyRows, HISTORY_HEADER } from '../report/history.js'
import type { StoreCommand } from './snapshots.js'
import { formatTable } from './table.js'

/** Records shown unless --limit says otherwise. */
export const HISTORY_LIMIT = 20

export function historyCommand(read: InputReader): StoreCommand {
  const access = parseAccess(read)
  const limit = parseLimit(read('limit').trim())
  return {
    s3: access.s3,
    run: async (s3, _log, print, json) => {
      const found = await runHeaders(s3, access.snapshotStore, limit)
      const runs = found
        .filter(({ header }) => header.bucket === access.bucket)
        .map(({ entry, header }): RunHeader & { uri: string } => ({
          ...header,
          uri: `s3://${access.snapshotStore.bucket}/${entry.key}`,
        }))
      if (json) return print(JSON.stringify(runs, null, 2))
      const where = uriOf(access.snapshotStore, 'runs/')
      if (runs.length === 0) return print(`No run records of s3://${access.bucket} in ${where}`)
      print(`Runs that wrote to s3://${access.bucket}, newest first (records in ${where}):`)
      print('')
      print(formatTable(HISTORY_HEADER, historyRows(runs)))
    },
  }
}

function parseLimit(value: string): number {
  if (value === '') return HISTORY_LIMIT
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 10 * RECENT_RUNS) {
    throw new InputError('limit', value, `a whole number from 1 to ${10 * RECENT_RUNS}`)
  }
  return n
}
