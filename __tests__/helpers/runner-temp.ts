/**
 * Set up for every test file (jest.config.js, setupFilesAfterEnv): a RUNNER_TEMP of its own,
 * removed after the file. Runs called in-process that keep files (a prefix run's plan, journal
 * and manifest-file) make their run directory there, as on a runner, not in the OS temp.
 */
import { afterAll, beforeAll } from '@jest/globals'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

let dir: string | undefined
let saved: string | undefined

beforeAll(async () => {
  saved = process.env.RUNNER_TEMP
  dir = await mkdtemp(join(tmpdir(), 's3-rollback-test-'))
  process.env.RUNNER_TEMP = dir
})

afterAll(async () => {
  if (saved === undefined) delete process.env.RUNNER_TEMP
  else process.env.RUNNER_TEMP = saved
  if (dir) await rm(dir, { recursive: true, force: true })
})
