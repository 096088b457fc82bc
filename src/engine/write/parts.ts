/** Part layouts of multipart copies (pure). */

const MiB = 1024 * 1024

/** True for the ETag of an object uploaded in parts (`"<md5>-<parts>"`). */
export function isMultipartETag(eTag: string | undefined): boolean {
  return /-\d+"?$/.test(eTag ?? '')
}

/** A byte range of a part, inclusive. */
export interface Range {
  start: number
  end: number
}

/** Byte ranges of at most `partSize` (raised so that 10,000 parts cover the object). */
export function partRanges(size: number, partSize: number): Range[] {
  const minimum = Math.ceil(size / 10_000 / MiB) * MiB
  const step = Math.max(partSize, minimum)
  const ranges: Range[] = []
  for (let start = 0; start < size; start += step) {
    ranges.push({ start, end: Math.min(start + step, size) - 1 })
  }
  return ranges
}

/** Part sizes uploaders commonly use (aws-cli 8 MiB; the SDKs and rclone 5 MiB), in order. */
const COMMON_PART_SIZES = [8, 5, 16, 10, 15, 25, 32, 50, 64, 100, 128, 256, 512].map((n) => n * MiB)

/**
 * The part boundaries of a source uploaded in `parts` equal parts (the last one shorter), as
 * every common uploader makes them: `firstPart` is part 1's size where the store says it
 * (HeadObject with a part number); otherwise the first common part size that fits.
 */
export function sourceLayout(size: number, parts: number, firstPart?: number): Range[] {
  const fits = (p: number): boolean => p > 0 && (parts - 1) * p < size && size <= parts * p
  const step =
    [firstPart ?? 0, ...COMMON_PART_SIZES].find(fits) ??
    [Math.ceil(size / parts / MiB) * MiB, Math.ceil(size / parts)].find(fits) ??
    size
  return partRanges(size, step).slice(0, parts)
}
