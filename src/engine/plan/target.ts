/**
 * Turns every target into one the engine plans with (a time, or versions per key): a snapshot is
 * read from the store, a saved plan from its file. Both are read through and checked (format,
 * seal, bucket, key order) before anything else happens. A prefix's snapshot or saved plan is
 * then read again beside the listing, one key at a time (beside.ts), so memory does not grow
 * with its keys; listed keys are held in memory, as the keys themselves are.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { rm } from 'node:fs/promises'
import { InputError } from '../../lib/errors.js'
import { runDirectory } from '../../lib/jsonl.js'
import { Inputs } from '../../settings/names.js'
import { WHOLE_BUCKET } from '../../settings/prefix.js'
import type { ResolvedTarget, Settings } from '../../settings/types.js'
import { downloadSnapshot, resolveRef } from '../../history/snapshots.js'
import { loadPlan, type LoadedPlan } from './saved-plan.js'
import type { RecordedVersions } from './beside.js'

/** Settings whose target is a time or versions. */
export type ResolvedSettings = Settings & { target: ResolvedTarget }

export interface Resolved {
  settings: ResolvedSettings
  /** With `plan-file`: the plan each resolved key must match (read beside the listing). */
  plan?: LoadedPlan
  /**
   * A prefix's snapshot: the versions, read beside the listing; the target's own `versions`
   * map is then empty.
   */
  recorded?: RecordedVersions
  /** Removes the local copies of the snapshot or plan; call once the run is done. */
  dispose(): Promise<void>
}

const nothing = async (): Promise<void> => {}

export async function resolveTarget(s3: S3Client, settings: Settings): Promise<Resolved> {
  const { target } = settings
  if (target.kind === 'time' || target.kind === 'versions')
    return { settings: { ...settings, target }, dispose: nothing }
  if (target.kind === 'plan') {
    const plan = await loadPlan(target.file, settings.bucket, settings.destination)
    const { header } = plan
    return {
      settings: {
        ...settings,
        target: plan.target,
        keys: plan.keys,
        prefix: header.prefix,
        ifMissing: header.ifMissing,
      },
      plan,
      dispose: () => plan.dispose(),
    }
  }
  const dir = await runDirectory()
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true })
  try {
    const resolved = await fromSnapshot(s3, settings, target.ref, dir)
    if (!resolved.recorded) await dispose()
    return { ...resolved, dispose }
  } catch (e) {
    await dispose()
    throw e
  }
}

/**
 * resolveTarget, with every version of a prefix's snapshot or saved plan held in the target's
 * map, as before they were read beside the listing (verify checks each key as a listed key).
 */
export async function heldTarget(s3: S3Client, settings: Settings): Promise<Resolved> {
  const resolved = await resolveTarget(s3, settings)
  const { recorded, plan } = resolved
  const { target, prefix } = resolved.settings
  if (target.kind !== 'versions' || prefix === undefined) return resolved
  try {
    if (recorded) {
      for await (const line of recorded.lines()) target.versions.set(line.key, line.versionId)
    } else if (plan) {
      for await (const line of plan.lines()) {
        target.versions.set(line.key, line.wanted?.versionId ?? null)
      }
    }
  } finally {
    await resolved.dispose()
  }
  return { settings: resolved.settings, dispose: nothing }
}

/**
 * The versions a snapshot recorded, as a versions target. A prefix snapshot restores its prefix
 * (a key created since is absent in the snapshot: `if-missing` decides); listed `keys` pick
 * some keys of the snapshot; a `prefix` inside the snapshot's narrows it to that folder.
 */
async function fromSnapshot(
  s3: S3Client,
  settings: Settings,
  ref: string,
  dir: string,
): Promise<Omit<Resolved, 'dispose'>> {
  const id = await resolveRef(s3, settings.snapshotStore, ref)
  const snapshot = await downloadSnapshot(s3, settings.snapshotStore, id, settings.bucket, dir)
  const { header } = snapshot
  const origin = { ref, id }
  const scope = 'prefix' in header.scope ? header.scope.prefix : undefined
  const asked = settings.prefix
  if (asked !== undefined && scope !== undefined && !asked.startsWith(scope)) {
    throw new InputError(
      Inputs.Prefix,
      asked || WHOLE_BUCKET,
      `a prefix inside the one snapshot ${id} covers (${scope || WHOLE_BUCKET}): the snapshot ` +
        'does not say what the keys outside it were',
    )
  }
  const prefix = asked ?? scope
  if (settings.keys.length === 0 && scope !== undefined && prefix !== undefined) {
    return {
      settings: { ...settings, target: { kind: 'versions', versions: new Map(), origin }, prefix },
      recorded: asked === undefined ? snapshot : under(snapshot, asked),
    }
  }
  const listed = settings.keys.length > 0 ? new Set(settings.keys) : undefined
  const versions = new Map<string, string | null>()
  for await (const line of snapshot.lines()) {
    const picked = listed ? listed.has(line.key) : asked === undefined || line.key.startsWith(asked)
    if (picked) versions.set(line.key, line.versionId)
  }
  if (!listed) {
    if (asked !== undefined && versions.size === 0) {
      throw new InputError(
        Inputs.Prefix,
        asked || WHOLE_BUCKET,
        `a prefix that holds keys of snapshot ${id} (it lists ${snapshot.count} keys, none under it)`,
      )
    }
    return {
      settings: {
        ...settings,
        target: { kind: 'versions', versions, origin },
        keys: [...versions.keys()],
        prefix: undefined,
      },
    }
  }
  const picked = new Map<string, string | null>()
  for (const key of settings.keys) {
    const inScope = scope !== undefined && key.startsWith(scope)
    if (!versions.has(key) && !inScope) {
      throw new InputError(
        Inputs.Keys,
        key,
        `keys that snapshot ${id} recorded (it ${scope === undefined ? `lists ${snapshot.count} keys` : `covers the prefix ${JSON.stringify(scope)}`})`,
      )
    }
    picked.set(key, versions.get(key) ?? null)
  }
  return {
    settings: {
      ...settings,
      target: { kind: 'versions', versions: picked, origin },
      prefix: undefined,
    },
  }
}

/** A prefix snapshot's versions of the keys under `prefix` only (in key order, as recorded). */
function under(recorded: RecordedVersions, prefix: string): RecordedVersions {
  return {
    lines: async function* () {
      for await (const line of recorded.lines()) if (line.key.startsWith(prefix)) yield line
    },
  }
}
