/** Whether a new version holds its source's bytes, from two HeadObjects (pure). */
import type { ObjectFacts } from '../s3/objects.js'
import { unquote } from '../engine/plan/decide.js'

/**
 * Pure: checks a new version against its source: size always; the full-object checksum where
 * both have one of the same algorithm; else the ETag where it is the content's MD5 (single
 * part, not KMS); and the encryption, so a KMS-encrypted source does not become SSE-S3.
 */
export function compareCopy(
  source: ObjectFacts,
  copy: ObjectFacts,
  multipart: boolean,
): { ok: boolean; detail: string; encryption?: boolean } {
  if (source.size !== copy.size) {
    return { ok: false, detail: `size ${copy.size} differs from the source's ${source.size}` }
  }
  if (
    (source.serverSideEncryption ?? 'none') !== (copy.serverSideEncryption ?? 'none') ||
    source.kmsKeyId !== copy.kmsKeyId
  ) {
    const what = (f: ObjectFacts): string =>
      [f.serverSideEncryption ?? 'none', f.kmsKeyId].filter(Boolean).join(' ')
    return {
      ok: false,
      encryption: true,
      detail: `encryption ${what(copy)} differs from the source's ${what(source)}`,
    }
  }
  const a = source.checksum
  const b = copy.checksum
  if (a && b && a.algorithm === b.algorithm && a.type !== 'COMPOSITE' && b.type !== 'COMPOSITE') {
    return a.value === b.value
      ? { ok: true, detail: `size and ${a.algorithm} checksum` }
      : {
          ok: false,
          detail: `${a.algorithm} checksum ${b.value} differs from the source's ${a.value}`,
        }
  }
  const sourceTag = unquote(source.eTag)
  const md5Like =
    !multipart &&
    sourceTag !== undefined &&
    !sourceTag.includes('-') &&
    !source.serverSideEncryption?.startsWith('aws:kms')
  if (md5Like) {
    return sourceTag === unquote(copy.eTag)
      ? { ok: true, detail: 'size and ETag' }
      : { ok: false, detail: `ETag ${copy.eTag} differs from the source's ${source.eTag}` }
  }
  return { ok: true, detail: 'size' }
}
