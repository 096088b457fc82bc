/**
 * The CLI's stdout and stderr. When the reader of one goes away (`s3-rollback … | head -1`), the
 * next write to it fails (EPIPE): from then on that stream is dropped, quietly, as other Unix
 * tools do, and the command goes on to its own end. A restore under way is not cut short by it:
 * it still finishes, or is put back, as it would have; only its printing stops, and the exit
 * code is the command's own.
 */

/** One output stream of the CLI. */
export interface Output {
  /** Writes `text` and a newline, unless the stream is closed. */
  line(text: string): void
  /** Writes `text` as it is, unless the stream is closed. */
  write(text: string): void
  /** True once a write failed: the reader went away (EPIPE), or the stream cannot be written. */
  readonly closed: boolean
}

/** A stream to write to: process.stdout, process.stderr (or a test's). */
export interface Writable {
  write(text: string): boolean
  on(event: 'error', listener: (e: Error & { code?: string }) => void): unknown
}

/**
 * Wraps `stream`: its write errors are taken as "closed" instead of crashing the process (an
 * unhandled 'error' event). `onLost` hears of a failure other than EPIPE (a full disk, say),
 * once, so that the other stream can say why the output stops.
 */
export function outputOf(
  stream: Writable,
  onLost: (e: Error & { code?: string }) => void = () => {},
): Output {
  let closed = false
  stream.on('error', (e) => {
    if (closed) return
    closed = true
    if (e.code !== 'EPIPE') onLost(e)
  })
  const write = (text: string): void => {
    if (!closed) stream.write(text)
  }
  return {
    line: (text) => write(`${text}\n`),
    write,
    get closed() {
      return closed
    },
  }
}
