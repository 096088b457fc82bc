/** The inputs of `engine: batch-operations`: the job's role, account, prefix and limits. */
import { InputError } from '../lib/errors.js'
import { Inputs } from './names.js'
import { parseBoolean, parseChoice, parseCount, parseSeconds } from './parse.js'
import { parseStore } from './snapshot.js'
import type { EngineSettings, InputReader, SnapshotStore } from './types.js'

export const ENGINES = ['runner', 'batch-operations'] as const

/** IAM's form of a role ARN (S3 Control's RoleArn pattern, with the role's path and name). */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/

export function parseEngine(
  read: InputReader,
  store: SnapshotStore,
  bucket: string,
): EngineSettings {
  const get = (name: string): string => read(name).trim()
  const kind = parseChoice(Inputs.Engine, get(Inputs.Engine) || 'runner', ENGINES)
  // the runner passes every input's default: the batch inputs are simply not used here
  if (kind === 'runner') return { kind }
  const accountId = get(Inputs.BatchAccountId)
  if (!/^\d{12}$/.test(accountId)) {
    throw new InputError(
      Inputs.BatchAccountId,
      accountId,
      'the 12-digit ID of the AWS account that runs the job',
    )
  }
  const roleArn = get(Inputs.BatchRoleArn)
  const role = ROLE_ARN.exec(roleArn)
  if (!role) {
    throw new InputError(
      Inputs.BatchRoleArn,
      roleArn,
      `an IAM role ARN such as arn:aws:iam::${accountId}:role/s3-rollback-batch (a role that batchoperations.s3.amazonaws.com may assume)`,
    )
  }
  if (role[1] !== accountId) {
    throw new InputError(
      Inputs.BatchRoleArn,
      roleArn,
      `a role of account ${accountId} ('${Inputs.BatchAccountId}'), which runs the job`,
    )
  }
  const prefix =
    get(Inputs.BatchPrefix) === ''
      ? { bucket: store.bucket, prefix: `${store.prefix}batch/` }
      : parseStore(get(Inputs.BatchPrefix), bucket, Inputs.BatchPrefix)
  return {
    kind,
    roleArn,
    accountId,
    prefix,
    priority: parseCount(Inputs.BatchPriority, get(Inputs.BatchPriority), {
      fallback: 10,
      min: 0,
      max: 2147483647,
    }),
    putBack: parseBoolean(Inputs.BatchPutBack, get(Inputs.BatchPutBack), true),
    timeoutMs: parseSeconds(Inputs.BatchTimeout, get(Inputs.BatchTimeout), 21600) * 1000,
    pollIntervalMs: parseSeconds(Inputs.PollInterval, get(Inputs.PollInterval), 15) * 1000,
  }
}
