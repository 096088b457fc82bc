/**
 * The job summaries of the main scenarios, as a person sees them on GitHub: each is written by
 * the bundled action (`node dist/index.js`, run as the runner runs it, with GITHUB_STEP_SUMMARY)
 * against the real local S3 (and, for a chained run, the fake GitHub), rendered as GitHub renders
 * Markdown and screenshotted in headless Chromium. Each test checks what the page says.
 *
 * The pictures go to a temporary folder, removed after the tests; `npm run summaries` keeps them
 * in docs/summaries/ (SUMMARY_SCREENSHOTS=docs/summaries). Build the bundle first.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'
import { runAction } from './helpers/action.js'
import { startFaultProxy, isCopyOf, type FaultProxy } from './helpers/faultproxy.js'
import { FakeGitHub, lifecycle } from './helpers/github.js'
import { pngSize, screenshot, summaryHtml } from './helpers/render.js'
import { added, allVersions, client, endpoint, newBucket, put, read, sleep } from './helpers/s3.js'

const TOKEN = 'ghs_screensTokenThatMustNeverBeLogged'
let s3: S3Client
let out: string
let keep = false
/** The runners' temporary folders, removed after the tests. */
let scratch: string

beforeAll(async () => {
  s3 = client()
  keep = Boolean(process.env.SUMMARY_SCREENSHOTS)
  out = keep
    ? resolve(process.env.SUMMARY_SCREENSHOTS ?? '')
    : await mkdtemp(join(tmpdir(), 's3-rollback-summaries-'))
  await mkdir(out, { recursive: true })
  scratch = await mkdtemp(join(tmpdir(), 's3-rollback-runner-'))
})
afterAll(async () => {
  s3?.destroy()
  if (!keep && out) await rm(out, { recursive: true, force: true })
  if (scratch) await rm(scratch, { recursive: true, force: true })
})

const local = (): Record<string, string> => ({
  'endpoint-url': endpoint(),
  'force-path-style': 'true',
})

