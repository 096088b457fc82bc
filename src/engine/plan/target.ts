/**
 * Turns every target into one the engine plans with (a time, or versions per key): a snapshot is
 * read from the store, a saved plan from its file. Both are checked (format, seal, bucket)
 * before anything else happens.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { InputError } from '../../lib/errors.js'
import { Inputs } from '../../settings/names.js'
import type { ResolvedTarget, Settings } from '../../settings/types.js'
import { openSnapshot, resolveRef } from '../../history/snapshots.js'
import { loadPlan, type LoadedPlan } from './saved-plan.js'

/** Settings whose target is a time or versions. */
export type ResolvedSettings = Settings & { target: ResolvedTarget }

export interface Resolved {
  settings: ResolvedSettings
  /** With `plan-file`: the plan each resolved key must match. */
  plan?: LoadedPlan
}

export async function resolveTarget(s3: S3Client, settings: Settings): Promise<Resolved> {
  const { target } = settings
  if (target.kind === 'time' || target.kind === 'versions')
    return { settings: { ...settings, target } }
  if (target.kind === 'plan') {
    const plan = await loadPlan(target.file, settings.bucket)
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
    }
  }
  return { settings: await fromSnapshot(s3, settings, target.ref) }
}

/**
 * The versions a snapshot recorded, as a versions target. A prefix snapshot restores its prefix
 * (a key created since is absent in the snapshot: `if-missing` decides); listed `keys` pick
 * some keys of the snapshot.
 */
async function fromSnapshot(
  s3: S3Client,
  settings: Settings,
  ref: string,
): Promise<ResolvedSettings> {
  const id = await resolveRef(s3, settings.snapshotStore, ref)
  const { header, values } = await openSnapshot(s3, settings.snapshotStore, id, settings.bucket)
  const versions = new Map<string, string | null>()
  for await (const line of values) versions.set(line.key, line.versionId)
  const origin = { ref, id }
  const prefix = 'prefix' in header.scope ? header.scope.prefix : undefined
  if (settings.keys.length === 0) {
    return {
      ...settings,
      target: { kind: 'versions', versions, origin },
      keys: prefix === undefined ? [...versions.keys()] : [],
      prefix,
    }
  }
  const picked = new Map<string, string | null>()
  for (const key of settings.keys) {
    const inScope = prefix !== undefined && key.startsWith(prefix)
    if (!versions.has(key) && !inScope) {
      throw new InputError(
        Inputs.Keys,
        key,
        `keys that snapshot ${id} recorded (it ${prefix === undefined ? `lists ${versions.size} keys` : `covers the prefix ${JSON.stringify(prefix)}`})`,
      )
    }
    picked.set(key, versions.get(key) ?? null)
  }
  return { ...settings, target: { kind: 'versions', versions: picked, origin }, prefix: undefined }
}
