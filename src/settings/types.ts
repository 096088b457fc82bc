/** The validated settings of a run: types only (parsing lives in index.ts and its helpers). */
/** What to do with a key that had no object at the target (created later, or deleted then). */
export type IfMissing = 'fail' | 'delete' | 'skip'

/** The state to roll back to. */
export type Target =
  /** The state at an instant: per key, the newest entry with LastModified <= at. */
  | { kind: 'time'; at: Date; text: string }
  /**
   * Explicit versions per key; `null` means "the key should not exist" (and so does a key not in
   * the map, in a prefix run). `origin`: the snapshot the versions were read from.
   */
  | { kind: 'versions'; versions: Map<string, string | null>; origin?: SnapshotOrigin }
  /** A snapshot by name or ID, read from the snapshot store when the run starts. */
  | { kind: 'snapshot'; ref: string }
  /** A saved plan (a dry run's `plan-file`): its target, keys and the state it saw. */
  | { kind: 'plan'; file: string }

/** A target the engine can plan with: a snapshot or a plan is read first (engine/target.ts). */
export type ResolvedTarget = Extract<Target, { kind: 'time' | 'versions' }>

/** The snapshot a target was read from. */
export interface SnapshotOrigin {
  /** The name it was asked by (or the ID). */
  ref: string
  id: string
}

/** Where snapshots are kept: a bucket and a prefix ending in `/`. */
export interface SnapshotStore {
  bucket: string
  prefix: string
}

/** Where a run restores to instead of in place (`destination`): a bucket and a prefix in it. */
export interface Destination {
  bucket: string
  /** Ends with `/`, or '' (the bucket's top). */
  prefix: string
}

/** Who and what made a snapshot (from the runner's environment). */
export interface SnapshotContext {
  commit?: string
  ref?: string
  runUrl?: string
  actor?: string
}

/** How to reach S3. Credentials come from the SDK's default chain. */
export interface S3Settings {
  region?: string
  endpoint?: string
  forcePathStyle: boolean
  /** Idle time after which a request is abandoned and retried (default SOCKET_TIMEOUT_MS). */
  socketTimeoutMs?: number
}

/** How restores copy versions. */
export interface CopySettings {
  /** Sources larger than this many bytes use a multipart copy (CopyObject's limit is 5 GiB). */
  multipartThreshold: number
  /** Part size in bytes for multipart copies (raised when 10,000 parts would not cover the object). */
  partSize: number
  /** Parts copied at once in a multipart copy. */
  partConcurrency: number
}

/** Everything the action was asked to do, validated. */
export interface Settings {
  bucket: string
  /** Exact object keys, in the order given. */
  keys: string[]
  target: Target
  ifMissing: IfMissing
  /** Resolve and print the plan; write nothing. */
  dryRun: boolean
  expectedBucketOwner?: string
  s3: S3Settings
  copy: CopySettings
  /** restore (the default) or verify. */
  mode: Mode
  /** What verify mode checks; set only when `mode` is verify. */
  verify?: VerifySettings
  /** The workflow to run after a successful restore; undefined when `workflow` is empty. */
  chain?: ChainSettings
  /**
   * Roll back every key under this prefix to the `to-time` target instead of `keys`
   * ('' = the whole bucket); undefined for a `keys` run.
   */
  prefix?: string
  /** Keys written at once. */
  concurrency: number
  /** Where snapshots are read and written (also: never part of a prefix run in its bucket). */
  snapshotStore: SnapshotStore
  /**
   * Restore into this bucket and prefix instead of in place (settings/destination.ts maps the
   * keys); the source is then only read.
   */
  destination?: Destination
  /**
   * Where the run records are kept, when not in `snapshotStore`: a destination run's go to the
   * destination bucket's store, unless `snapshot-store` was given.
   */
  recordStore?: SnapshotStore
  /** mode snapshot: the name to record under; mode verify: the snapshot to check. */
  snapshot?: string
  /** Who and what runs (recorded in snapshots). */
  context: SnapshotContext
  /** Who does the copies: this process, or an S3 Batch Operations job. */
  engine: EngineSettings
}

/** The writer of a restore's copies. */
export type EngineSettings = { kind: 'runner' } | BatchSettings

/** `engine: batch-operations`: the job's copies, run by S3 (settings/batch.ts). */
export interface BatchSettings {
  kind: 'batch-operations'
  /** The IAM role the job assumes (trusted by batchoperations.s3.amazonaws.com). */
  roleArn: string
  /** The account that runs the job (S3 Control's AccountId). */
  accountId: string
  /** Where the job's manifests and completion reports go. */
  prefix: SnapshotStore
  priority: number
  /** On failure, put back every key changed (true), or report the state of each key. */
  putBack: boolean
  /** How long a job may take, from its creation. */
  timeoutMs: number
  /** The first pause between status checks (later pauses grow). */
  pollIntervalMs: number
}

/**
 * restore: roll the keys back. verify: prove that a rollback would work, changing no key.
 * snapshot: record the current version of every key under a name.
 */
export type Mode = 'restore' | 'verify' | 'snapshot'

/** The inputs of `mode: verify` (src/verify.ts). */
export interface VerifySettings {
  /** The rollback window that must be guaranteed, in milliseconds. */
  minWindowMs: number
  /** `min-window` as given, such as `7d`. */
  minWindow: string
  /**
   * True when neither to-time nor version-ids was given: the target is then the start of the
   * window, now − min-window.
   */
  atWindowStart: boolean
  /** Copy each target version into `drillPrefix` through the rollback's copy path, then remove it. */
  drill: boolean
  /** Scratch prefix of the drill; ends with `/`. */
  drillPrefix: string
}

/** Reads one raw input by name ('' when unset). */
export type InputReader = (name: string) => string

/** A value of a workflow_dispatch input (string, number, boolean or choice inputs). */
export type WorkflowInputValue = string | number | boolean

/** The downstream workflow to run after a restore, and how to wait for it. */
export interface ChainSettings {
  /** The workflow file name (combine-tilefy.yml) or its numeric ID. */
  workflow: string | number
  owner: string
  repo: string
  /** The branch or tag to run the workflow on, as given (main or refs/heads/main). */
  ref: string
  /** Inputs sent with the dispatch. */
  inputs: Record<string, WorkflowInputValue>
  /**
   * A workflow input that receives a fresh UUID on every dispatch. When the workflow shows it in
   * its `run-name`, the run is identified by that UUID wherever the dispatch returns no run ID.
   */
  distinctIdInput?: string
  /** Token for the GitHub API (never logged). */
  token: string
  /** Base URL of the GitHub REST API (https://api.github.com, or https://HOST/api/v3). */
  apiUrl: string
  /** Wait for the run to complete and fail unless it succeeds. */
  wait: boolean
  /** How long dispatching, finding and waiting may take in all. */
  timeoutMs: number
  /** The first pause between status checks (later pauses grow). */
  pollIntervalMs: number
}

/** The environment variables the defaults come from (the runner sets them). */
export type Environment = Record<string, string | undefined>
