// The job summary's pages and the CLI's choice of rows, from plain data: what each says, for the
// outcomes the integration tests cannot easily produce (a cut-short put-back, a cancel, bad input).
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'
import type { KeyOutcome, Manifest } from '../src/engine/index.js'
import { PlanError, RestoreError } from '../src/engine/index.js'
import { CancelledError } from '../src/lib/cancel.js'
import { InputError, StepError } from '../src/lib/errors.js'
import { failureBlocks } from '../src/report/failure.js'
import { written } from '../src/report/markup.js'
import { tableRows } from '../src/report/rows.js'
import { snapshotPage } from '../src/report/snapshot.js'
import { headlineOf, rollbackPage } from '../src/report/summary.js'
import { INLINE_INPUT_BYTES, withBlock, type UndoOf } from '../src/report/undo.js'

const of: UndoOf = { bucket: 'justice40-data', s3: { forcePathStyle: false, region: 'us-east-1' } }

function row(
  key: string,
  action: KeyOutcome['action'],
  extra: Partial<KeyOutcome> = {},
): KeyOutcome {
  return {
    key,
    action,
    previousVersionId: `old-${key}`,
    previousLastModified: '2021-12-13T15:23:11.000Z',
    restoredVersionId: `good-${key}`,
    newVersionId: action === 'restored' || action === 'deleted' ? `new-${key}` : null,
    size: 845_000_000,
    eTag: '"e"',
    lastModified: '2021-11-29T18:57:03.000Z',
    ...extra,
  }
}

function manifest(keys: KeyOutcome[], extra: Partial<Manifest> = {}): Manifest {
  return {
    bucket: 'justice40-data',
    target: { toTime: '2021-12-13T15:00:00Z' },
    dryRun: false,
    keys,
    ...extra,
  }
}

