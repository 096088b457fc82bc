/** Every action input, by the name used in action.yml (and, as --flags, by the CLI). */
export const Inputs = {
  Bucket: 'bucket',
  Keys: 'keys',
  ToTime: 'to-time',
  VersionIds: 'version-ids',
  IfMissing: 'if-missing',
  DryRun: 'dry-run',
  Region: 'region',
  EndpointUrl: 'endpoint-url',
  ForcePathStyle: 'force-path-style',
  ExpectedBucketOwner: 'expected-bucket-owner',
  MultipartThreshold: 'multipart-threshold',
  PartSize: 'part-size',
  Workflow: 'workflow',
  WorkflowRef: 'workflow-ref',
  WorkflowRepository: 'workflow-repository',
  WorkflowInputs: 'workflow-inputs',
  WorkflowDistinctIdInput: 'workflow-distinct-id-input',
  GitHubToken: 'github-token',
  GitHubApiUrl: 'github-api-url',
  WaitForWorkflow: 'wait-for-workflow',
  WaitTimeout: 'wait-timeout',
  PollInterval: 'poll-interval',
} as const

/** Every action output, by the name used in action.yml. */
export const Outputs = {
  Manifest: 'manifest',
  Changed: 'changed',
  UndoVersionIds: 'undo-version-ids',
  WorkflowRunId: 'workflow-run-id',
  WorkflowRunUrl: 'workflow-run-url',
  WorkflowConclusion: 'workflow-conclusion',
} as const
