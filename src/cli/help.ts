/** `--help` texts, made from the flag table and the exit-code table. */
import { EXIT_CODES } from './exit.js'
import { FLAGS, type Command, type Flag } from './flags.js'

const ABOUT: Record<Command, { summary: string; usage: string[]; examples: string[] }> = {
  restore: {
    summary:
      'Roll keys, or every key under a prefix, back to a point in time or to explicit versions,\n' +
      'by server-side copy. Every version is kept, so a rollback can be undone.',
    usage: [
      's3-rollback restore --bucket B (--key K ... | --keys K1,K2) (--to-time T | --version-id K=V ...)',
      's3-rollback restore --bucket B --prefix P --to-time T',
    ],
    examples: [
      's3-rollback restore --bucket justice40-data --key data-sources/census.zip \\\n' +
        '    --to-time 2021-12-13T15:00:00Z --dry-run',
      's3-rollback restore --bucket justice40-data --prefix data-pipeline/ \\\n' +
        '    --to-time 2021-12-13T15:00:00Z --undo-file undo.txt',
      's3-rollback restore --bucket justice40-data --version-ids-file undo.txt --if-missing delete',
    ],
  },
  snapshot: {
    summary:
      'Record the current version of every listed key, or of every key under a prefix, under a\n' +
      'name (create); list the names (list); or show one snapshot (show).',
    usage: [
      's3-rollback snapshot create NAME --bucket B (--key K ... | --prefix P)',
      's3-rollback snapshot list --bucket B',
      's3-rollback snapshot show NAME|ID --bucket B [--json]',
    ],
    examples: [
      's3-rollback snapshot create last-good --bucket justice40-data --prefix data-pipeline/',
      's3-rollback restore --bucket justice40-data --to-snapshot last-good --dry-run',
    ],
  },
  diff: {
    summary:
      'List the keys added, removed and changed between two states, each a snapshot, a time\n' +
      'or now, with sizes: the changes to look at before blessing a new good state.',
    usage: [
      's3-rollback diff --bucket B --from SNAPSHOT|TIME|now [--to SNAPSHOT|TIME|now] [--key K ... | --prefix P]',
    ],
    examples: [
      's3-rollback diff --bucket justice40-data --from last-good',
      's3-rollback diff --bucket justice40-data --prefix data-pipeline/ \\\n' +
        '    --from 2021-12-13T15:00:00Z --to v2-blessed --json',
    ],
  },
  history: {
    summary:
      'List the runs that wrote to the bucket, newest first, from the records each writing run\n' +
      'leaves in the snapshot store: who ran it, when, the target, the outcome, keys written.',
    usage: ['s3-rollback history --bucket B [--limit N] [--json]'],
    examples: [
      's3-rollback history --bucket justice40-data',
      's3-rollback history --bucket justice40-data --limit 5 --json',
    ],
  },
  verify: {
    summary:
      'Prove, without changing any key, that a rollback would work: versioning, lifecycle rules,\n' +
      'the guaranteed window, each target version, and optionally a restore drill.',
    usage: [
      's3-rollback verify --bucket B (--key K ... | --keys K1,K2) [--min-window 7d] [--to-time T]',
    ],
    examples: [
      's3-rollback verify --profile prod --bucket justice40-data --keys data-sources/census.zip \\\n' +
        '    --min-window 14d --drill --json > report.json',
    ],
  },
}

const GROUPS: Record<Flag['group'], string> = {
  target: 'What',
  snapshots: 'Snapshots',
  run: 'How',
  batch: 'S3 Batch Operations (--engine batch-operations)',
  verify: 'Verify',
  aws: 'AWS',
  chain: 'Then run a workflow (GitHub)',
  output: 'Output',
}

/**
 * The general help: commands, exit codes, where to read more. `as` is the command that runs this
 * CLI (./invoked.ts), so that every usage line can be pasted.
 */
export function generalHelp(version: string, as = 's3-rollback'): string {
  return `s3-rollback ${version}: roll objects in a versioned S3 bucket back to a known good state.

Usage:
  ${as} restore [flags]   roll keys or a prefix back (--dry-run to plan only)
  ${as} verify [flags]    prove that a rollback would work; change nothing
  ${as} snapshot create|list|show   record the current versions under a name
  ${as} diff [flags]      what changed between two snapshots, times or now
  ${as} history [flags]   the runs that wrote to the bucket: who, when, what, outcome
  ${as} COMMAND --help    every flag of a command, with its default
  ${as} --version

${exitCodes()}
Results go to stdout (a table, or JSON with --json); progress and errors go to stderr.
Credentials come from the AWS SDK's default chain (environment, --profile, SSO, instance role).
`
}

/** One command's help: usage, every flag with its default, examples, exit codes (`as`: above). */
export function commandHelp(command: Command, as = 's3-rollback'): string {
  const about = ABOUT[command]
  const run = (line: string): string => line.replace(/^s3-rollback /, `${as} `)
  const flags = FLAGS.filter((f) => f.commands.includes(command))
  const width = Math.max(...flags.map((f) => label(f).length)) + 2
  const sections = Object.entries(GROUPS).flatMap(([group, title]) => {
    const rows = flags.filter((f) => f.group === group)
    if (rows.length === 0) return []
    const lines = rows.map((f) => {
      const text = f.default === undefined ? f.help : `${f.help} (default: ${f.default})`
      return `  ${label(f).padEnd(width)}${text}`
    })
    return [`${title}:\n${lines.join('\n')}`]
  })
  return `s3-rollback ${command}: ${about.summary}

Usage:
${about.usage.map((u) => `  ${run(u)}`).join('\n')}

${sections.join('\n\n')}
  ${'-h, --help'.padEnd(width)}this help

Examples:
${about.examples.map((e) => `  ${run(e)}`).join('\n')}

${exitCodes()}`
}

function label(f: Flag): string {
  return f.value === undefined ? `--${f.name}` : `--${f.name} ${f.value}`
}

function exitCodes(): string {
  const lines = EXIT_CODES.map(({ code, meaning }) => `  ${code}  ${wrap(meaning, 74, '     ')}`)
  return `Exit codes:\n${lines.join('\n')}\n`
}

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + word.length + 1 > width) {
      lines.push(line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  lines.push(line)
  return lines.join(`\n${indent}`)
}
