import { createReadStream } from 'node:fs'
import { mkdtemp, open, type FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const FLUSH_BYTES = 64 * 1024
const READ_BYTES = 256 * 1024

/** Appends one JSON value per line to a file, in buffered writes (memory stays small). */
export class JsonLinesWriter {
  private buffer: string[] = []
  private bytes = 0
  private lines = 0
  private flushing: Promise<void> = Promise.resolve()
  private closed = false

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
  ) {}

  /** Creates (or truncates) `path`. */
  static async create(path: string): Promise<JsonLinesWriter> {
    return new JsonLinesWriter(path, await open(path, 'w'))
  }

  /** Lines written so far. */
  get count(): number {
    return this.lines
  }

  /** Queues one line; resolves once the buffer is small again (back-pressure for callers). */
  async write(value: unknown): Promise<void> {
    const line = JSON.stringify(value) + '\n'
    this.buffer.push(line)
    this.bytes += line.length
    this.lines++
    if (this.bytes >= FLUSH_BYTES) await this.flush()
  }

  /** Writes out everything queued so far. */
  async flush(): Promise<void> {
    const chunk = this.buffer.join('')
    this.buffer = []
    this.bytes = 0
    this.flushing = this.flushing.then(async () => {
      if (chunk !== '') await this.file.write(chunk)
    })
    await this.flushing
  }

  /** Flushes and closes the file (once; later calls do nothing). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.flush()
    await this.file.close()
  }
}

/**
 * The values of a JSON Lines file, one at a time. Read in large chunks and split by hand: a run
 * reads its plan, journal and outcomes back line by line, and readline's per-line events cost
 * more than the parsing.
 */
export async function* readJsonLines<T>(
  path: string,
  revive?: (key: string, value: unknown) => unknown,
): AsyncGenerator<T> {
  let rest = ''
  const chunks = createReadStream(path, { encoding: 'utf8', highWaterMark: READ_BYTES })
  for await (const chunk of chunks as AsyncIterable<string>) {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) if (line.trim() !== '') yield JSON.parse(line, revive) as T
  }
  if (rest.trim() !== '') yield JSON.parse(rest, revive) as T
}

/** Revives ISO dates of the fields that hold dates (JSON has none). */
export function reviveDates(fields: readonly string[]): (key: string, value: unknown) => unknown {
  const names = new Set(fields)
  return (key, value) => (names.has(key) && typeof value === 'string' ? new Date(value) : value)
}

/** Where runs make their directories when told (the CLI's --work-dir); unset: the default. */
let workRoot: string | undefined

/**
 * Makes every later run directory of this process under `dir` (the CLI's `--work-dir`, set once
 * before the command runs), as TMPDIR does for the OS temp.
 */
export function useWorkRoot(dir: string | undefined): void {
  workRoot = dir
}

/**
 * A new private directory for a run's files: under the work root when one is set, else under
 * RUNNER_TEMP on a runner, else the OS temp (TMPDIR).
 */
export function runDirectory(): Promise<string> {
  return mkdtemp(join(workRoot || process.env.RUNNER_TEMP || tmpdir(), 's3-rollback-'))
}