/** The page as text, the way a reader reads it (tags out, entities decoded, spaces folded). */
function text(html: string): string {
  return html
    .replace(/<\/?(code|strong|a|sub|em)\b[^>]*>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
}

/** What the page shows without opening any collapsed section, and what those sections hold. */
function visible(html: string): { shown: string; collapsed: string } {
  const collapsed = [...html.matchAll(/<details>[\s\S]*?<\/details>/g)].map((m) => m[0])
  return {
    shown: text(html.replace(/<details>[\s\S]*?<\/details>/g, '')),
    collapsed: text(collapsed.join(' ')),
  }
}

/** The `with:` block of the first yaml code block on the page. */
function withBlock(html: string): Record<string, unknown> {
  const m = /````?yaml\n([\s\S]*?)\n````?/.exec(html)
  if (!m) throw new Error('no yaml block on the page')
  return (parse(m[1]) as { with: Record<string, unknown> }).with
}

/** A version's time as the page shows it. */
const shown = (d: Date | undefined): string =>
  d ? d.toISOString().slice(0, 19).replace('T', ' ') : ''

/**
 * Renders the page, screenshots it, and checks the picture is a whole page. `opened`: also a
 * picture with every collapsed section opened (`NAME-opened.png`), to show what they hold.
 */
async function picture(
  name: string,
  title: string,
  summary: string,
  opened = false,
): Promise<void> {
  const pages: [string, string][] = [[name, summaryHtml(summary, title)]]
  if (opened) {
    pages.push([
      `${name}-opened`,
      summaryHtml(summary, title).replace(/<details>/g, '<details open>'),
    ])
  }
  for (const [file, html] of pages) {
    const png = join(out, `${file}.png`)
    const size = await screenshot(html, png)
    expect(size.width).toBe(1100)
    expect(size.height).toBeGreaterThan(200)
    expect(pngSize(await readFile(png))).toEqual(size)
  }
}

/** Versions one second and more apart, so that the page's times (to the second) tell them apart. */
const tick = (): Promise<void> => sleep(1100)

const CENSUS = 'data-sources/census.zip'
const USA = 'data-pipeline/data/score/csv/tiles/usa.csv'

/** A justice40-like bucket whose two inputs were overwritten after a good time `at`. */
async function twoKeys(): Promise<{ bucket: string; at: string; good: Record<string, string> }> {
  const bucket = await newBucket(s3, 'Enabled', 'justice40-data')
  const census = await put(s3, bucket, CENSUS, Buffer.alloc(300 * 1024, 'c'))
  await tick()
  const usa = await put(s3, bucket, USA, 'GEOID10,score\n01001020100,0.41\n'.repeat(400))
  await tick()
  const at = new Date().toISOString()
  await tick()
  await put(s3, bucket, CENSUS, Buffer.alloc(12 * 1024, 'x'))
  await put(s3, bucket, USA, 'GEOID10,score\n')
  return { bucket, at, good: { [CENSUS]: census, [USA]: usa } }
}

/** When each version was written, from the listing. */
async function times(bucket: string): Promise<Map<string, Date>> {
  return new Map((await allVersions(s3, bucket)).map((e) => [e.versionId, e.lastModified]))
}

/** The current content of each data key (not the run records in the snapshot store). */
async function currentETags(bucket: string): Promise<Map<string, string | undefined>> {
  const entries = await allVersions(s3, bucket)
  return new Map(
    entries
      .filter((e) => e.isLatest && !e.key.startsWith('.s3-rollback/'))
      .map((e) => [e.key, e.eTag]),
  )
}

describe('job summaries, rendered as GitHub shows them', () => {
  it('a restore of listed keys: when each restored and replaced version was written, and the undo block', async () => {
    const { bucket, at, good } = await twoKeys()
    const before = await allVersions(s3, bucket)
    const bad = new Map(before.filter((e) => e.isLatest).map((e) => [e.key, e.versionId]))
    const run = await runAction({ ...local(), bucket, keys: `${CENSUS}\n${USA}`, 'to-time': at })
    expect(run.code).toBe(0)
    const when = await times(bucket)
    const { shown: page } = visible(run.summary)
    expect(page).toContain(`Rolled back 2 keys of s3://${bucket} to ${shown(new Date(at))}`)
    expect(page).toContain('Changed 2 keys (2 restored, 0 deleted); 0 unchanged, 0 skipped.')
    // census.zip is back to the version of T1, replacing the one of T2
    expect(page).toContain(
      `${CENSUS} ${shown(when.get(good[CENSUS]))} · 300.0 KiB ${good[CENSUS]} ` +
        `${shown(when.get(bad.get(CENSUS) ?? ''))} ${bad.get(CENSUS)} `,
    )
    expect(withBlock(run.summary)).toEqual({
      bucket,
      'version-ids': `${run.outputs['undo-version-ids']}\n`,
      'if-missing': 'delete',
      'endpoint-url': endpoint(),
      'force-path-style': true,
    })
    await picture('restore-keys', 'rollback summary', run.summary)

    // the block undoes the run, as pasted
    const block = withBlock(run.summary)
    const undo = await runAction({
      ...local(),
      bucket,
      'version-ids': String(block['version-ids']),
      'if-missing': String(block['if-missing']),
    })
    expect(undo.code).toBe(0)
    expect(await read(s3, bucket, USA)).toBe('GEOID10,score\n')
  })

  it('a prefix: the dry run and its plan, a stale plan refused, the approved plan applied', async () => {
    const bucket = await newBucket(s3, 'Enabled', 'justice40-data')
    const prefix = 'data-pipeline/data/score/tiles/'
    const key = (i: number): string => `${prefix}${String(i).padStart(2, '0')}.pbf`
    for (let i = 0; i < 38; i++) await put(s3, bucket, key(i), `tile ${i} good`)
    await tick()
    const at = new Date().toISOString()
    await tick()
    const overwritten = [3, 7, 8, 12, 15, 16, 20, 22, 27, 30, 31, 35]
    for (const i of overwritten) await put(s3, bucket, key(i), `tile ${i} bad, longer`)
    for (const i of [38, 39]) await put(s3, bucket, key(i), `tile ${i} new`)
    const inputs = { ...local(), bucket, prefix, 'to-time': at, 'if-missing': 'delete' }

    // the runner's temporary folder, kept between the jobs' steps here (an artifact on GitHub)
    const temp = await mkdtemp(join(scratch, 'plans-'))
    const plan = await runAction({ ...inputs, 'dry-run': 'true' }, { RUNNER_TEMP: temp })
    expect(plan.code).toBe(0)
    const digest = plan.outputs['plan-digest']
    const { shown: page, collapsed } = visible(plan.summary)
    expect(page).toContain(
      `Dry run: the plan rolls back 14 of 40 keys under s3://${bucket}/${prefix}`,
    )
    expect(page).toContain('Nothing was written.')
    expect(page).toMatch(
      new RegExp(
        `Approving plan ${digest} will: restore 12 keys to their version at ${shown(new Date(at))}` +
          '.* add a delete marker to 2 keys \\(absent at the target\\) leave 26 keys as they are',
      ),
    )
    // the 14 keys that change are in the table, the 26 others only in the collapsed section
    for (const i of [...overwritten, 38, 39]) expect(page).toContain(key(i))
    const unchanged = [...Array(38).keys()].filter((i) => !overwritten.includes(i)).map(key)
    for (const k of unchanged) {
      expect(page).not.toContain(k)
      expect(collapsed).toContain(k)
    }
    expect(collapsed).toContain('Not changed: 26 keys already as at the target')
    await picture('prefix-dry-run', 'plan summary', plan.summary, true)

    // someone writes again before the approval: the plan is refused, nothing is written
    const planFile = plan.outputs['plan-file']
    await tick()
    await put(s3, bucket, key(5), 'tile 5 written during the approval')
    const stale = await runAction({ ...local(), bucket, 'plan-file': planFile })
    expect(stale.code).toBe(1)
    expect(await read(s3, bucket, key(3))).toBe('tile 3 bad, longer')
    expect(visible(stale.summary).shown).toContain(
      'Refused, nothing was written: the approved plan is stale',
    )
    expect(visible(stale.summary).shown).toMatch(new RegExp(`${key(5)} .*changed|${key(5)} `))
    await picture('refused-stale-plan', 'apply summary', stale.summary)

    // a new plan, approved and applied
    const again = await runAction({ ...inputs, 'dry-run': 'true' }, { RUNNER_TEMP: temp })
    const apply = await runAction({ ...local(), bucket, 'plan-file': again.outputs['plan-file'] })
    expect(apply.code).toBe(0)
    const applied = visible(apply.summary)
    expect(applied.shown).toContain(`Rolled back 15 of 40 keys under s3://${bucket}/${prefix}`)
    expect(applied.shown).toContain(`Applied the approved plan ${again.outputs['plan-digest']}.`)
    expect(applied.collapsed).toContain('Not changed: 25 keys already as at the target')
    expect(withBlock(apply.summary)['version-ids']).toBe(`${apply.outputs['undo-version-ids']}\n`)
    await picture('prefix-restore', 'apply summary', apply.summary)
  })

  it('a write that fails: the run is put back, and the page says so first', async () => {
    const { bucket, at } = await twoKeys()
    const before = await currentETags(bucket)
    const proxy: FaultProxy = await startFaultProxy(endpoint(), {
      accessDenied: 1,
      only: (req) => isCopyOf(req, CENSUS), // written after usa.csv (keys are written in order)
    })
    try {
      const run = await runAction({
        bucket,
        keys: `${CENSUS}\n${USA}`,
        'to-time': at,
        concurrency: '1',
        'endpoint-url': proxy.url,
        'force-path-style': 'true',
      })
      expect(run.code).toBe(1)
      expect(await currentETags(bucket)).toEqual(before)
      const page = visible(run.summary)
      expect(page.shown).toContain(
        `Failed and put back: every key of s3://${bucket} is as it was before the run`,
      )
      expect(page.shown).toContain(`Writing ${CENSUS} failed: AccessDenied`)
      expect(page.shown).toContain('The 1 key this run had changed was put back')
      expect(page.shown).toContain('To fix: The role needs s3:PutObject')
      expect(page.shown).toMatch(new RegExp(`${USA} put back to version`))
      await picture('failed-put-back', 'rollback summary', run.summary)
    } finally {
      await proxy.close()
    }
  })

  it('verify: the verdict and the window first, the problem keys, the rest collapsed', async () => {
    const { bucket, at } = await twoKeys()
    const run = await runAction({
      ...local(),
      mode: 'verify',
      bucket,
      keys: `${CENSUS}\n${USA}\ndata-sources/typo.zip`,
      'to-time': at,
      drill: 'true',
    })
    expect(run.code).toBe(1)
    const page = visible(run.summary)
    expect(page.shown).toContain(`NOT restorable: 1 problem in s3://${bucket}`)
    expect(page.shown).toContain('3 keys checked to')
    expect(page.shown).toContain('2 restorable, 1 not')
    expect(page.shown).toMatch(
      /Drill: 2 of 2 versions copied into \.s3-rollback-drill\/\S+ through the rollback's copy path and checked; every scratch copy removed\./,
    )
    expect(page.shown).toContain('data-sources/typo.zip (missing): no such key')
    expect(page.shown).not.toContain(CENSUS)
    expect(page.collapsed).toContain('Restorable: 2 keys')
    expect(page.collapsed).toMatch(
      new RegExp(
        `${CENSUS} [-0-9]+ [:0-9]+ · 300\\.0 KiB \\S+ unlimited copied, removed checked by size`,
      ),
    )
    await picture('verify', 'verify summary', run.summary, true)
  })

  it('snapshot: what was recorded, and the step that rolls back to it', async () => {
    const bucket = await newBucket(s3, 'Enabled', 'justice40-data')
    for (const k of ['a.csv', 'b.csv', 'c.csv']) await put(s3, bucket, `data-pipeline/${k}`, k)
    const run = await runAction({
      ...local(),
      mode: 'snapshot',
      snapshot: 'last-good',
      bucket,
      prefix: 'data-pipeline/',
    })
    expect(run.code).toBe(0)
    const id = run.outputs['snapshot-id']
    const page = visible(run.summary).shown
    expect(page).toContain(
      `Recorded snapshot last-good: the current version of 3 keys under s3://${bucket}/data-pipeline/`,
    )
    expect(page).toContain(`Snapshot ID ${id}`)
    expect(withBlock(run.summary)).toMatchObject({
      bucket,
      'to-snapshot': id,
      'if-missing': 'delete',
    })
    await picture('snapshot', 'record-last-good summary', run.summary)
  })

  it('a staged run: restored into a staging bucket, the pipeline run on it, the undo for the staging bucket', async () => {
    const { bucket, at } = await twoKeys()
    const staging = await newBucket(s3, 'Enabled', 'justice40-data-staging')
    const sourceBefore = await allVersions(s3, bucket)
    const fake = await new FakeGitHub({
      token: TOKEN,
      lifecycle: (t) => lifecycle(t, [[0, 'completed', 'success']]),
      workflow: { inputs: ['data-root'] },
    }).start()
    try {
      const run = await runAction(
        {
          ...local(),
          bucket,
          keys: `${CENSUS}\n${USA}`,
          'to-time': at,
          destination: `s3://${staging}/staging/`,
          'if-missing': 'delete',
          workflow: 'combine-tilefy.yml',
          'workflow-inputs': `{"data-root": "s3://${staging}/staging/"}`,
          'github-token': TOKEN,
        },
        {
          GITHUB_API_URL: fake.url,
          GITHUB_REF: 'refs/heads/main',
          GITHUB_REPOSITORY: 'usds/justice40-tool',
        },
      )
      expect(run.code).toBe(0)
      expect(fake.violations).toEqual([])
      const page = visible(run.summary).shown
      expect(page).toContain(`Rolled back 2 keys of s3://${bucket} to ${shown(new Date(at))}`)
      expect(page).toMatch(new RegExp(` UTC into s3://${staging}/staging/ Downstream: `))
      expect(page).toContain(`staging/${CENSUS}`)
      expect(withBlock(run.summary)).toMatchObject({ bucket: staging, 'if-missing': 'delete' })
      expect(added(sourceBefore, await allVersions(s3, bucket))).toEqual([])
      await picture('staged', 'stage summary', run.summary)
    } finally {
      await fake.close()
    }
  })

  it('a chained run: the downstream run linked in the headline block, with its conclusion', async () => {
    const { bucket, at } = await twoKeys()
    const fake = await new FakeGitHub({
      token: TOKEN,
      lifecycle: (t) => lifecycle(t, [[0, 'completed', 'success']]),
    }).start()
    try {
      const run = await runAction(
        {
          ...local(),
          bucket,
          keys: `${CENSUS}\n${USA}`,
          'to-time': at,
          workflow: 'combine-tilefy.yml',
          'github-token': TOKEN,
        },
        {
          GITHUB_API_URL: fake.url,
          GITHUB_REF: 'refs/heads/main',
          GITHUB_REPOSITORY: 'usds/justice40-tool',
        },
      )
      expect(run.code).toBe(0)
      const [ours] = fake.runs
      expect(fake.violations).toEqual([])
      expect(run.summary).toContain(
        `<a href="${fake.runHtmlUrl(ours)}">combine-tilefy.yml run ${ours.id}</a>`,
      )
      const page = visible(run.summary).shown
      expect(page).toContain(`Rolled back 2 keys of s3://${bucket}`)
      expect(page).toContain(
        `Downstream: combine-tilefy.yml run ${ours.id} in usds/justice40-tool on refs/heads/main: success`,
      )
      expect(run.summary).not.toContain(TOKEN)
      await picture('chained', 'rollback summary', run.summary)
    } finally {
      await fake.close()
    }
  })
})
