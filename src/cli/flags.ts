/**
 * Every command-line flag, with its value, default and the commands that take it: the one table
 * that the parser, `--help` and the README's CLI section are made from. Each action input is a
 * flag of the same name (a test checks that none is missing and that defaults match action.yml).
 */
import { Inputs } from '../settings/names.js'

export type Command = 'restore' | 'verify' | 'snapshot' | 'diff' | 'history'
export const COMMANDS: readonly Command[] = ['restore', 'verify', 'snapshot', 'diff', 'history']

export interface Flag {
  name: string
  /** The value's placeholder; none for a switch. */
  value?: string
  help: string
  /** As --help shows it; the same as the action input's default where there is one. */
  default?: string
  commands: readonly Command[]
  /** May be given more than once. */
  repeat?: boolean
  /** The action input it sets (the same name unless said). */
  input?: string
  /** A section of the help. */
  group: 'target' | 'snapshots' | 'run' | 'batch' | 'aws' | 'chain' | 'verify' | 'output'
}

const ALL = COMMANDS
/** The commands that take keys. */
const KEYED: readonly Command[] = ['restore', 'verify', 'snapshot', 'diff']
const BOTH: readonly Command[] = ['restore', 'verify']
const RESTORE: readonly Command[] = ['restore']
const VERIFY: readonly Command[] = ['verify']
const SCOPED: readonly Command[] = ['restore', 'snapshot', 'diff']
const DIFF: readonly Command[] = ['diff']

