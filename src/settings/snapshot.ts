/** The inputs of snapshots and saved plans: names, the store, `to-snapshot`, `plan-file`. */
import { InputError } from '../lib/errors.js'
import { Inputs } from './names.js'
import { parseInstant } from './parse.js'
import type { Environment, InputReader, Mode, SnapshotContext, SnapshotStore } from './types.js'

/** The default store: this prefix in the rolled-back bucket (never part of a prefix run). */
export const DEFAULT_STORE_PREFIX = '.s3-rollback/'

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
const NAME_FORM = 'a name of letters, digits, ".", "_" and "-" such as last-good or a commit SHA'

/** A snapshot name or ID (IDs have the same form). */
export function parseSnapshotName(input: string, value: string): string {
  if (!NAME.test(value)) throw new InputError(input, value, NAME_FORM)
  return value
}

/** `s3://bucket/prefix/`; empty: DEFAULT_STORE_PREFIX in `bucket`. */
export function parseStore(
  value: string,
  bucket: string,
  input: string = Inputs.SnapshotStore,
): SnapshotStore {
  if (value === '') return { bucket, prefix: DEFAULT_STORE_PREFIX }
  return parseS3Uri(input, value, `s3://${bucket}/${DEFAULT_STORE_PREFIX}`)
}

/**
 * `s3://bucket/` or `s3://bucket/prefix/` (the prefix ends in `/` and does not start with one):
 * a bucket and a folder in it. `example` is shown in the error.
 */
export function parseS3Uri(input: string, value: string, example: string): SnapshotStore {
  const m = /^s3:\/\/([A-Za-z0-9][A-Za-z0-9._-]{1,254})\/?(.*)$/.exec(value)
  const prefix = m?.[2] ?? ''
  if (
    !m ||
    (prefix !== '' && !prefix.endsWith('/')) ||
    prefix.startsWith('/') ||
    /[\r\n]/.test(prefix)
  ) {
    throw new InputError(
      input,
      value,
      `an S3 URI of a bucket and a prefix ending in /, such as ${example}`,
    )
  }
  return { bucket: m[1], prefix }
}

/** What the runner says about this run (recorded in snapshots). */
export function contextOf(env: Environment): SnapshotContext {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run } = env
  return {
    commit: env.GITHUB_SHA || undefined,
    ref: env.GITHUB_REF || undefined,
    runUrl: server && repo && run ? `${server}/${repo}/actions/runs/${run}` : undefined,
    actor: env.GITHUB_ACTOR || undefined,
  }
}

/**
 * Which of the target inputs may be set with which mode: `to-snapshot` and `plan-file` are
 * targets of their own, so they exclude `to-time` and `version-ids`; a plan also brings its
 * keys, and `mode: snapshot` records now.
 */
export function checkTargetInputs(read: InputReader, mode: Mode): void {
  const given = (name: string): string => read(name).trim()
  const exclusive = (input: string, others: string[], why: string): void => {
    if (given(input) === '') return
    for (const other of others) {
      if (given(other) !== '') throw new InputError(other, given(other), `to be empty ${why}`)
    }
  }
  exclusive(
    Inputs.PlanFile,
    [
      Inputs.ToTime,
      Inputs.VersionIds,
      Inputs.VersionIdsFile,
      Inputs.ToSnapshot,
      Inputs.Keys,
      Inputs.KeysFile,
      Inputs.Prefix,
    ],
    `when '${Inputs.PlanFile}' is set: the plan says the keys and the target`,
  )
  exclusive(
    Inputs.ToSnapshot,
    [Inputs.ToTime, Inputs.VersionIds, Inputs.VersionIdsFile],
    `when '${Inputs.ToSnapshot}' is set: give exactly one target (the snapshot says its keys; 'keys' or 'prefix' may pick some)`,
  )
  if (mode === 'snapshot') {
    const targets = [
      Inputs.ToTime,
      Inputs.VersionIds,
      Inputs.VersionIdsFile,
      Inputs.ToSnapshot,
      Inputs.PlanFile,
    ]
    for (const other of targets) {
      if (given(other) !== '') {
        throw new InputError(
          other,
          given(other),
          "to be empty in mode 'snapshot': a snapshot records the current versions",
        )
      }
    }
    if (given(Inputs.Snapshot) === '') {
      throw new InputError(Inputs.Snapshot, '', `a name to record the snapshot under, ${NAME_FORM}`)
    }
  } else if (mode === 'restore' && given(Inputs.Snapshot) !== '') {
    throw new InputError(
      Inputs.Snapshot,
      given(Inputs.Snapshot),
      `to be empty in mode 'restore' (restore to a snapshot with '${Inputs.ToSnapshot}')`,
    )
  }
  if (mode !== 'restore' && given(Inputs.PlanFile) !== '') {
    throw new InputError(
      Inputs.PlanFile,
      given(Inputs.PlanFile),
      "to be empty unless mode is 'restore'",
    )
  }
}

/** One side of a diff: `now`, an ISO-8601 time, or a snapshot name or ID. */
export type DiffSide =
  { kind: 'now' } | { kind: 'time'; at: Date; text: string } | { kind: 'snapshot'; ref: string }

export function parseSide(input: string, value: string, now: Date): DiffSide {
  if (value === 'now') return { kind: 'now' }
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const at = parseInstant(input, value)
    if (at > now)
      throw new InputError(input, value, `a time in the past (it is now ${now.toISOString()})`)
    return { kind: 'time', at, text: value }
  }
  if (!NAME.test(value)) {
    throw new InputError(
      input,
      value,
      'a snapshot name or ID, an ISO-8601 time with a zone, or now',
    )
  }
  return { kind: 'snapshot', ref: value }
}
