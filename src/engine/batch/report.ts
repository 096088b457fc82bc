/**
 * A Batch Operations completion report (Report_CSV_20180820): `job-<id>/manifest.json` under the
 * report prefix lists the result files; each CSV row is Bucket, Key (URL-encoded), VersionId,
 * TaskStatus, HTTPStatusCode, ErrorCode, ResultMessage.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { httpStatus } from '../../s3/objects.js'

/** One task of a job, as its report gives it. */
export interface TaskRow {
  key: string
  versionId: string
  status: string
  httpStatus: string
  errorCode: string
  message: string
}

/** Every task row of a job's report; none when the job wrote no report (it never ran). */
export async function fetchReport(
  s3: S3Client,
  bucket: string,
  prefix: string,
  jobId: string,
): Promise<TaskRow[]> {
  const manifest = await text(s3, bucket, `${prefix}/job-${jobId}/manifest.json`)
  if (manifest === undefined) return []
  const files = (JSON.parse(manifest) as { Results?: { Key?: string }[] }).Results ?? []
  const rows: TaskRow[] = []
  for (const file of files) {
    if (!file.Key) continue
    for (const cells of parseCsv((await text(s3, bucket, file.Key)) ?? '')) {
      const [
        ,
        key = '',
        versionId = '',
        status = '',
        httpStatus = '',
        errorCode = '',
        message = '',
      ] = cells
      rows.push({ key: decodeKey(key), versionId, status, httpStatus, errorCode, message })
    }
  }
  return rows
}

async function text(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    return await out.Body?.transformToString()
  } catch (e) {
    if ((e as { name?: string }).name === 'NoSuchKey' || httpStatus(e) === 404) return undefined
    throw e
  }
}

/** Keys in manifests and reports are URL-encoded (a space may be `+`). */
function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '))
  } catch {
    return key
  }
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(input: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < input.length; i++) {
    const c = input[i]
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else field += c
  }
  if (field !== '' || row.length > 0) {
    row.push(field)
    rows.push(row)
  }
  return rows.filter((r) => r.length > 1 || r[0] !== '')
}
