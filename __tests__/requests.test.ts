import { describe, expect, it } from '@jest/globals'
import { copySource } from '../src/engine/write/requests.js'

describe('copySource encodes the key segment by segment', () => {
  it.each([
    ['plain/key.csv', 'b/plain/key.csv?versionId=v1'],
    ['with space+plus?q#h%.csv', 'b/with%20space%2Bplus%3Fq%23h%25.csv?versionId=v1'],
    ['données/ünï code.zip', 'b/donn%C3%A9es/%C3%BCn%C3%AF%20code.zip?versionId=v1'],
  ])('%s', (key, expected) => expect(copySource('b', key, 'v1')).toBe(expected))

  it('encodes the version ID', () => {
    expect(copySource('b', 'k', 'a+b/c')).toBe('b/k?versionId=a%2Bb%2Fc')
  })
})
