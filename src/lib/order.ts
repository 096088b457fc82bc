/**
 * S3's key order, and merging two streams that are in it. Snapshots, saved plans and listings
 * all come in this order, so a run reads them side by side one key at a time instead of holding
 * a map of every key: memory stays one page of each, whatever the number of keys.
 */

/** S3's key order: by the keys' UTF-8 bytes (which differs from UTF-16 order for some characters). */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** A stream that should be in key order is not: `key` came after `previous`. */
export class OutOfOrderError extends Error {
  override name = 'OutOfOrderError'
  constructor(
    /** Which stream: 'left' or 'right' of mergeByKey. */
    readonly side: 'left' | 'right',
    readonly key: string,
    readonly previous: string,
  ) {
    super(
      `not in S3's key order (UTF-8 bytes): ${JSON.stringify(key)} comes after ${JSON.stringify(previous)}`,
    )
  }
}

/** One key of two merged streams: what each holds for it (at least one of them does). */
export interface Merged<L, R> {
  key: string
  left?: L
  right?: R
}

/**
 * Pure over two streams, each in strictly increasing key order (byteOrder): every key of either,
 * in that order, once, with what each stream holds for it. Reads one value ahead on each side.
 * Throws OutOfOrderError when a stream goes back (or repeats a key).
 */
export async function* mergeByKey<L extends { key: string }, R extends { key: string }>(
  left: AsyncIterable<L>,
  right: AsyncIterable<R>,
): AsyncGenerator<Merged<L, R>> {
  const a = withBytes(left, 'left')[Symbol.asyncIterator]()
  const b = withBytes(right, 'right')[Symbol.asyncIterator]()
  try {
    let x = await a.next()
    let y = await b.next()
    while (!x.done || !y.done) {
      const order = x.done ? 1 : y.done ? -1 : Buffer.compare(x.value.bytes, y.value.bytes)
      if (order < 0 && !x.done) {
        yield { key: x.value.value.key, left: x.value.value }
        x = await a.next()
      } else if (order > 0 && !y.done) {
        yield { key: y.value.value.key, right: y.value.value }
        y = await b.next()
      } else if (!x.done && !y.done) {
        yield { key: x.value.value.key, left: x.value.value, right: y.value.value }
        x = await a.next()
        y = await b.next()
      }
    }
  } finally {
    await Promise.all([a.return?.(undefined), b.return?.(undefined)])
  }
}

/** `values`, checked to be in strictly increasing key order as they go (OutOfOrderError). */
export async function* ordered<T extends { key: string }>(
  values: AsyncIterable<T>,
  side: 'left' | 'right' = 'left',
): AsyncGenerator<T> {
  for await (const { value } of withBytes(values, side)) yield value
}

/** Each value with its key's UTF-8 bytes (encoded once), checked to be in order. */
async function* withBytes<T extends { key: string }>(
  values: AsyncIterable<T>,
  side: 'left' | 'right',
): AsyncGenerator<{ value: T; bytes: Buffer }> {
  let previous: { value: T; bytes: Buffer } | undefined
  for await (const value of values) {
    const bytes = Buffer.from(value.key, 'utf8')
    if (previous && Buffer.compare(previous.bytes, bytes) >= 0) {
      throw new OutOfOrderError(side, value.key, previous.value.key)
    }
    previous = { value, bytes }
    yield previous
  }
}
