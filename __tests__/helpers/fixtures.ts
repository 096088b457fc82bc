/** Set-up shared by the integration test files (uses Jest's hooks: for tests only). */
import type { S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll } from '@jest/globals'
import { startFaultProxy, type FaultProxy } from './faultproxy.js'
import { client, endpoint } from './s3.js'

/**
 * For a test file: a client of the local S3 and a fault proxy in front of it, opened before the
 * file's tests and closed after them; `use` receives both.
 */
export function withFaultProxy(use: (s3: S3Client, proxy: FaultProxy) => void): void {
  let s3: S3Client | undefined
  let proxy: FaultProxy | undefined
  beforeAll(async () => {
    s3 = client()
    proxy = await startFaultProxy(endpoint())
    use(s3, proxy)
  })
  afterAll(async () => {
    s3?.destroy()
    await proxy?.close()
  })
}
