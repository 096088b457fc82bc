import { describe, expect, it } from '@jest/globals'
import { entryOrder, interleave } from '../src/s3/listing.js'

const t = (s: string): Date => new Date(s)

describe('interleave restores S3 listing order lost by the SDK', () => {
  const out = {
    Versions: [
      { Key: 'a', VersionId: 'v2', LastModified: t('2021-12-13T15:00:00Z'), IsLatest: false },
      { Key: 'a', VersionId: 'v1', LastModified: t('2021-12-12T15:00:00Z'), IsLatest: false },
      { Key: 'b', VersionId: 'null', LastModified: t('2021-12-12T15:00:00Z'), IsLatest: true },
    ],
    DeleteMarkers: [
      { Key: 'a', VersionId: 'dm', LastModified: t('2021-12-13T15:00:00Z'), IsLatest: true },
    ],
  }

  it('follows the recorded element order', () => {
    const xml =
      '<ListVersionsResult><VersionIdMarker></VersionIdMarker><DeleteMarker><Key>a</Key></DeleteMarker>' +
      '<Version><VersionId>v2</VersionId></Version><Version></Version><Version></Version></ListVersionsResult>'
    const order = entryOrder(xml)
    expect(order).toEqual(['DeleteMarker', 'Version', 'Version', 'Version'])
    expect(interleave(out, order).map((e) => e.versionId)).toEqual(['dm', 'v2', 'v1', 'null'])
  })

  it('falls back to key, newest first, IsLatest first on a tie, when no order was recorded', () => {
    expect(interleave(out, []).map((e) => e.versionId)).toEqual(['dm', 'v2', 'v1', 'null'])
  })

  it('marks delete markers and keeps the null version ID', () => {
    const entries = interleave(out, [])
    expect(entries[0]).toMatchObject({ isDeleteMarker: true, isLatest: true })
    expect(entries[3]).toMatchObject({ key: 'b', versionId: 'null', isDeleteMarker: false })
  })
})
