/**
 * Runs every benchmark in turn and writes the output to bench/results/.
 * npm run bench (BENCH_ONLY=ops,large,prefix,scaling,sidebyside picks some; see each script for
 * its sizes). snapshots runs only when named: BENCH_ONLY=snapshots (or npm run bench:snapshots).
 */
import { large } from './large.js'
import { ops } from './ops.js'
import { prefix } from './prefix.js'
import { elapsed, machine, writeResults } from './results-writer.js'
import { scaling } from './scaling.js'
import { sidebyside } from './sidebyside.js'
import { snapshots } from './snapshots.js'

const benches: Record<string, () => Promise<string>> = {
  ops,
  large,
  prefix,
  scaling,
  sidebyside,
  snapshots,
}
/** Run only when named in BENCH_ONLY (100,000 keys take a while). */
const optIn = new Set(['snapshots'])
const only = (
  process.env.BENCH_ONLY ??
  Object.keys(benches)
    .filter((name) => !optIn.has(name))
    .join(',')
).split(',')
const host = machine()
console.log(`machine: ${host}\n`)
for (const name of only) {
  const bench = benches[name.trim()]
  if (!bench)
    throw new Error(`unknown benchmark ${name}; one of ${Object.keys(benches).join(', ')}`)
  console.log(`\n### ${name}\n`)
  const started = Date.now()
  const text = await bench()
  await writeResults(name, [host, elapsed(started)], text)
}
