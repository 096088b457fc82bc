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
  Prefix: 'prefix',
  Concurrency: 'concurrency',
  PartConcurrency: 'part-concurrency',
} as const

/** Every action output, by the name used in action.yml. */
export const Outputs = {
  Manifest: 'manifest',
  Changed: 'changed',
  UndoVersionIds: 'undo-version-ids',
  ManifestFile: 'manifest-file',
} as const
