/**
 * Sealed JSON Lines: the file format of saved plans and snapshots. The first line is a header
 * naming the format and its version, then one JSON value per line, then a trailer with the line
 * count and the SHA-256 of every line before it. A file that is truncated, edited, of another
 * format or of an unknown version is refused when it is read. Optionally gzip-compressed.
 * Written and read as streams, so memory stays small whatever the number of lines.
 */
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { createGunzip, createGzip, type Gzip } from 'node:zlib'

/** What every sealed file starts with. */
export interface SealedHeader {
  format: string
  version: number
}

interface Trailer {
  end: true
  lines: number
  sha256: string
}

/** A sealed file that cannot be used: says why, in terms of the file. */
export class SealedFileError extends Error {
  override name = 'SealedFileError'
}

/** Writes a sealed file line by line. */
export class SealedWriter<T> {
  private readonly hash = createHash('sha256')
  private lines = 0
  private constructor(
    readonly path: string,
    private readonly out: Gzip | WriteStream,
    private readonly file: WriteStream,
  ) {}

  static async create<T>(
    path: string,
    header: SealedHeader,
    { gzip = false }: { gzip?: boolean } = {},
  ): Promise<SealedWriter<T>> {
    const file = createWriteStream(path, { mode: 0o600 })
    await once(file, 'open')
    const out = gzip ? createGzip() : file
    if (gzip) out.pipe(file)
    const writer = new SealedWriter<T>(path, out, file)
    await writer.line(header)
    return writer
  }

  /** Lines written so far, header included. */
  get count(): number {
    return this.lines
  }

  write(value: T): Promise<void> {
    return this.line(value)
  }

  private async line(value: unknown): Promise<void> {
    const text = `${JSON.stringify(value)}\n`
    this.hash.update(text)
    this.lines++
    if (!this.out.write(text)) await once(this.out, 'drain')
  }

  /** Writes the trailer and closes the file; returns the SHA-256 (hex) that seals it. */
  async close(): Promise<string> {
    const sha256 = this.hash.digest('hex')
    const trailer: Trailer = { end: true, lines: this.lines, sha256 }
    this.out.end(`${JSON.stringify(trailer)}\n`)
    await once(this.file, 'close')
    return sha256
  }
}

/** The lines of a sealed file, checked as they go; the last step checks the seal. */
export interface SealedContents<H, T> {
  header: H
  /** Every value; throws SealedFileError at the end when the seal does not match. */
  values: AsyncIterable<T>
  /** The SHA-256 (hex) that seals the file, once `values` has been read to its end. */
  sha256?: string
}

/**
 * Opens a sealed file (a path, or a stream such as an S3 object's body) and checks its header:
 * `format` and `version` must be the expected ones. `describe` names the file in errors.
 */
export async function openSealed<H extends SealedHeader, T>(
  input: string | Readable,
  expected: { format: string; version: number; describe: string; gzip?: boolean },
): Promise<SealedContents<H, T>> {
  const stream = typeof input === 'string' ? createReadStream(input) : input
  const lines = readLines(stream, expected.gzip ?? false)[Symbol.asyncIterator]()
  const first = await lines.next()
  const what = expected.describe
  if (first.done) throw new SealedFileError(`${what} is empty`)
  const hash = createHash('sha256').update(`${first.value}\n`)
  const header = parse(first.value, what, 1) as Partial<SealedHeader>
  if (header.format !== expected.format) {
    throw new SealedFileError(
      `${what} is not a ${expected.format} file (its format is ${JSON.stringify(header.format)})`,
    )
  }
  if (header.version !== expected.version) {
    throw new SealedFileError(
      `${what} has format version ${JSON.stringify(header.version)}; this s3-rollback reads ` +
        `version ${expected.version}`,
    )
  }
  const contents: SealedContents<H, T> = { header: header as H, values: values() }
  async function* values(): AsyncGenerator<T> {
    let count = 1
    for (;;) {
      const next = await lines.next()
      if (next.done)
        throw new SealedFileError(`${what} is truncated (no trailer after ${count} lines)`)
      const value = parse(next.value, what, count + 1) as T & Partial<Trailer>
      if (value !== null && typeof value === 'object' && value.end === true) {
        const sha256 = hash.digest('hex')
        if (value.lines !== count || value.sha256 !== sha256) {
          throw new SealedFileError(
            `${what} was changed after it was written (its checksum does not match its content)`,
          )
        }
        if (!(await lines.next()).done) {
          throw new SealedFileError(`${what} has lines after its trailer`)
        }
        contents.sha256 = sha256
        return
      }
      hash.update(`${next.value}\n`)
      count++
      yield value as T
    }
  }
  return contents
}

/** Lines of a stream, gunzipped first when asked. */
async function* readLines(stream: Readable, gzip: boolean): AsyncGenerator<string> {
  const text = gzip ? stream.pipe(createGunzip()) : stream
  stream.on('error', (e) => text.destroy(e))
  const rl = createInterface({ input: text, crlfDelay: Infinity })
  try {
    for await (const line of rl) if (line !== '') yield line
  } catch (e) {
    throw new SealedFileError(`cannot be read: ${(e as Error).message}`)
  }
}

function parse(line: string, what: string, n: number): unknown {
  try {
    return JSON.parse(line)
  } catch {
    throw new SealedFileError(`${what} is damaged: line ${n} is not JSON`)
  }
}
