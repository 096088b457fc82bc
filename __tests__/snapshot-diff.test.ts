import { describe, expect, it } from '@jest/globals'
import { classify, type KeyState } from '../src/snapshot/diff.js'

describe('diff: what counts as a change', () => {
  const v = (versionId: string, size = 1, eTag = '"e"') => ({ versionId, size, eTag })
  it.each([
    [null, v('1'), 'added'],
    [v('1'), null, 'removed'],
    [v('1'), v('1'), 'unchanged'],
    [v('1'), v('2'), 'unchanged'], // a copy: same size and ETag
    [v('1'), v('2', 2), 'changed'],
    [v('1'), v('2', 1, '"f"'), 'changed'],
  ] as [KeyState | null, KeyState | null, string][])('%j → %j: %s', (before, after, change) => {
    expect(classify(before, after)).toBe(change)
  })
})
