/**
 * The one place where s3-rollback removes an object version: the scratch copies a drill made.
 * Everything else only adds versions or delete markers. Two guards, both checked before any
 * request: the key starts with the drill's own prefix, and the version ID is one this drill
 * recorded as created by itself.
 */
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3'

/** A scratch version that a drill created. */
export interface ScratchVersion {
  key: string
  versionId: string
}

/** The versions one drill created under its prefix: the only versions it may delete. */
export class DrillLedger {
  private readonly created = new Map<string, Set<string>>()

  constructor(readonly prefix: string) {
    if (prefix === '' || !prefix.endsWith('/')) {
      throw new Error(
        `A drill prefix must be non-empty and end with '/': ${JSON.stringify(prefix)}`,
      )
    }
  }

  /** Records a version this drill wrote. Refuses keys outside the prefix. */
  record(key: string, versionId: string): void {
    assertUnderPrefix(this.prefix, key)
    if (versionId === '' || versionId === 'null') {
      throw new Error(
        `${key}: a drill records only real version IDs, not ${JSON.stringify(versionId)}`,
      )
    }
    const ids = this.created.get(key) ?? new Set<string>()
    ids.add(versionId)
    this.created.set(key, ids)
  }

  has(key: string, versionId: string): boolean {
    return this.created.get(key)?.has(versionId) === true
  }

  versions(): ScratchVersion[] {
    return [...this.created].flatMap(([key, ids]) =>
      [...ids].map((versionId) => ({ key, versionId })),
    )
  }
}

function assertUnderPrefix(prefix: string, key: string): void {
  if (!key.startsWith(prefix) || key.length === prefix.length) {
    throw new Error(`Refusing to touch ${key}: it is not a scratch key under ${prefix}`)
  }
}

/** Throws unless `key`@`versionId` is a scratch version the ledger recorded. */
export function assertDeletable(ledger: DrillLedger, key: string, versionId: string): void {
  assertUnderPrefix(ledger.prefix, key)
  if (!ledger.has(key, versionId)) {
    throw new Error(`Refusing to delete ${key}@${versionId}: this drill did not create it`)
  }
}

/** Permanently deletes one scratch version this drill created (guarded as above). */
export async function deleteScratchVersion(
  s3: S3Client,
  ledger: DrillLedger,
  bucket: string,
  version: ScratchVersion,
  expectedBucketOwner?: string,
): Promise<void> {
  assertDeletable(ledger, version.key, version.versionId)
  await s3.send(
    new DeleteObjectCommand({
      Bucket: bucket,
      Key: version.key,
      VersionId: version.versionId,
      ExpectedBucketOwner: expectedBucketOwner,
    }),
  )
}
