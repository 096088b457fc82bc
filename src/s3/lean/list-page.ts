/**
 * A ListVersionsResult read in document order: versions and delete markers interleaved as S3
 * lists them (newest first within a key), which the SDK's parsed output loses.
 */
import type { VersionEntry } from '../entries.js'
import { parseXml, type XmlElement } from './xml.js'

export interface ListInput {
  Bucket: string
  Prefix?: string
  Delimiter?: string
  KeyMarker?: string
  VersionIdMarker?: string
  MaxKeys?: number
  ExpectedBucketOwner?: string
}

export interface ListedPage {
  entries: VersionEntry[]
  /** With a delimiter: the prefixes one level down (CommonPrefixes), in listing order. */
  commonPrefixes: string[]
  truncated: boolean
  nextKeyMarker?: string
  nextVersionIdMarker?: string
  attempts?: number
}

export function pageFromXml(xml: string): ListedPage {
  const root = parseXml(xml)
  const page: ListedPage = { entries: [], commonPrefixes: [], truncated: false }
  for (const child of root.children) {
    switch (child.name) {
      case 'Version':
      case 'DeleteMarker':
        page.entries.push(entryOf(child))
        break
      case 'CommonPrefixes':
        for (const p of child.children) if (p.name === 'Prefix') page.commonPrefixes.push(p.text)
        break
      case 'IsTruncated':
        page.truncated = child.text === 'true'
        break
      case 'NextKeyMarker':
        page.nextKeyMarker = child.text
        break
      case 'NextVersionIdMarker':
        page.nextVersionIdMarker = child.text
        break
    }
  }
  return page
}

function entryOf(element: XmlElement): VersionEntry {
  const entry: VersionEntry = {
    key: '',
    versionId: 'null',
    isDeleteMarker: element.name === 'DeleteMarker',
    isLatest: false,
    lastModified: new Date(0),
  }
  for (const field of element.children) {
    switch (field.name) {
      case 'Key':
        entry.key = field.text
        break
      case 'VersionId':
        entry.versionId = field.text || 'null'
        break
      case 'IsLatest':
        entry.isLatest = field.text === 'true'
        break
      case 'LastModified':
        entry.lastModified = new Date(field.text)
        break
      case 'Size':
        if (!entry.isDeleteMarker) entry.size = Number(field.text)
        break
      case 'ETag':
        if (!entry.isDeleteMarker) entry.eTag = field.text
        break
      case 'StorageClass':
        if (!entry.isDeleteMarker) entry.storageClass = field.text
        break
    }
  }
  return entry
}
