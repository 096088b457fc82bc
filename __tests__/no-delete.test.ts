import { describe, expect, it } from '@jest/globals'

// Semantic 9: rollback only ever adds versions or delete markers. The one delete in src/ is
// DeleteObject without a VersionId, which on a versioning-Enabled bucket adds a delete marker.
describe('no code path removes a version', () => {
  it('the restore modules never pass a VersionId to a delete', async () => {
    const { readFile, readdir } = await import('node:fs/promises')
    const dir = new URL('../src/', import.meta.url)
    for (const file of await readdir(dir)) {
      const text = await readFile(new URL(file, dir), 'utf8')
      expect(text).not.toMatch(/DeleteObjectsCommand/)
      for (const m of text.matchAll(/new DeleteObjectCommand\(\{([^}]*)\}/g)) {
        expect(m[1]).not.toMatch(/VersionId/)
      }
    }
  })
})
