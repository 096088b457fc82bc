import * as core from '@actions/core'
import { StepError, diagnose, errorMessage } from '../lib/errors.js'
import type { InputReader } from '../settings/index.js'
import { Inputs } from '../settings/names.js'
import { PlanError, RestoreError } from '../engine/index.js'

/**
 * Fails the step with one annotation per failure: one per key that cannot be rolled back (the
 * whole message then goes to the log), one titled by the key or the step for an S3 error while
 * writing or before it, else the message itself. Returns the message (for the job summary).
 */
export function failWith(e: unknown, read: InputReader): string {
  const context = { bucket: read(Inputs.Bucket).trim(), endpoint: read(Inputs.EndpointUrl).trim() }
  const { fix } = diagnose(e, context)
  const message = fix ? `${errorMessage(e)}\nTo fix: ${fix}` : errorMessage(e)
  if (e instanceof PlanError) {
    for (const p of e.problems) {
      core.error(`${p.key}: ${p.problem}`, { title: `s3-rollback: ${p.key}` })
    }
    failStep(message)
  } else if (e instanceof RestoreError) {
    failStep(message, { title: `s3-rollback: ${e.failedKey}` })
  } else if (e instanceof StepError) {
    failStep(message, { title: `s3-rollback: ${e.phase} ${e.subject}` })
  } else {
    core.setFailed(message)
  }
  return message
}

/**
 * Fails the step as core.setFailed does, with `message` as the one annotation when titled, or
 * only in the log when the annotations were made already.
 */
export function failStep(message: string, annotation?: { title: string }): void {
  if (annotation) core.error(message, annotation)
  else core.info(message)
  process.exitCode = core.ExitCode.Failure
}
