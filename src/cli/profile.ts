/**
 * `--profile NAME`: the profile must be one of the shared AWS files, where the SDK reads named
 * profiles (its credential chain, asked for a profile that is in neither file, only says "Could
 * not load credentials from any providers"). Checked before anything is read from S3.
 */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { InputError } from '../lib/errors.js'
import type { Environment } from '../settings/index.js'

/** The two shared files, as the SDK finds them. */
export function profileFiles(env: Environment): { credentials: string; config: string } {
  const home = env.HOME || env.USERPROFILE || homedir()
  return {
    credentials: env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'),
    config: env.AWS_CONFIG_FILE || join(home, '.aws', 'config'),
  }
}

/**
 * The profiles an INI text defines: in the credentials file every `[NAME]` section; in the
 * config file `[profile NAME]` and `[default]` (other sections, such as `[sso-session x]`, are
 * not profiles).
 */
export function profilesIn(text: string, file: 'credentials' | 'config'): string[] {
  const names: string[] = []
  for (const line of text.split(/\r?\n/)) {
    const section = /^\s*\[\s*([^\]]*?)\s*\]/.exec(line)?.[1]
    if (section === undefined) continue
    if (file === 'credentials') names.push(section)
    else if (section === 'default') names.push(section)
    else {
      const name = /^profile\s+(.+)$/.exec(section)?.[1]
      if (name) names.push(name.trim())
    }
  }
  return names
}

/** Throws an InputError for `--profile` unless one of the shared files defines `name`. */
export function checkProfile(name: string, env: Environment): void {
  const files = profileFiles(env)
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8')
    } catch {
      return ''
    }
  }
  const found = new Set([
    ...profilesIn(read(files.credentials), 'credentials'),
    ...profilesIn(read(files.config), 'config'),
  ])
  if (found.has(name)) return
  const have =
    found.size > 0 ? `they have: ${[...found].sort().join(', ')}` : 'they define no profile'
  throw new InputError(
    'profile',
    name,
    `a profile of the shared AWS files, and there is no profile ${name} in ${files.credentials} ` +
      `or ${files.config} (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE); ${have}`,
  )
}
