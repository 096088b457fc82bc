// The demo: a bad pipeline run corrupts the two inputs of "Combine and Tileify"; the action
// rolls them back to the instant before it, server-side, and prints the job summary.
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CENSUS, USA, localClient, seedCorrupted } from './seed.mjs'

const s3 = localClient()
const sha = (bytes) =>
  bytes ? createHash('sha256').update(bytes).digest('hex').slice(0, 16) : 'absent'
const current = async (bucket, Key) => {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }))
    return Buffer.from(await out.Body.transformToByteArray())
  } catch {
    return null
  }
}

const { bucket, goodTime, census, usa } = await seedCorrupted(s3)
console.log(
  `Seeded s3://${bucket}: census.zip ${sha(census)}, usa.csv ${sha(usa)}; good at ${goodTime}`,
)
console.log('A bad run then corrupted both files. Rolling back with node dist/index.js …\n')

// The runner's files (outputs, job summary, RUNNER_TEMP), printed below and removed at the end.
const dir = mkdtempSync(join(tmpdir(), 's3-rollback-demo-'))
process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1))
const output = join(dir, 'output')
const summary = join(dir, 'summary.md')
writeFileSync(output, '')
writeFileSync(summary, '')
const run = spawnSync(process.execPath, ['dist/index.js'], {
  encoding: 'utf8',
  env: {
    ...process.env,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    RUNNER_TEMP: dir,
    INPUT_BUCKET: bucket,
    INPUT_KEYS: `${CENSUS}\n${USA}`,
    'INPUT_TO-TIME': goodTime,
    'INPUT_ENDPOINT-URL': process.env.S3_ENDPOINT_URL,
    'INPUT_FORCE-PATH-STYLE': 'true',
  },
})
// The runner hides ::debug:: lines unless debug logging is on; so does the demo.
process.stdout.write(run.stdout.replace(/^::debug::.*\n/gm, '') + run.stderr)
console.log('\n--- job summary ---\n' + readFileSync(summary, 'utf8'))
console.log('--- outputs ---\n' + readFileSync(output, 'utf8'))
const [c, u] = [await current(bucket, CENSUS), await current(bucket, USA)]
const ok = run.status === 0 && sha(c) === sha(census) && sha(u) === sha(usa)
console.log(
  `census.zip now ${sha(c)}, usa.csv now ${sha(u)}: ` +
    (ok ? 'restored to the known good state' : 'NOT restored'),
)
process.exit(ok ? 0 : 1)
