import { randomBytes } from 'node:crypto'

/** A run record's ID: the run's start (UTC, to the second) and 6 random hex digits. */
export function newRunId(startedAt: Date): string {
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  return `${stamp}-${randomBytes(3).toString('hex')}`
}
