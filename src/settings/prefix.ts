import { InputError } from '../lib/errors.js'
import { Inputs } from './names.js'

/** The `prefix` value that means "every key in the bucket" (S3 prefixes are not globs). */
export const WHOLE_BUCKET = '*'

/**
 * The `prefix` input: undefined when unset (a `keys` run), '' for the whole bucket (`*`), else
 * the prefix itself. A prefix run goes back to `to-time`, or to the keys of a snapshot under it
 * (`to-snapshot`), and takes no `keys`.
 */
export function parsePrefix(
  value: string,
  others: { keys: readonly string[]; toTime: string; versionIds: string; toSnapshot?: string },
): string | undefined {
  const prefix = value.trim()
  if (prefix === '') return undefined
  if (prefix.startsWith('/')) {
    throw new InputError(
      Inputs.Prefix,
      prefix,
      `a key prefix without a leading '/', such as data-sources/ (or ${WHOLE_BUCKET} for the whole bucket)`,
    )
  }
  if (others.keys.length > 0) {
    throw new InputError(
      Inputs.Keys,
      others.keys.join('\n'),
      `to be empty when '${Inputs.Prefix}' is set: give keys or a prefix, not both`,
    )
  }
  if (others.versionIds.trim() !== '') {
    throw new InputError(
      Inputs.VersionIds,
      others.versionIds.trim(),
      `to be empty when '${Inputs.Prefix}' is set: a prefix goes back to '${Inputs.ToTime}'`,
    )
  }
  if (others.toTime === '' && !others.toSnapshot) {
    throw new InputError(
      Inputs.ToTime,
      '',
      `an ISO-8601 time with a zone: a '${Inputs.Prefix}' run goes back to '${Inputs.ToTime}' ` +
        `(or to a snapshot: '${Inputs.ToSnapshot}')`,
    )
  }
  return prefix === WHOLE_BUCKET ? '' : prefix
}
