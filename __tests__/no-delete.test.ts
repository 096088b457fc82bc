import { describe, expect, it } from '@jest/globals'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Semantic 9: rollback only ever adds versions or delete markers. A DeleteObject without a
// VersionId, on a versioning-Enabled bucket, adds a delete marker. The single exception is the
// restore drill's cleanup (src/verify/drill-cleanup.ts), which removes the scratch versions the drill
// itself created, behind a guard checked before the request.
const CLEANUP = 'verify/drill-cleanup.ts'

/** Every source file under src/, in every folder, by its path relative to src/. */
async function sources(): Promise<Array<{ file: string; text: string }>> {
  const dir = fileURLToPath(new URL('../src/', import.meta.url))
  const entries = await readdir(dir, { recursive: true })
  const files = entries.filter((f) => f.endsWith('.ts')).sort()
  expect(files.length).toBeGreaterThan(40)
  return Promise.all(
    files.map(async (file) => ({ file, text: await readFile(join(dir, file), 'utf8') })),
  )
}

const deletes = (text: string): string[] =>
  [...text.matchAll(/new DeleteObjectCommand\(\{([^}]*)\}/g)].map((m) => m[1])

describe('no code path removes a version', () => {
  it('no module but the drill cleanup passes a VersionId to a delete', async () => {
    for (const { file, text } of await sources()) {
      expect(`${file}: ${/DeleteObjectsCommand/.test(text)}`).toBe(`${file}: false`)
      if (file === CLEANUP) continue
      for (const args of deletes(text)) expect(`${file}: ${args}`).not.toMatch(/VersionId/)
    }
  })

  it('the drill cleanup deletes in one place, right after its guard', async () => {
    const text = (await sources()).find((s) => s.file === CLEANUP)?.text ?? ''
    expect(deletes(text)).toHaveLength(1)
    const fn = /export async function deleteScratchVersion[\s\S]*?\n}/.exec(text)?.[0] ?? ''
    expect(fn).toMatch(
      /assertDeletable\(ledger, version\.key, version\.versionId\)\s*\n\s*await s3\.send\(\s*new DeleteObjectCommand/,
    )
  })

  it('only the drill uses the cleanup module', async () => {
    const users = (await sources())
      .filter(({ text }) => text.includes("from './drill-cleanup.js'"))
      .map((s) => s.file)
    expect(users).toEqual(['verify/drill.ts'])
  })

  it('the lean request path sends DELETE in one place, which refuses a version ID', async () => {
    const all = await sources()
    const sending = all.filter(({ text }) => /method: 'DELETE'/.test(text)).map((s) => s.file)
    expect(sending).toEqual(['s3/lean/operations.ts'])
    const text = all.find((s) => s.file === 's3/lean/operations.ts')?.text ?? ''
    const fn = /export async function deleteObject[\s\S]*?\n}/.exec(text)?.[0] ?? ''
    expect(fn).toMatch(/if \(input\.VersionId !== undefined\) \{\s*throw/)
    expect(fn).not.toMatch(/versionId/)
  })
})
