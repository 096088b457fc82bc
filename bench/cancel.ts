/**
 * How many keys a cancelled run puts back before the runner kills it: the bundled action
 * restores a prefix at the default concurrency (16) and gets the runner's SIGINT after N
 * writes (SIGTERM 7.5 s later, SIGKILL 2.5 s after that); per N: seconds from SIGINT to exit,
 * keys put back, keys left (NOT put back), and whether every key ended as before the run.
 * BENCH_CANCEL_AFTER (default 250,500,1000,2000 writes), BENCH_CANCEL_KEYS (default 4000),
 * BENCH_LATENCY_MS (added per request by a proxy; default 0).
 */
import type { ChildProcess } from 'node:child_process'
import { startAction } from '../__tests__/helpers/action.js'
import { startAwsProxy } from '../__tests__/helpers/awsproxy.js'
import { allVersions, endpoint } from '../__tests__/helpers/s3.js'
import {
  client,
  envInt,
  envList,
  isMain,
  newBucket,
  removeBucket,
  seedPrefix,
  sleep,
  table,
} from './lib.js'
import { runAndWrite, transcript } from './results-writer.js'

const copies = (ops: Record<string, number>): number => ops['PUT copy'] ?? 0

async function cancelAfter(
  child: ChildProcess,
  writes: number,
  ops: () => Record<string, number>,
): Promise<number> {
  while (copies(ops()) < writes && child.exitCode === null) await sleep(2)
  const at = Date.now()
  child.kill('SIGINT')
  const term = setTimeout(() => child.kill('SIGTERM'), 7500)
  const kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await new Promise((resolve) => child.once('close', resolve))
  clearTimeout(term)
  clearTimeout(kill)
  return (Date.now() - at) / 1000
}

export async function cancel(print: (line: string) => void = console.log): Promise<string> {
  const s3 = client()
  const keys = envInt('BENCH_CANCEL_KEYS', 4000)
  const afters = envList('BENCH_CANCEL_AFTER', [250, 500, 1000, 2000])
  const latencyMs = envInt('BENCH_LATENCY_MS', 0)
  const proxy = await startAwsProxy(endpoint(), { latencyMs })
  const rows: Array<Array<string | number>> = []
  try {
    for (const after of afters) {
      const bucket = await newBucket(s3, 'cancel')
      try {
        // Every key overwritten after T: every key is a write.
        const at = await seedPrefix(s3, [bucket], { keys, before: 1, after: 1 })
        const before = await allVersions(s3, bucket)
        proxy.resetStats()
        const { child, done } = await startAction({
          bucket,
          prefix: 'p/',
          'to-time': at,
          'endpoint-url': proxy.url,
          'force-path-style': 'true',
        })
        const seconds = await cancelAfter(child, after, () => proxy.stats.byOperation)
        const run = await done
        const written = copies(proxy.stats.byOperation)
        const back = Number(/(\d+) keys put back/.exec(run.summary)?.[1] ?? 0)
        const left = Number(/(\d+) keys were NOT put back/.exec(run.summary)?.[1] ?? 0)
        // As before the run: the same content is current (a put-back is a copy of it).
        const latest = (entries: typeof before): Map<string, string | undefined> =>
          new Map(entries.filter((e) => e.isLatest).map((e) => [e.key, e.eTag] as const))
        const was = latest(before)
        const now = latest(await allVersions(s3, bucket))
        const wrong = [...was].filter(([key, eTag]) => now.get(key) !== eTag).length
        rows.push([
          after,
          `${seconds.toFixed(1)} s`,
          child.signalCode ?? `exit ${run.code}`,
          back,
          left,
          written,
          wrong,
        ])
        print(`after ${after} writes: ${rows[rows.length - 1].join(', ')}`)
      } finally {
        await removeBucket(s3, bucket, 16)
      }
    }
  } finally {
    await proxy.close()
    s3.destroy()
  }
  return (
    `Cancelled mid-restore (${keys} keys under p/, concurrency 16, +${latencyMs} ms a request)\n` +
    table(
      [
        'SIGINT after writes',
        'SIGINT to exit',
        'ended',
        'put back',
        'NOT put back',
        'copies in all',
        'keys not as before',
      ],
      rows,
    )
  )
}

if (isMain(import.meta.url)) {
  const { printed, say } = transcript()
  await runAndWrite('cancel', async () => say(await cancel(say)), { printed })
}
