/**
 * Runs one rollback in its own process (so its peak memory can be measured) and prints, as the
 * last line of stdout, JSON: seconds, S3 requests by command, and the manifest summary.
 * Usage: node build/bench/action.js '{"bucket": "...", "prefix": "p/", "to-time": "..."}'
 */
import type { S3Client } from '@aws-sdk/client-s3'
import type { Logger } from '../src/lib/log.js'
import { rollback } from '../src/engine/rollback.js'
import { createS3Client } from '../src/s3/client.js'
import { settings as settingsOf } from './lib.js'

/** Counts every request the client sends (each attempt), by command. */
export function countRequests(s3: S3Client): Record<string, number> {
  const counts: Record<string, number> = {}
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context.commandName ?? 'unknown').replace(/Command$/, '')
      counts[name] = (counts[name] ?? 0) + 1
      return next(args)
    },
    { step: 'finalizeRequest', name: 'benchCountRequests', priority: 'low' },
  )
  return counts
}

const stderrLogger: Logger = {
  info: (m) => process.stderr.write(`${m}\n`),
  warning: (m) => process.stderr.write(`warning: ${m}\n`),
  debug: () => {},
  group: async (name, fn) => {
    process.stderr.write(`== ${name}\n`)
    return fn()
  },
}

async function main(): Promise<void> {
  const inputs = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>
  const settings = settingsOf(inputs)
  const s3 = createS3Client(settings.s3)
  const requests = countRequests(s3)
  const started = process.hrtime.bigint()
  const manifest = await rollback(s3, settings, stderrLogger)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  s3.destroy()
  const keys = manifest.keys.length > 50 ? undefined : manifest.keys
  console.log(
    JSON.stringify({
      seconds,
      requests,
      summary: manifest.summary,
      keys,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    }),
  )
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
