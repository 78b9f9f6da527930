/**
 * Node records: the one small document per computed node key that says what was computed, from what,
 * how, and where its outputs are. Writing the record is the commit point of a node. A record carries
 * a digest of its own canonical JSON, so a truncated, edited or mis-shaped record is detected on read
 * and never trusted.
 */
import { Result, Schema } from "effect"
import { canonicalJson, KEY_FORMAT, sha256 } from "./Key.ts"

const Json = Schema.Unknown

/** Where one output port's bytes are. */
export const OutputRef = Schema.Struct({
  hash: Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/)),
  size: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  kind: Schema.String
})
export type OutputRef = typeof OutputRef.Type

/** A committed node. */
export const NodeRecord = Schema.Struct({
  format: Schema.Literal(KEY_FORMAT),
  key: Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/)),
  pipeline: Schema.String,
  node: Schema.String,
  stage: Schema.String,
  version: Schema.Union([Schema.Number, Schema.String]),
  fingerprint: Schema.String,
  params: Json,
  /** input port -> content hash of the object read */
  inputs: Schema.Record(Schema.String, Schema.String),
  outputs: Schema.Record(Schema.String, OutputRef),
  startedAt: Schema.String,
  finishedAt: Schema.String,
  durationMs: Schema.Number,
  /** what the stage reported about how it ran (backend, engine, counts...) */
  facts: Schema.Record(Schema.String, Json),
  log: Schema.Array(Schema.String),
  host: Schema.Struct({ hostname: Schema.String, pid: Schema.Int, node: Schema.String })
})
export type NodeRecord = typeof NodeRecord.Type

const Stored = Schema.Struct({ record: NodeRecord, digest: Schema.String })
const decodeStored = Schema.decodeUnknownResult(Stored)

/** The bytes of a record as stored. */
export const encode = (record: NodeRecord): string =>
  JSON.stringify({ record, digest: sha256(canonicalJson(record)) }, null, 1) + "\n"

/** Parses stored record text; fails with the reason when it is damaged or not for `key`. */
export const decode = (text: string, key: string): Result.Result<NodeRecord, string> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return Result.fail("not valid JSON (truncated?)")
  }
  const r = decodeStored(parsed)
  if (Result.isFailure(r)) return Result.fail(`wrong shape: ${r.failure.message.replace(/\n\s*/g, " ")}`)
  const { record, digest } = r.success
  if (sha256(canonicalJson(record)) !== digest) return Result.fail("digest mismatch (edited or corrupted)")
  if (record.key !== key) return Result.fail(`holds key ${record.key.slice(0, 12)}, stored under ${key.slice(0, 12)}`)
  return Result.succeed(record)
}