/** The page as text (tags out, spaces folded). */
const text = (html: string): string =>
  html
    .replace(/<\/?(code|strong|a|sub)\b[^>]*>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')

const yamlBlock = (page: string): unknown =>
  parse(/````?yaml\n([\s\S]*?)\n````?/.exec(page)?.[1] ?? '')

describe('the rollback page', () => {
  it('says when the restored and the replaced versions were written, and how to undo', () => {
    const page = rollbackPage({
      manifest: manifest([row('data-sources/census.zip', 'restored'), row('usa.csv', 'unchanged')]),
      undo: { of, file: '/tmp/undo.txt' },
    })
    const t = text(page)
    expect(t).toContain('Rolled back 1 key of s3://justice40-data to 2021-12-13 15:00:00 UTC')
    expect(t).toContain(
      'data-sources/census.zip 2021-11-29 18:57:03 · 805.9 MiB good-data-sources/census.zip 2021-12-13 15:23:11 old-data-sources/census.zip new-data-sources/census.zip',
    )
    // the unchanged key only in the collapsed section
    const open = page.replace(/<details>[\s\S]*?<\/details>/g, '')
    expect(open).not.toContain('usa.csv')
    expect(page).toMatch(
      /<details><summary>Not changed: 1 key already as at the target<\/summary>[\s\S]*usa\.csv/,
    )
    expect(yamlBlock(page)).toEqual({
      with: {
        bucket: 'justice40-data',
        'version-ids': 'data-sources/census.zip=old-data-sources/census.zip\n',
        'if-missing': 'delete',
        region: 'us-east-1',
      },
    })
  })

  it('escapes keys, and a new key has nothing to replace', () => {
    const key = 'tiles/<b>&"x".csv'
    const page = rollbackPage({
      manifest: manifest([
        row(key, 'restored', { previousVersionId: null, previousLastModified: null }),
      ]),
      undo: { of, file: '/tmp/undo.txt' },
    })
    expect(page).toContain('<code>tiles/&lt;b&gt;&amp;"x".csv</code>')
    // HTML outside the code block (which GitHub shows as text)
    expect(page.replace(/```yaml[\s\S]*```/, '')).not.toContain('<b>')
    expect(text(page)).toContain('none: absent')
    expect(yamlBlock(page)).toMatchObject({ with: { 'version-ids': `${key}=\n` } })
  })

  it('gives the undo file instead of the lines once they pass what an input holds', () => {
    const long = 'k/'.padEnd(1000, 'x')
    const keys = Array.from({ length: 140 }, (_, i) => row(`${long}${i}`, 'restored'))
    const page = rollbackPage({ manifest: manifest(keys), undo: { of, file: '/runner/undo.txt' } })
    expect(
      Buffer.byteLength(keys.map((k) => `${k.key}=${k.previousVersionId}`).join('\n')),
    ).toBeGreaterThan(INLINE_INPUT_BYTES)
    expect(page).toContain('too long for an input')
    expect(yamlBlock(page)).toMatchObject({
      with: { 'version-ids-file': '${{ runner.temp }}/undo/undo.txt' },
    })
  })

  it('collapses a long undo block, still ready to paste', () => {
    const keys = Array.from({ length: 30 }, (_, i) => row(`k${i}`, 'restored'))
    const page = rollbackPage({ manifest: manifest(keys), undo: { of, file: '/tmp/undo.txt' } })
    expect(page).toMatch(
      /<details><summary><strong>To undo<\/strong> this rollback, run the action: the <code>with:<\/code> block \(30 keys\)/,
    )
    expect(
      (yamlBlock(page) as { with: Record<string, string> }).with['version-ids'].split('\n'),
    ).toHaveLength(31)
  })

  it('a dry run says what approving the plan does, its digest, and that nothing was written', () => {
    const page = rollbackPage({
      manifest: manifest(
        [
          row('a', 'restored', { newVersionId: null }),
          row('b', 'deleted', { restoredVersionId: null, newVersionId: null }),
          row('c', 'unchanged'),
        ],
        {
          dryRun: true,
          plan: { file: '/tmp/plan.jsonl', digest: '0123456789ab' },
        },
      ),
    })
    const t = text(page)
    expect(t).toContain(
      'Dry run: the plan rolls back 2 keys of s3://justice40-data to 2021-12-13 15:00:00 UTC',
    )
    expect(t).toContain(
      'Nothing was written. Would change 2 keys (1 to restore, 1 to delete); 1 unchanged, 0 skipped.',
    )
    expect(t).toContain(
      'Approving plan 0123456789ab will: restore 1 key to their version at 2021-12-13 15:00:00 UTC add a delete marker to 1 key (absent at the target) leave 1 key as they are',
    )
    expect(t).toContain('b none: gets a delete marker')
    expect(page).not.toContain('To undo')
  })

  it.each<[string, Manifest, string]>([
    [
      'nothing to do',
      manifest([row('a', 'unchanged')]),
      'Nothing to roll back: the 1 key of s3://justice40-data is already as at 2021-12-13 15:00:00 UTC',
    ],
    [
      'nothing to do, to given versions',
      manifest([row('a', 'unchanged'), row('b', 'skipped')], {
        target: { versionIds: { a: 'v' } },
      }),
      'Nothing to roll back: the 2 keys of s3://justice40-data are already at the given versions',
    ],
    [
      'a snapshot',
      manifest([row('a', 'restored')], {
        target: { snapshot: 'last-good', snapshotId: '20261123T043758Z-23ec09' },
      }),
      'Rolled back 1 key of s3://justice40-data to snapshot last-good (20261123T043758Z-23ec09)',
    ],
    [
      'versions',
      manifest([row('a', 'restored')], { target: { versionIds: { a: 'v' } } }),
      'Rolled back 1 key of s3://justice40-data to the given versions',
    ],
    [
      'a target with milliseconds',
      manifest([row('a', 'restored')], { target: { toTime: '2026-12-04T04:03:51.643Z' } }),
      'to 2026-12-04 04:03:51.643 UTC',
    ],
  ])('headline: %s', (_what, m, says) => {
    expect(text(headlineOf(m))).toContain(says)
  })

  it('a failed chained run says the rollback is done and the step failed', () => {
    const page = rollbackPage({
      manifest: manifest([row('a', 'restored')]),
      chain: {
        workflow: 'combine-tilefy.yml',
        repository: 'usds/justice40-tool',
        ref: 'main',
        runId: 7,
        runUrl: 'https://x/7',
        conclusion: 'failure',
      },
      error: {
        thrown: new Error('Run 7 failed'),
        message: 'Run 7 of combine-tilefy.yml concluded failure',
      },
    })
    const t = text(page)
    expect(t).toMatch(
      /^ Rolled back 1 key .* Downstream: combine-tilefy.yml run 7 in usds\/justice40-tool on main: failure The step failed after the rollback:/,
    )
    expect(page).toContain('Run 7 of combine-tilefy.yml concluded failure')
  })
})

describe('the page of a run that did not finish', () => {
  const blocks = (thrown: unknown, message = (thrown as Error).message): string =>
    text(failureBlocks({ thrown, message, bucket: 'justice40-data' }).join('\n'))

  it('refused: the keys and why, nothing written', () => {
    const e = new PlanError([{ key: 'later.csv', problem: 'has no version at the target' }])
    expect(blocks(e)).toMatch(
      /^ Refused, nothing was written: 1 key of s3:\/\/justice40-data cannot be rolled back as asked Key Why later\.csv has no version at the target/,
    )
  })

  it('put back: first that every key is as before, then the write that failed and what to fix', () => {
    const e = new RestoreError({
      cause: new Error('AccessDenied: Access Denied'),
      failedKey: 'b.csv',
      finalStates: [
        { key: 'a.csv', state: 'put back to version v1 (new entry v3)' },
        { key: 'b.csv', state: 'not changed' },
      ],
      putBack: 1,
    })
    expect(blocks(e, `${e.message}\nTo fix: The role needs s3:PutObject`)).toMatch(
      /^ Failed and put back: every key of s3:\/\/justice40-data is as it was before the run Writing b\.csv failed: AccessDenied: Access Denied\. The 1 key this run had changed was put back .* To fix: The role needs s3:PutObject Key Final state a\.csv put back to version v1/,
    )
  })

  it('a put-back cut short says loudly which keys were NOT put back', () => {
    const e = new RestoreError({
      cause: new Error('timeout'),
      failedKey: 'b.csv',
      finalStates: [{ key: 'a.csv', state: 'NOT put back: holds v3 (before the run: v1)' }],
      putBack: 0,
      notPutBack: 1,
    })
    expect(blocks(e)).toContain(
      'Failed: 1 key of s3://justice40-data could NOT be put back and hold what this run wrote',
    )
  })

  it.each<[string, unknown, string]>([
    [
      'a cancel before the first write',
      new CancelledError('SIGINT'),
      'Cancelled by SIGINT before the first write: nothing was written',
    ],
    [
      'bad input',
      new InputError('to-time', 'yesterday', 'an ISO-8601 time'),
      "Not started, nothing was written: input to-time is not valid Input 'to-time' has an invalid value",
    ],
    [
      'a failed read',
      new StepError('listing', 's3://justice40-data/data/', new Error('SlowDown')),
      'Failed before writing, nothing was written: listing s3://justice40-data/data/',
    ],
  ])('%s', (_what, e, says) => {
    expect(blocks(e)).toContain(says)
  })

  it('a cancel after writes: how many keys were put back', () => {
    const page = rollbackPage({
      bucket: 'justice40-data',
      error: { thrown: new CancelledError('SIGINT'), message: 'Cancelled by SIGINT while writing' },
      cancelled: { signal: 'SIGINT', wrote: true, putBack: 12, notPutBack: 0 },
    })
    expect(text(page)).toContain(
      'Cancelled by SIGINT, and put back: 12 keys put back to their state before the run',
    )
  })
})

describe('a with: block', () => {
  it.each([
    ['plain keys', ['a.csv=v1', 'b.csv=']],
    ['a key that starts with a space', [' lead.csv=v1', 'b.csv=v2']],
    ['YAML characters in keys', ['#x: y.csv=v1', "'q'.csv=null", '- z=v']],
  ])('reads back as the same lines (%s)', (_what, lines) => {
    const parsed = parse(
      withBlock([
        ['bucket', 'b'],
        ['version-ids', lines.join('\n')],
        ['if-missing', 'delete'],
      ]),
    ) as {
      with: Record<string, string>
    }
    expect(parsed.with['version-ids']).toBe(`${lines.join('\n')}\n`)
    expect(parsed.with.bucket).toBe('b')
  })
})

describe('the rows a terminal table shows (CLI)', () => {
  const keys = [
    row('a', 'restored'),
    row('b', 'unchanged'),
    row('c', 'unchanged'),
    row('d', 'skipped'),
    row('e', 'deleted'),
  ]

  it('lists the keys that change and counts the others', () => {
    const { rows, hidden } = tableRows(keys, false)
    expect(rows.map((r) => r.key)).toEqual(['a', 'e'])
    expect(hidden).toBe(
      'Not listed: 2 unchanged and 1 skipped keys (--all lists every key; --json has every row).',
    )
  })

  it('lists every key with --all, and says nothing is left out when none is', () => {
    expect(tableRows(keys, true)).toEqual({ rows: keys })
    expect(tableRows([keys[0]], false)).toEqual({ rows: [keys[0]] })
    expect(tableRows([keys[1]], false).hidden).toBe(
      'Not listed: 1 unchanged key (--all lists every key; --json has every row).',
    )
  })
})

describe('the snapshot page', () => {
  it('says what was recorded, and gives the step that rolls back to it by ID', () => {
    const page = snapshotPage(
      {
        id: '20261123T043758Z-23ec09',
        name: 'last-good',
        bucket: 'justice40-data',
        keys: 2,
        absent: 1,
        uri: 's3://justice40-data/.s3-rollback/snapshots/20261123T043758Z-23ec09.jsonl.gz',
        createdAt: '2026-11-23T04:37:58Z',
      },
      { of },
    )
    expect(text(page)).toContain(
      'Recorded snapshot last-good: the current version of 2 keys of s3://justice40-data (and 1 listed key absent)',
    )
    expect(yamlBlock(page)).toEqual({
      with: {
        bucket: 'justice40-data',
        'to-snapshot': '20261123T043758Z-23ec09',
        'if-missing': 'delete',
        region: 'us-east-1',
      },
    })
  })

  it('says that nothing was recorded, and why', () => {
    expect(text(snapshotPage(undefined, { error: "Input 'snapshot' is missing" }))).toBe(
      " No snapshot was recorded Input 'snapshot' is missing ",
    )
  })
})

describe('times', () => {
  it('are to the second, in UTC, never split over lines', () => {
    expect(written('2021-11-29T13:57:03.250-05:00')).toBe('2021-11-29&nbsp;18:57:03&nbsp;UTC')
    expect(written(null)).toBe('—')
  })
})
