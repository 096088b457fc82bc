import { InputError } from '../lib/errors.js'

export const MINUTE_MS = 60_000
export const HOUR_MS = 60 * MINUTE_MS
export const DAY_MS = 24 * HOUR_MS

const UNIT_MS: Record<string, number> = { w: 7 * DAY_MS, d: DAY_MS, h: HOUR_MS, m: MINUTE_MS }
const DURATION = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/i
const MAX_MS = 100 * 365 * DAY_MS

/**
 * A duration such as `7d`, `36h`, `90m`, `2w` or `1d12h` (weeks, days, hours, minutes, in that
 * order), in milliseconds. Must be more than zero and at most 100 years.
 */
export function parseDuration(input: string, value: string): number {
  const m = DURATION.exec(value)
  const expected = 'a duration such as 7d, 36h, 90m or 1d12h (w, d, h, m; more than zero)'
  if (!m || value === '') throw new InputError(input, value, expected)
  const units = ['w', 'd', 'h', 'm']
  const ms = units.reduce((sum, unit, i) => sum + Number(m[i + 1] ?? 0) * UNIT_MS[unit], 0)
  if (ms <= 0 || ms > MAX_MS) throw new InputError(input, value, expected)
  return ms
}

/** Days as a short text: `30d`, `1.5d`, or `unlimited` for null. */
export function formatDays(days: number | null): string {
  if (days === null) return 'unlimited'
  return `${Number(days.toFixed(2))}d`
}
