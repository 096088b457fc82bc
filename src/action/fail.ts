import * as core from '@actions/core'
import { StepError, diagnose, errorMessage } from '../lib/errors.js'
import type { InputReader } from '../settings/index.js'
import { Inputs } from '../settings/names.js'
import { PlanError, RestoreError } from '../engine/index.js'

/**
 * Fails the step: one annotation per key that failed (or one for the run), and the message
 * with what to do. Returns the message (for the job summary).
 */
export function failWith(e: unknown, read: InputReader): string {
  const context = { bucket: read(Inputs.Bucket).trim(), endpoint: read(Inputs.EndpointUrl).trim() }
  const { fix } = diagnose(e, context)
  const message = fix ? `${errorMessage(e)}\nTo fix: ${fix}` : errorMessage(e)
  if (e instanceof PlanError) {
    for (const p of e.problems) {
      core.error(`${p.key}: ${p.problem}`, { title: `s3-rollback: ${p.key}` })
    }
  } else if (e instanceof RestoreError) {
    const cause = errorMessage(e.cause) + (fix ? `. To fix: ${fix}` : '')
    core.error(`${e.failedKey}: ${cause}`, { title: `s3-rollback: ${e.failedKey}` })
  } else if (e instanceof StepError) {
    core.error(message, { title: `s3-rollback: ${e.phase} ${e.subject}` })
  }
  core.setFailed(message)
  return message
}
