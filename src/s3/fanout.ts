/**
 * Listing a large prefix in parallel, in S3's key order. One listing walks its pages one round
 * trip at a time; a prefix of more than SEQUENTIAL_PAGES pages is, after them, cut into key
 * ranges listed at once and joined in order. Nested prefixes are cut at their sub-prefixes (a
 * delimiter listing, two levels deep); a flat one at keys found by probes one page apart. A range
 * is (from, to]: keys after `from` (a KeyMarker without a version marker lists the keys after
 * it) up to and including `to`, so all versions of a key are in one range, and the ranges
 * together hold every key exactly once, wherever the cuts fall. A prefix of up to
 * SEQUENTIAL_PAGES pages is listed as before, with no extra request.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import {
  byteOrder,
  listPage,
  listPrefixes,
  type KeyHistory,
  type ListOptions,
  type Page,
  type VersionEntry,
} from './listing.js'

/**
 * Pages listed one after another before a prefix counts as large: up to 8,000 entries cost no
 * request more than a plain listing, and only a prefix past them pays a few for its cuts.
 */
export const SEQUENTIAL_PAGES = 8

export interface FanOutOptions {
  /** Pages listed one after another before the rest is cut into ranges (default 8). */
  sequentialPages?: number
  /** Ranges listed at once (default 8). */
  inFlight?: number
  /** Pages a range reads ahead of the consumer (default 2). */
  readAhead?: number
  /** Ranges at most (default 8: each overshoots its end by up to a page). */
  ranges?: number
}

/** A key range: keys after `from` (the page's markers, for the first) up to `to`, inclusive. */
interface Range {
  from?: { keyMarker: string; versionIdMarker?: string }
  to?: string
}

/**
 * Every key's history under the prefix, as `keyHistories` yields them, listing the ranges of a
 * prefix larger than one page at once.
 */
export async function* fannedKeyHistories(
  s3: S3Client,
  options: ListOptions,
  fan: FanOutOptions = {},
): AsyncGenerator<KeyHistory> {
  // A prefix of up to `sequentialPages` pages is listed one page after another, as before, with
  // no extra request; only a larger one is cut into ranges, from the last page read.
  let pending: KeyHistory | undefined
  const absorb = function* (entries: VersionEntry[]): Generator<KeyHistory> {
    for (const history of group(entries)) {
      if (pending && pending.key === history.key) {
        pending.entries.push(...history.entries)
        continue
      }
      if (pending) yield pending
      pending = history
    }
  }
  let first = await listPage(s3, options)
  for (let pages = 1; ; pages++) {
    yield* absorb(first.entries)
    if (!first.truncated || first.nextKeyMarker === undefined) {
      if (pending) yield pending
      return
    }
    if (pages >= (fan.sequentialPages ?? SEQUENTIAL_PAGES)) break
    first = await listPage(s3, options, first.nextKeyMarker, first.nextVersionIdMarker)
  }
  // The last page's last key may go on in the next page: it is the first range's to finish.
  const last = pending
  const after = first.nextKeyMarker
  // The first range goes on from the first page while the cuts are found; where it ends is
  // known before any of its pages is read (pages are cut at their range's end when read).
  const ranges: Range[] = [
    { from: { keyMarker: after, versionIdMarker: first.nextVersionIdMarker } },
  ]
  const head = new Ahead(rangePages(s3, options, ranges[0]), readAheadOf(fan))
  let cuts: string[]
  try {
    cuts = await cutsOf(s3, options, first, fan.ranges ?? 8)
  } catch (e) {
    head.stop()
    throw e
  }
  for (const cut of cuts.filter((c) => byteOrder(c, after) > 0)) {
    ranges[ranges.length - 1].to = cut
    ranges.push({ from: { keyMarker: cut } })
  }
  pending = last
  for await (const page of inOrder(s3, options, ranges, fan, head)) {
    for (const history of page) {
      if (pending && pending.key === history.key) {
        pending.entries.push(...history.entries)
        continue
      }
      if (pending) yield pending
      pending = history
    }
  }
  if (pending) yield pending
}

/** Consecutive entries of one key, as histories. */
function group(entries: VersionEntry[]): KeyHistory[] {
  const out: KeyHistory[] = []
  for (const entry of entries) {
    const top = out[out.length - 1]
    if (top && top.key === entry.key) top.entries.push(entry)
    else out.push({ key: entry.key, entries: [entry] })
  }
  return out
}

/**
 * Where to cut the prefix, in byte order. Nested: its sub-prefixes, and theirs (one request for
 * the level, one for each sub-prefix). Flat (fewer than two sub-prefixes): probes spread past the
 * first page's last key.
 */
async function cutsOf(
  s3: S3Client,
  options: ListOptions,
  first: Page,
  most: number,
): Promise<string[]> {
  const top = await listPrefixes(s3, { ...options, pageSize: undefined })
  let cuts = top.prefixes
  if (cuts.length >= 2) {
    if (cuts.length < most) {
      const below = await Promise.all(
        cuts.map((prefix) => listPrefixes(s3, { ...options, prefix, pageSize: undefined })),
      )
      cuts = cuts.flatMap((prefix, i) => [prefix, ...below[i].prefixes])
    }
  } else {
    cuts = await probeCuts(s3, options, first)
  }
  return spread([...new Set(cuts)].sort(byteOrder), most - 1)
}

