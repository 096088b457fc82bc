// The demo: a bad pipeline run corrupts the two inputs of "Combine and Tileify"; the action
// rolls them back to the instant before it, server-side, and prints the job summary.
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const endpoint = process.env.S3_ENDPOINT_URL
const s3 = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
})
const bucket = `justice40-data-demo-${Date.now().toString(36)}`
const CENSUS = 'data-sources/census.zip'
const USA = 'data-pipeline/data/score/csv/tiles/usa.csv'
const sha = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 16)
const put = (Key, Body, ContentType) =>
  s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ContentType }))
const current = async (Key) => {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }))
    return Buffer.from(await out.Body.transformToByteArray())
  } catch {
    return null
  }
}

await s3.send(new CreateBucketCommand({ Bucket: bucket }))
await s3.send(
  new PutBucketVersioningCommand({
    Bucket: bucket,
    VersioningConfiguration: { Status: 'Enabled' },
  }),
)
const census = randomBytes(24 * 1024 * 1024)
const rows = ['GEOID10,Score,Percentile']
for (let i = 0; i < 20000; i++) rows.push(`${10000000000 + i},${(i % 97) / 97},${i % 100}`)
const usa = Buffer.from(rows.join('\n'))
await put(CENSUS, census, 'application/zip')
await put(USA, usa, 'text/csv')
await new Promise((r) => setTimeout(r, 1100))
const goodTime = new Date().toISOString()
await new Promise((r) => setTimeout(r, 1100))
console.log(
  `Seeded s3://${bucket}: census.zip ${sha(census)}, usa.csv ${sha(usa)}; known good at ${goodTime}`,
)
await put(CENSUS, census.subarray(0, 1024), 'application/zip') // a truncated upload
await put(USA, Buffer.from('GEOID10,Score\nNaN,NaN\n'), 'text/csv') // a bad score run
console.log('A bad run corrupted both files. Rolling back with node dist/index.js …\n')

const dir = mkdtempSync(join(tmpdir(), 's3-rollback-demo-'))
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
    INPUT_BUCKET: bucket,
    INPUT_KEYS: `${CENSUS}\n${USA}`,
    'INPUT_TO-TIME': goodTime,
    'INPUT_ENDPOINT-URL': endpoint,
    'INPUT_FORCE-PATH-STYLE': 'true',
  },
})
// The runner hides ::debug:: lines unless debug logging is on; so does the demo.
process.stdout.write(run.stdout.replace(/^::debug::.*\n/gm, '') + run.stderr)
console.log('\n--- job summary ---\n' + readFileSync(summary, 'utf8'))
console.log('--- outputs ---\n' + readFileSync(output, 'utf8'))
const [c, u] = [await current(CENSUS), await current(USA)]
const ok = run.status === 0 && sha(c) === sha(census) && sha(u) === sha(usa)
console.log(
  `census.zip now ${sha(c)}, usa.csv now ${sha(u)}: ${ok ? 'restored to the known good state' : 'NOT restored'}`,
)
process.exit(ok ? 0 : 1)
