/** Parsers of single input values: each bad value throws an InputError naming input, value and form. */
import { InputError } from '../lib/errors.js'

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB

const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/i

/** An ISO-8601 instant with an explicit zone (Z or ±hh:mm). A time without a zone is ambiguous. */
export function parseInstant(input: string, value: string): Date {
  const m = INSTANT.exec(value)
  const expected =
    'an ISO-8601 time with a zone, such as 2021-12-13T15:00:00Z or 2021-12-13T10:00:00-05:00'
  if (!m) throw new InputError(input, value, expected)
  const [, y, mo, d, h, mi, s = '00', frac = '', zone] = m
  const ms = (frac + '000').slice(0, 3)
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${offset}`)
  const fieldsValid =
    +mo >= 1 && +mo <= 12 && +d >= 1 && +d <= daysIn(+y, +mo) && +h < 24 && +mi < 60 && +s < 60
  if (!fieldsValid || Number.isNaN(date.getTime())) throw new InputError(input, value, expected)
  return date
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

export function lines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
}

/** `true`/`false` as the YAML 1.2 core schema spells them (as core.getBooleanInput accepts). */
export function parseBoolean(input: string, value: string, fallback: boolean): boolean {
  if (value === '') return fallback
  if (['true', 'True', 'TRUE'].includes(value)) return true
  if (['false', 'False', 'FALSE'].includes(value)) return false
  throw new InputError(input, value, 'true or false')
}

export function parseChoice<T extends string>(
  input: string,
  value: string,
  choices: readonly T[],
): T {
  if ((choices as readonly string[]).includes(value)) return value as T
  throw new InputError(input, value, `one of ${choices.join(', ')}`)
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kib: KiB,
  mib: MiB,
  gib: GiB,
  tib: 1024 * GiB,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
}

/** A byte size: an integer, optionally with a unit (KiB, MiB, GiB, TiB, KB, MB, GB, TB). */
export function parseSize(
  input: string,
  value: string,
  range: { fallback: number; min: number; max: number },
): number {
  if (value === '') return range.fallback
  const m = /^(\d+)\s*([a-z]*)$/i.exec(value)
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined
  const bytes = m && unit !== undefined ? Number(m[1]) * unit : NaN
  if (!Number.isSafeInteger(bytes) || bytes < range.min || bytes > range.max) {
    throw new InputError(
      input,
      value,
      `a size from ${range.min} bytes to ${range.max / GiB} GiB, such as 5GiB or 104857600`,
    )
  }
  return bytes
}

/** True for an absolute http: or https: URL. */
export function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol)
  } catch {
    return false
  }
}

/** A whole number in [min, max]; `fallback` when empty. */
export function parseCount(
  input: string,
  value: string,
  range: { fallback: number; min: number; max: number },
): number {
  if (value === '') return range.fallback
  const n = /^\d+$/.test(value) ? Number(value) : NaN
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw new InputError(input, value, `a whole number from ${range.min} to ${range.max}`)
  }
  return n
}

/** A number of seconds from 1 to 35 days (the inputs of waits and polls). */
export function parseSeconds(input: string, value: string, fallback: number): number {
  if (value === '') return fallback
  const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN
  if (!(seconds >= 1 && seconds <= 35 * 24 * 3600)) {
    throw new InputError(input, value, 'a number of seconds from 1 to 3024000, such as 3600')
  }
  return seconds
}
