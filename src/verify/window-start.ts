/**
 * Verify's default target is the start of the window (now − `min-window`). A key younger than
 * that has no version there, and the fix is not `if-missing` (a restore's choice) but a target
 * the key has: `to-time`, or a shorter `min-window`. Pure.
 */
import type { VersionEntry } from '../s3/listing.js'
import type { VerifySettings } from '../settings/types.js'

const MINUTE_MS = 60_000

/**
 * The problem of a key that did not exist yet at the start of the window `at`: when its first
 * version was written and how old it is, and the two ways to verify it.
 */
export function youngerThanWindow(
  entries: readonly VersionEntry[],
  at: Date,
  verify: Pick<VerifySettings, 'minWindow' | 'minWindowMs'>,
): string {
  const oldest = [...entries].reverse()
  const first = oldest.find((e) => !e.isDeleteMarker) ?? oldest[0]
  const since = first ? first.lastModified.toISOString() : 'after it'
  const age = at.getTime() + verify.minWindowMs - (first?.lastModified.getTime() ?? 0)
  const shorter =
    age >= MINUTE_MS
      ? ` or a shorter 'min-window' (at most ${minutes(age)}, its age)`
      : " or a shorter 'min-window' once it is a minute old (the shortest is 1m)"
  return (
    `has no version at ${at.toISOString()}, the start of 'min-window' ${verify.minWindow} ` +
    `(it did not exist yet: its first version is from ${since}); give 'to-time' (that time ` +
    `or a later one)${shorter}`
  )
}

/** Whole minutes as a `min-window` value: 45m, 3h5m, 2d4h. */
function minutes(ms: number): string {
  const total = Math.floor(ms / MINUTE_MS)
  const parts: [number, string][] = [
    [Math.floor(total / 1440), 'd'],
    [Math.floor((total % 1440) / 60), 'h'],
    [total % 60, 'm'],
  ]
  return parts
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n}${unit}`)
    .join('')
}
