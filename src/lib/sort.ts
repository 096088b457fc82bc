/**
 * An external sort by key (S3's key order): values are kept a chunk at a time, each chunk sorted
 * and spilled to a file of its own, and the files merged when read. Memory holds one chunk while
 * writing and one value per file while reading, whatever the number of values. For files whose
 * lines arrive out of key order (a dry run's plan: keys resolve concurrently) but are read
 * beside a listing.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { JsonLinesWriter, readJsonLines } from './jsonl.js'

/** Values per spilled chunk (a few MB of plan lines). */
export const SORT_CHUNK = 20_000

export class ExternalSort<T> {
  private chunk: Array<{ bytes: Buffer; value: T }> = []
  private readonly files: string[] = []
  private last: Buffer | undefined
  private inOrder = true
  private added = 0
  private spilled = 0

  /** Spills into `dir` (files <name>-<n>.jsonl, removed once read). */
  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly keyOf: (value: T) => string,
    private readonly chunkSize = SORT_CHUNK,
  ) {}

  /** Values added so far. */
  get count(): number {
    return this.added
  }

  /** Whether every value so far came in strictly increasing key order (no sort was needed). */
  get sortedAlready(): boolean {
    return this.inOrder
  }

  async add(value: T): Promise<void> {
    const bytes = Buffer.from(this.keyOf(value), 'utf8')
    if (this.last && Buffer.compare(this.last, bytes) >= 0) this.inOrder = false
    this.last = bytes
    this.added++
    this.chunk.push({ bytes, value })
    if (this.chunk.length >= this.chunkSize) await this.spill()
  }

  /** Every value added, in key order (equal keys in the order they were added). Read once. */
  async *sorted(): AsyncGenerator<T> {
    const chunk = this.take()
    if (this.files.length === 0) {
      for (const { value } of chunk) yield value
      return
    }
    if (chunk.length > 0) await this.write(chunk)
    const heads = this.files.map((file) => readJsonLines<T>(file)[Symbol.asyncIterator]())
    try {
      const current = await Promise.all(heads.map((h) => h.next()))
      const keys = current.map((c) => (c.done ? undefined : Buffer.from(this.keyOf(c.value))))
      for (;;) {
        let min = -1
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i]
          if (key && (min < 0 || Buffer.compare(key, keys[min] as Buffer) < 0)) min = i
        }
        if (min < 0) return
        const next = current[min]
        if (!next.done) yield next.value
        current[min] = await heads[min].next()
        const c = current[min]
        keys[min] = c.done ? undefined : Buffer.from(this.keyOf(c.value))
      }
    } finally {
      await Promise.all(heads.map((h) => h.return?.(undefined)))
      await this.remove()
    }
  }

  /** Removes the spilled files. */
  async remove(): Promise<void> {
    this.chunk = []
    await Promise.all(this.files.splice(0).map((file) => rm(file, { force: true })))
  }

  private take(): Array<{ bytes: Buffer; value: T }> {
    const chunk = this.chunk
    this.chunk = []
    // Array.prototype.sort is stable: equal keys keep the order they were added in.
    return chunk.sort((a, b) => Buffer.compare(a.bytes, b.bytes))
  }

  private async spill(): Promise<void> {
    await this.write(this.take())
  }

  private async write(chunk: Array<{ value: T }>): Promise<void> {
    const file = join(this.dir, `${this.name}-${this.spilled++}.jsonl`)
    this.files.push(file)
    const writer = await JsonLinesWriter.create(file)
    for (const { value } of chunk) await writer.write(value)
    await writer.close()
  }
}