export const FLAGS: readonly Flag[] = [
  {
    name: Inputs.Bucket,
    value: 'NAME',
    help: 'the versioned bucket (required)',
    commands: ALL,
    group: 'target',
  },
  {
    name: 'key',
    value: 'KEY',
    help: 'an exact object key; repeat for more keys',
    commands: KEYED,
    repeat: true,
    input: Inputs.Keys,
    group: 'target',
  },
  {
    name: Inputs.Keys,
    value: 'K1,K2',
    help: 'keys separated by commas or newlines (--key for keys with commas)',
    commands: KEYED,
    repeat: true,
    group: 'target',
  },
  {
    name: Inputs.KeysFile,
    value: 'PATH',
    help: 'a file of keys, one per line (for long lists)',
    commands: ALL,
    group: 'target',
  },
  {
    name: Inputs.Prefix,
    value: 'PREFIX',
    help: "every key under PREFIX ('*' for the whole bucket)",
    commands: SCOPED,
    group: 'target',
  },
  {
    name: Inputs.ToTime,
    value: 'TIME',
    help: 'ISO-8601 with a zone, e.g. 2021-12-13T15:00:00Z; not in the future',
    commands: BOTH,
    group: 'target',
  },
  {
    name: 'version-id',
    value: 'KEY=ID',
    help: 'an explicit version of a key (KEY= means "should not exist"); repeat',
    commands: BOTH,
    repeat: true,
    input: Inputs.VersionIds,
    group: 'target',
  },
  {
    name: Inputs.VersionIds,
    value: 'TEXT',
    help: 'KEY=ID lines (for long lists, --version-ids-file)',
    commands: BOTH,
    repeat: true,
    group: 'target',
  },
  {
    name: Inputs.VersionIdsFile,
    value: 'PATH',
    help: "a file of KEY=ID lines, e.g. an earlier run's undo.txt (for long lists)",
    commands: BOTH,
    group: 'target',
  },
  {
    name: Inputs.IfMissing,
    value: 'fail|delete|skip',
    help: 'a key without a version at the target (skip also allows a key that never existed)',
    default: 'fail',
    commands: ['restore', 'verify', 'snapshot'],
    group: 'target',
  },
  {
    name: Inputs.ToSnapshot,
    value: 'NAME|ID',
    help: 'the versions a snapshot recorded (with --key or --prefix: only those keys)',
    commands: RESTORE,
    group: 'target',
  },
  {
    name: Inputs.PlanFile,
    value: 'PATH',
    help: 'apply exactly the plan a dry run saved (refused if any key changed since)',
    commands: RESTORE,
    group: 'target',
  },
  {
    name: Inputs.Destination,
    value: 's3://BUCKET/PREFIX/',
    help: 'restore the state into this bucket and prefix instead of in place (the source is only read)',
    commands: BOTH,
    group: 'target',
  },
  {
    name: Inputs.Snapshot,
    value: 'NAME|ID',
    help: 'check that every version the snapshot refers to can be restored',
    commands: VERIFY,
    group: 'target',
  },
  {
    name: 'from',
    value: 'SNAPSHOT|TIME|now',
    help: 'the earlier state: a snapshot name or ID, an ISO-8601 time, or now (required)',
    commands: DIFF,
    group: 'target',
  },
  {
    name: 'to',
    value: 'SNAPSHOT|TIME|now',
    help: 'the later state',
    default: 'now',
    commands: DIFF,
    group: 'target',
  },
  {
    name: 'limit',
    value: 'N',
    help: 'the newest N run records of the store',
    default: '20',
    commands: ['history'],
    group: 'output',
  },
  {
    name: Inputs.SnapshotStore,
    value: 'S3URI',
    help: 'where snapshots and run records are kept: s3://bucket/prefix/',
    default: 's3://BUCKET/.s3-rollback/',
    commands: ALL,
    group: 'snapshots',
  },
  {
    name: Inputs.DryRun,
    help: 'resolve and print the plan; write nothing',
    commands: RESTORE,
    group: 'run',
  },
  {
    name: Inputs.Concurrency,
    value: 'N',
    help: 'the most keys resolved and written at once (1 to 256; starts at 16 a prefix and follows the store)',
    default: '256',
    commands: RESTORE,
    group: 'run',
  },
  {
    name: Inputs.PartConcurrency,
    value: 'N',
    help: 'parts copied at once in one multipart copy (1 to 64)',
    default: '8',
    commands: BOTH,
    group: 'run',
  },
  {
    name: Inputs.MultipartThreshold,
    value: 'SIZE',
    help: 'single-part sources larger than this are copied in parts',
    default: '5GiB',
    commands: BOTH,
    group: 'run',
  },
  {
    name: Inputs.PartSize,
    value: 'SIZE',
    help: 'part size of multipart copies (5MiB to 5GiB)',
    default: '512MiB',
    commands: BOTH,
    group: 'run',
  },
  {
    name: Inputs.Engine,
    value: 'runner|batch-operations',
    help: 'who copies: this process, or S3 Batch Operations jobs',
    default: 'runner',
    commands: RESTORE,
    group: 'batch',
  },
  {
    name: Inputs.BatchRoleArn,
    value: 'ARN',
    help: 'the role the job assumes',
    commands: RESTORE,
    group: 'batch',
  },
  {
    name: Inputs.BatchAccountId,
    value: 'ACCOUNT',
    help: 'the account that runs the job',
    commands: RESTORE,
    group: 'batch',
  },
  {
    name: Inputs.BatchPrefix,
    value: 'S3URI',
    help: "where the jobs' manifests and reports go",
    default: 'batch/ in --snapshot-store',
    commands: RESTORE,
    group: 'batch',
  },
  {
    name: Inputs.BatchPriority,
    value: 'N',
    help: "the jobs' priority",
    default: '10',
    commands: RESTORE,
    group: 'batch',
  },
  {
    name: Inputs.BatchPutBack,
    value: 'true|false',
    help: 'put back every changed key when a job fails (false: report, re-run to converge)',
    default: 'true',
    commands: RESTORE,
    group: 'batch',
  },
  {
    name: Inputs.BatchTimeout,
    value: 'SECONDS',
    help: 'how long the jobs may take',
    default: '21600',
    commands: RESTORE,
    group: 'batch',
  },
  {
    name: 'undo-file',
    value: 'PATH',
    help: 'write the undo lines (KEY=ID, for --version-ids) to PATH',
    default: 'prefix runs: undo.txt next to the manifest',
    commands: RESTORE,
    group: 'output',
  },
  {
    name: 'work-dir',
    value: 'DIR',
    help: 'where runs keep their files (plan, manifest, undo lines): a new s3-rollback-* folder in DIR, which must exist',
    default: 'RUNNER_TEMP, else TMPDIR',
    commands: ALL,
    group: 'output',
  },
  {
    name: Inputs.MinWindow,
    value: 'DURATION',
    help: 'window the lifecycle rules must guarantee, e.g. 7d, 36h; also the target without --to-time',
    default: '7d',
    commands: VERIFY,
    group: 'verify',
  },
  {
    name: Inputs.Drill,
    help: 'copy each target version into --drill-prefix, check it, remove the copies',
    commands: VERIFY,
    group: 'verify',
  },
  {
    name: Inputs.DrillPrefix,
    value: 'PREFIX',
    help: 'scratch prefix ending in /',
    default: '.s3-rollback-drill/<time>-<random>/',
    commands: VERIFY,
    group: 'verify',
  },
  {
    name: Inputs.Region,
    value: 'REGION',
    help: 'AWS region of the bucket',
    default: "AWS_REGION, or the profile's",
    commands: ALL,
    group: 'aws',
  },
  {
    name: 'profile',
    value: 'NAME',
    help: 'AWS profile (credentials come from the default chain)',
    default: 'AWS_PROFILE',
    commands: ALL,
    group: 'aws',
  },
  {
    name: Inputs.EndpointUrl,
    value: 'URL',
    help: 'an S3-compatible endpoint, e.g. http://127.0.0.1:7480',
    commands: ALL,
    group: 'aws',
  },
  {
    name: Inputs.ForcePathStyle,
    help: 'address the bucket in the path (most S3-compatible stores)',
    commands: ALL,
    group: 'aws',
  },
  {
    name: Inputs.ExpectedBucketOwner,
    value: 'ACCOUNT',
    help: '12-digit account ID that must own the bucket',
    commands: ALL,
    group: 'aws',
  },
  {
    name: Inputs.Workflow,
    value: 'FILE',
    help: 'after a restore, dispatch this workflow (e.g. combine-tilefy.yml)',
    commands: RESTORE,
    group: 'chain',
  },
  {
    name: Inputs.WorkflowRef,
    value: 'REF',
    help: 'branch or tag to run it on',
    default: 'GITHUB_REF',
    commands: RESTORE,
    group: 'chain',
  },
  {
    name: Inputs.WorkflowRepository,
    value: 'OWNER/REPO',
    help: 'repository of the workflow',
    default: 'GITHUB_REPOSITORY',
    commands: RESTORE,
    group: 'chain',
  },
  {
    name: Inputs.WorkflowInputs,
    value: 'JSON',
    help: 'its inputs as a JSON object',
    default: '{}',
    commands: RESTORE,
    group: 'chain',
  },
  {
    name: Inputs.WorkflowDistinctIdInput,
    value: 'NAME',
    help: 'a workflow_dispatch input that receives a fresh UUID',
    commands: RESTORE,
    group: 'chain',
  },
  {
    name: Inputs.GitHubToken,
    value: 'TOKEN',
    help: 'token with actions: write (prefer the environment variable)',
    default: 'GITHUB_TOKEN',
    commands: RESTORE,
    group: 'chain',
  },
  {
    name: Inputs.GitHubApiUrl,
    value: 'URL',
    help: 'GitHub REST API URL',
    default: 'GITHUB_API_URL, or https://api.github.com',
    commands: RESTORE,
    group: 'chain',
  },
  {
    name: Inputs.WaitForWorkflow,
    value: 'true|false',
    help: 'wait for the run and fail unless it succeeds',
    default: 'true',
    commands: RESTORE,
    group: 'chain',
  },
  {
    name: Inputs.WaitTimeout,
    value: 'SECONDS',
    help: 'time that dispatching, finding and waiting may take',
    default: '3600',
    commands: RESTORE,
    group: 'chain',
  },
  {
    name: Inputs.PollInterval,
    value: 'SECONDS',
    help: 'first pause between status checks',
    default: '15',
    commands: RESTORE,
    group: 'chain',
  },
  {
    name: 'json',
    help: 'print the manifest (restore), the report (verify) or the records (history) as JSON',
    commands: ALL,
    group: 'output',
  },
  {
    name: 'all',
    help: 'list every key in the table, unchanged and skipped ones too (by default only the keys that change, and a count of the others)',
    commands: RESTORE,
    group: 'output',
  },
  { name: 'verbose', help: 'debug output on stderr', commands: ALL, group: 'output' },
]

/** Flags that every command takes and that are not in the table's sections. */
export const GLOBAL_FLAGS = ['help', 'version'] as const

/** The flag that sets an input, as error messages name it ('--key/--keys' for lists). */
export function flagFor(input: string): string {
  const flags = FLAGS.filter((f) => (f.input ?? f.name) === input).map((f) => `--${f.name}`)
  return flags.length > 0 ? flags.join('/') : `--${input}`
}

/** The closest known flag to a mistyped one, if any is close (edit distance ≤ 2, or a prefix). */
export function didYouMean(typed: string, names: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined
  for (const name of names) {
    const distance = name.startsWith(typed) && typed.length >= 3 ? 1 : editDistance(typed, name)
    if (
      distance <= Math.max(2, Math.floor(typed.length / 4)) &&
      (!best || distance < best.distance)
    ) {
      best = { name, distance }
    }
  }
  return best?.name
}

/** Levenshtein distance with adjacent transpositions counted as one edit. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
      }
    }
  }
  return d[a.length][b.length]
}
