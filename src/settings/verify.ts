/** The inputs of verify mode: the window, the drill and its scratch prefix. */
import { randomBytes } from 'node:crypto'
import { InputError } from '../lib/errors.js'
import { parseDuration } from './duration.js'
import { Inputs } from './names.js'
import { parseBoolean } from './parse.js'
import type { InputReader, Mode, Target, VerifySettings } from './types.js'

export const MODES = ['restore', 'verify', 'snapshot'] as const

/** The verify-mode inputs; in restore mode only checks that no drill was asked for. */
export function parseVerify(read: InputReader, mode: Mode, now: Date): VerifySettings | undefined {
  const get = (name: string): string => read(name).trim()
  const drill = parseBoolean(Inputs.Drill, get(Inputs.Drill), false)
  if (mode !== 'verify') {
    if (drill)
      throw new InputError(Inputs.Drill, get(Inputs.Drill), "false unless mode is 'verify'")
    return undefined
  }
  if (drill && parseBoolean(Inputs.DryRun, get(Inputs.DryRun), false)) {
    throw new InputError(Inputs.Drill, get(Inputs.Drill), `false when '${Inputs.DryRun}' is true`)
  }
  const minWindow = get(Inputs.MinWindow) || '7d'
  return {
    minWindowMs: parseDuration(Inputs.MinWindow, minWindow),
    minWindow,
    atWindowStart: [
      Inputs.ToTime,
      Inputs.VersionIds,
      Inputs.VersionIdsFile,
      Inputs.ToSnapshot,
      Inputs.Snapshot,
    ].every((name) => get(name) === ''),
    drill,
    drillPrefix: parseDrillPrefix(get(Inputs.DrillPrefix), now),
  }
}

export function windowStart(verify: VerifySettings, now: Date): Target {
  const at = new Date(now.getTime() - verify.minWindowMs)
  return { kind: 'time', at, text: at.toISOString() }
}

/**
 * A scratch prefix for drills: ends with `/`, does not start with `/`, at most 512 characters.
 * Empty: `.s3-rollback-drill/<UTC time>-<random>/`, new for every run.
 */
export function parseDrillPrefix(value: string, now: Date): string {
  if (value === '') {
    const stamp = now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')
    return `.s3-rollback-drill/${stamp}-${randomBytes(3).toString('hex')}/`
  }
  if (!value.endsWith('/') || value.startsWith('/') || value.length > 512 || /[\r\n]/.test(value)) {
    throw new InputError(
      Inputs.DrillPrefix,
      value,
      'a key prefix ending in /, such as .s3-rollback-drill/ (not starting with /)',
    )
  }
  return value
}
