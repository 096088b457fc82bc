/**
 * The Node versions the CLI supports, and the one line it prints on an older one. The AWS SDK
 * says the same in eight lines (its NodeVersionSupportWarning); the CLI says it once, in its
 * own words, and turns the SDK's off.
 */

/** The oldest supported Node major: package.json's `engines.node` (a test keeps them equal). */
export const MIN_NODE_MAJOR = 22

/** The AWS SDK's switch for its NodeVersionSupportWarning. */
const SDK_WARNING_OFF = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'

/** The line for a Node (`process.version`) older than MIN_NODE_MAJOR; else undefined. */
export function oldNodeLine(version: string): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1])
  if (!Number.isInteger(major) || major >= MIN_NODE_MAJOR) return undefined
  return (
    `s3-rollback: warning: Node ${version} is past its end of life and not supported; ` +
    `use Node ${MIN_NODE_MAJOR} or later (this run goes on).`
  )
}

/**
 * On an unsupported Node: says so in one line and turns the SDK's warning off in `env` (read
 * when an S3 client is made). Nothing on a supported one.
 */
export function warnOnOldNode(
  version: string,
  env: NodeJS.ProcessEnv,
  say: (line: string) => void,
): void {
  const line = oldNodeLine(version)
  if (line === undefined) return
  env[SDK_WARNING_OFF] = 'true'
  say(line)
}
