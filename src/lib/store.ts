/**
 * Where a run keeps what it streams (the plan, the journal of landed writes, manifest rows,
 * final states): in memory for a list of keys, in JSON Lines files for a prefix of any size.
 */
import { rm } from 'node:fs/promises'
import { JsonLinesWriter, readJsonLines } from './jsonl.js'

export interface Store<T> {
  write(value: T): Promise<void>
  /** Values written so far. */
  readonly count: number
  /** The file behind the store, if any. */
  readonly path?: string
  /** Every value written, in order (call after the writes, or after `flush`). */
  read(): AsyncIterable<T>
  flush(): Promise<void>
  close(): Promise<void>
  /** Closes the store and drops what it holds (deletes its file). */
  remove(): Promise<void>
}

/** A store in memory. */
export class MemoryStore<T> implements Store<T> {
  readonly values: T[] = []
  readonly path = undefined
  get count(): number {
    return this.values.length
  }
  async write(value: T): Promise<void> {
    this.values.push(value)
  }
  async *read(): AsyncIterable<T> {
    yield* this.values
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  async remove(): Promise<void> {
    this.values.length = 0
  }
}

/** A store in a JSON Lines file; `revive` restores what JSON loses (dates). */
export class FileStore<T> implements Store<T> {
  private constructor(
    private readonly writer: JsonLinesWriter,
    private readonly revive?: (key: string, value: unknown) => unknown,
  ) {}

  static async create<T>(
    path: string,
    revive?: (key: string, value: unknown) => unknown,
  ): Promise<FileStore<T>> {
    return new FileStore<T>(await JsonLinesWriter.create(path), revive)
  }

  get path(): string {
    return this.writer.path
  }
  get count(): number {
    return this.writer.count
  }
  write(value: T): Promise<void> {
    return this.writer.write(value)
  }
  read(): AsyncIterable<T> {
    return readJsonLines<T>(this.writer.path, this.revive)
  }
  flush(): Promise<void> {
    return this.writer.flush()
  }
  close(): Promise<void> {
    return this.writer.close()
  }
  async remove(): Promise<void> {
    await this.writer.close()
    await rm(this.writer.path, { force: true })
  }
}
