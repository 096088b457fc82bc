/**
 * The `destination` input: restore the state at the target into another bucket or prefix
 * instead of in place. Which key goes where (`keyMap`), and the one check that the run never
 * writes what it reads (`checkDestination`), are here too, so that the settings, the engine and
 * saved plans agree on them.
 */
import { InputError } from '../lib/errors.js'
import { Inputs } from './names.js'
import { DEFAULT_STORE_PREFIX, parseS3Uri } from './snapshot.js'
import type { Destination, InputReader, Mode, SnapshotStore } from './types.js'

/** The `destination` input; undefined when empty (a restore in place). */
export function parseDestination(read: InputReader, mode: Mode): Destination | undefined {
  const value = read(Inputs.Destination).trim()
  if (value === '') return undefined
  if (mode === 'snapshot') {
    throw new InputError(
      Inputs.Destination,
      value,
      "to be empty in mode 'snapshot': a snapshot records versions and writes no key",
    )
  }
  return parseS3Uri(Inputs.Destination, value, 's3://justice40-data-staging/rollback/')
}

/** Where a destination run keeps its run records: the store given, else the destination's. */
export function recordStoreOf(
  destination: Destination | undefined,
  storeGiven: boolean,
): SnapshotStore | undefined {
  if (!destination || storeGiven) return undefined
  return { bucket: destination.bucket, prefix: DEFAULT_STORE_PREFIX }
}

/** `s3://bucket/prefix`, for messages. */
export const uriOf = (where: { bucket: string; prefix: string }): string =>
  `s3://${where.bucket}/${where.prefix}`

/**
 * How the keys of a run map to the keys it writes, and back. In place both are the identity.
 * Into a destination, under `prefix: P` the key `P…rest` is written to `D…rest` (D: the
 * destination's prefix); listed keys (no prefix) go to `D` + key. The mapping keeps S3's key
 * order, so the source's and the destination's listings can be read side by side.
 */
export interface KeyMap {
  /** The bucket written to. */
  bucket: string
  /** The key written for a source key. */
  to(key: string): string
  /** The source key of a key written (of a key under the destination's prefix). */
  from(key: string): string
  /** True when a key is written to itself. */
  inPlace: boolean
}

export function keyMap(
  bucket: string,
  prefix: string | undefined,
  destination: Destination | undefined,
): KeyMap {
  if (!destination) return { bucket, to: (k) => k, from: (k) => k, inPlace: true }
  const p = prefix ?? ''
  const d = destination.prefix
  return {
    bucket: destination.bucket,
    to: (k) => d + k.slice(p.length),
    from: (k) => p + k.slice(d.length),
    inPlace: false,
  }
}

/**
 * Refuses a destination that overlaps what the run reads, in the same bucket: a destination
 * inside the source prefix, a source prefix inside the destination, or a listed key under the
 * destination. Called once the keys and prefix are known (a snapshot or a plan brings them),
 * before anything is listed or written.
 */
export function checkDestination(
  run: { bucket: string; prefix?: string; keys: readonly string[] },
  destination: Destination | undefined,
): void {
  if (!destination || destination.bucket !== run.bucket) return
  const d = destination.prefix
  const uri = uriOf(destination)
  const refuse = (why: string): never => {
    throw new InputError(
      Inputs.Destination,
      uri,
      `a bucket or prefix apart from the keys rolled back (${why}: the run would read what it writes)`,
    )
  }
  const { prefix } = run
  if (prefix !== undefined) {
    const source = uriOf({ bucket: run.bucket, prefix })
    if (d.startsWith(prefix)) refuse(`it is inside the source ${source}`)
    if (prefix.startsWith(d)) refuse(`the source ${source} is inside it`)
    return
  }
  const inside = run.keys.find((k) => k.startsWith(d))
  if (inside !== undefined) refuse(`the key ${inside} is inside it`)
}

/**
 * Refuses to apply a saved plan (`plan`: how to name it) anywhere but where it was made to
 * restore to: the same destination, or in place for a plan made in place.
 */
export function checkPlanDestination(
  plan: string,
  planned: Destination | undefined,
  given: Destination | undefined,
): void {
  const same =
    planned?.bucket === given?.bucket && (planned?.prefix ?? '') === (given?.prefix ?? '')
  if (same) return
  const where = (d: Destination | undefined): string => (d ? `into ${uriOf(d)}` : 'in place')
  throw new InputError(
    Inputs.Destination,
    given ? uriOf(given) : '',
    `${planned ? uriOf(planned) : 'empty'}: ${plan} restores ${where(planned)}, ` +
      `and a plan is applied only where it was approved (not ${where(given)})`,
  )
}
