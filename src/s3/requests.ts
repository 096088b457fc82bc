/**
 * The requests a run makes by the thousand, each sent on the lean request path (lean/) when
 * the client has one (every client createS3Client makes, unless S3_ROLLBACK_REQUEST_PATH=sdk),
 * else through the SDK: clients built elsewhere (tests' mocked clients) keep the SDK's path.
 */
import {
  CopyObjectCommand,
  type CopyObjectCommandInput,
  type CopyObjectCommandOutput,
  DeleteObjectCommand,
  type DeleteObjectCommandInput,
  type DeleteObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandInput,
  type HeadObjectCommandOutput,
  type S3Client,
  UploadPartCopyCommand,
  type UploadPartCopyCommandInput,
  type UploadPartCopyCommandOutput,
} from '@aws-sdk/client-s3'
import * as lean from './lean/operations.js'
import type { Wire } from './lean/wire.js'

const wires = new WeakMap<S3Client, Wire>()

/** Gives `s3` a lean request path. */
export function attachWire(s3: S3Client, wire: Wire): void {
  wires.set(s3, wire)
}

/** The client's lean path, if it has one. */
export function wireOf(s3: S3Client): Wire | undefined {
  return wires.get(s3)
}

export function copyObject(
  s3: S3Client,
  input: CopyObjectCommandInput,
): Promise<CopyObjectCommandOutput> {
  const wire = wires.get(s3)
  return wire ? lean.copyObject(wire, input) : s3.send(new CopyObjectCommand(input))
}

export function uploadPartCopy(
  s3: S3Client,
  input: UploadPartCopyCommandInput,
): Promise<UploadPartCopyCommandOutput> {
  const wire = wires.get(s3)
  return wire ? lean.uploadPartCopy(wire, input) : s3.send(new UploadPartCopyCommand(input))
}

/** Adds a delete marker: a DeleteObject without a version ID (one with is refused). */
export function addDeleteMarker(
  s3: S3Client,
  input: Omit<DeleteObjectCommandInput, 'VersionId'>,
): Promise<DeleteObjectCommandOutput> {
  if ('VersionId' in input) throw new Error('addDeleteMarker never takes a version ID')
  const wire = wires.get(s3)
  return wire ? lean.deleteObject(wire, input) : s3.send(new DeleteObjectCommand(input))
}

export function headObject(
  s3: S3Client,
  input: HeadObjectCommandInput,
): Promise<HeadObjectCommandOutput> {
  const wire = wires.get(s3)
  return wire ? lean.headObject(wire, input) : s3.send(new HeadObjectCommand(input))
}
