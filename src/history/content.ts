/**
 * The one content rule: do two versions hold the same bytes, and how do we know. Planning,
 * confirmation, the corrective copy, put-back, diff and verify all ask this function (pure).
 */

/** What is known of a version's content: a listing entry, or a HeadObject. */
export interface ContentFacts {
  size?: number
  eTag?: string
  /** A full-object checksum (HeadObject with checksum mode, where the store keeps one). */
  checksum?: { algorithm: string; value: string; type?: string }
  /** `aws:kms`, `aws:kms:dsse`, `AES256`: a HeadObject says it; a listing does not. */
  serverSideEncryption?: string
  /** Set for SSE-C objects (HeadObject only). */
  sseCustomerAlgorithm?: string
}

/**
 * same: the bytes are equal (`how` says by what); different: they are not (`how` says what
 * differs); unproven: the facts cannot tell (`how` says why), as with two KMS-encrypted versions
 * of equal size without checksums.
 */
export type Verdict =
  { same: true; how: string } | { same: false; how: string } | { same: undefined; how: string }

/**
 * Pure: whether `a` and `b` hold the same bytes.
 * 1. Different sizes: different.
 * 2. Full-object checksums of the same algorithm on both: equal or not.
 * 3. Equal ETags: same (a copy keeps its source's ETag when it keeps its part layout; an MD5
 *    or a part-wise MD5 does not collide by chance).
 * 4. Different ETags that are both the content's MD5 (one part, and HeadObjects that show
 *    neither SSE-KMS nor SSE-C): different.
 * 5. Otherwise unproven: a multipart ETag, encryption whose ETag is not an MD5, or facts from a
 *    listing (`from: 'listing'`), which does not show encryption: the ETags may be KMS ones.
 */
export function sameBytes(a: ContentFacts, b: ContentFacts, from: 'listing' | 'head'): Verdict {
  if (a.size !== undefined && b.size !== undefined && a.size !== b.size) {
    return { same: false, how: `size ${b.size} differs from ${a.size}` }
  }
  const x = a.checksum
  const y = b.checksum
  if (x && y && x.algorithm === y.algorithm && x.type !== 'COMPOSITE' && y.type !== 'COMPOSITE') {
    return x.value === y.value
      ? { same: true, how: `size and ${x.algorithm} checksum` }
      : { same: false, how: `${x.algorithm} checksum ${y.value} differs from ${x.value}` }
  }
  const tagA = unquote(a.eTag)
  const tagB = unquote(b.eTag)
  if (!tagA || !tagB) return { same: undefined, how: 'an ETag is missing' }
  if (tagA === tagB) return { same: true, how: 'size and ETag' }
  if (from === 'head' && md5Of(a) && md5Of(b))
    return { same: false, how: `ETag ${b.eTag} differs from ${a.eTag}` }
  return { same: undefined, how: 'the ETags differ but are not both the content\u2019s MD5' }
}

/** Whether a HeadObject's ETag is the MD5 of the content: one part, neither SSE-KMS nor SSE-C. */
function md5Of(facts: ContentFacts): boolean {
  const tag = unquote(facts.eTag) ?? ''
  if (tag.includes('-') || facts.sseCustomerAlgorithm) return false
  return !facts.serverSideEncryption?.startsWith('aws:kms')
}

/** An ETag without its quotes. */
export const unquote = (etag: string | undefined): string | undefined => etag?.replace(/^"|"$/g, '')