/** Characters to probe with, in byte order: digits first (ids and dates), then letters. */
const PROBES = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
/** Probes at most: every digit, and letters spread over the rest. */
const MAX_PROBES = 16

/**
 * Cuts for a flat prefix: the first page's keys vary at some position; the keys after it most
 * likely vary one position earlier (or, when the page already varies just after the prefix, at
 * that position). A probe per character above the last key's there, each one request of one
 * entry; the probes with keys between them and the next are the cuts.
 */
async function probeCuts(s3: S3Client, options: ListOptions, first: Page): Promise<string[]> {
  const a = Array.from(first.entries[0]?.key ?? '')
  const z = Array.from(first.nextKeyMarker ?? '')
  let common = 0
  while (common < a.length && common < z.length && a[common] === z[common]) common++
  const at = Math.max(Array.from(options.prefix).length, common - 1)
  if (at >= z.length) return []
  const stem = z.slice(0, at).join('')
  const above = [...PROBES].filter((c) => byteOrder(c, z[at]) > 0)
  const digits = above.filter((c) => c <= '9')
  const probes = [...digits, ...spread(above.slice(digits.length), MAX_PROBES - digits.length)].map(
    (c) => stem + c,
  )
  const found = await Promise.all(
    probes.map(async (probe) => {
      const page = await listPage(s3, { ...options, pageSize: 1 }, probe)
      return page.entries[0]?.key
    }),
  )
  // A probe is a cut when keys follow it before the next probe's first key.
  return probes.filter((_, i) => found[i] !== undefined && found[i] !== found[i + 1])
}

/** At most `n` of `cuts`, evenly spaced. */
function spread<T>(cuts: T[], n: number): T[] {
  if (cuts.length <= n) return cuts
  return Array.from({ length: n }, (_, i) => cuts[Math.floor(((i + 1) * cuts.length) / (n + 1))])
}

/**
 * One range's pages as listed, until a page goes past the range's `to` (read at each page: the
 * first range's is set while it runs). The reader cuts the last page at `to`.
 */
async function* rangePages(
  s3: S3Client,
  options: ListOptions,
  range: Range,
): AsyncGenerator<VersionEntry[]> {
  let keyMarker = range.from?.keyMarker
  let versionIdMarker = range.from?.versionIdMarker
  for (;;) {
    const page = await listPage(s3, options, keyMarker, versionIdMarker)
    yield page.entries
    if (!page.truncated) return
    keyMarker = page.nextKeyMarker
    versionIdMarker = page.nextVersionIdMarker
    const { to } = range
    if (to !== undefined && keyMarker !== undefined && byteOrder(keyMarker, to) > 0) return
  }
}

const readAheadOf = (fan: FanOutOptions): number => Math.max(1, fan.readAhead ?? 2)

/** A range listed ahead of its turn: up to `ahead` pages kept until they are read. */
class Ahead<T> {
  private readonly pages: T[] = []
  private done = false
  private error: unknown
  private failed = false
  private stopped = false
  private wakeReader?: () => void
  private wakeWriter?: () => void

  constructor(source: AsyncGenerator<T>, ahead: number) {
    void (async () => {
      try {
        for await (const page of source) {
          this.pages.push(page)
          this.wakeReader?.()
          while (this.pages.length >= ahead && !this.stopped) {
            await new Promise<void>((resolve) => (this.wakeWriter = resolve))
          }
          if (this.stopped) return
        }
      } catch (e) {
        this.failed = true
        this.error = e
      } finally {
        this.done = true
        this.wakeReader?.()
      }
    })()
  }

  async *read(): AsyncGenerator<T> {
    for (;;) {
      if (this.pages.length > 0) {
        const page = this.pages.shift() as T
        this.wakeWriter?.()
        yield page
        continue
      }
      if (this.failed) throw this.error
      if (this.done) return
      await new Promise<void>((resolve) => (this.wakeReader = resolve))
    }
  }

  stop(): void {
    this.stopped = true
    this.wakeWriter?.()
  }
}

/**
 * The ranges' pages in range order, grouped by key and cut at each range's end, `inFlight`
 * ranges listed at once (the first already started: `head`).
 */
async function* inOrder(
  s3: S3Client,
  options: ListOptions,
  ranges: Range[],
  fan: FanOutOptions,
  head: Ahead<VersionEntry[]>,
): AsyncGenerator<KeyHistory[]> {
  const inFlight = Math.max(1, fan.inFlight ?? 8)
  const started: Array<Ahead<VersionEntry[]>> = [head]
  const start = (i: number): void => {
    if (i < ranges.length && started[i] === undefined) {
      started[i] = new Ahead(rangePages(s3, options, ranges[i]), readAheadOf(fan))
    }
  }
  try {
    for (let i = 0; i < ranges.length; i++) {
      for (let j = i; j < i + inFlight; j++) start(j)
      const { to } = ranges[i]
      for await (const entries of started[i].read()) {
        const inside = to === undefined ? entries : entries.filter((e) => byteOrder(e.key, to) <= 0)
        yield group(inside)
        if (inside.length < entries.length) break
      }
      started[i].stop()
    }
  } finally {
    for (const range of started) range?.stop()
  }
}
