/** The small logger the domain modules take, so they never import @actions/core. */
export interface Logger {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
  /** Runs one phase of the work under a heading (a log group in the action). */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
}

export const silentLogger: Logger = {
  info() {},
  warning() {},
  debug() {},
  group: (_name, fn) => fn(),
}
