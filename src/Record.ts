/**
 * Node records: the one small document per computed node key that says what was computed, from what,
 * how, and where its outputs are. Writing the record is the commit point of a node. A record carries
 * a digest of its own body, so a truncated or edited record is detected on read and never trusted.
 */
import { Result, Schema } from "effect"
import { KEY_FORMAT, sha256 } from "./Key.ts"

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
  /**
   * CPU time (user + system, ms) of the process that ran the node, over the node's wall time: the
   * node's own where it ran alone (a Slurm job, `--jobs 1`), shared with the nodes running beside
   * it otherwise. Absent in records written before it was kept.
   */
  cpuMs: Schema.optional(Schema.Number),
  /** what the stage reported about how it ran (backend, engine, counts...) */
  facts: Schema.Record(Schema.String, Json),
  log: Schema.Array(Schema.String),
  /** where it ran; `job`: the Slurm job id when it ran as one */
  host: Schema.Struct({ hostname: Schema.String, pid: Schema.Int, node: Schema.String, job: Schema.optional(Schema.String) })
})
export type NodeRecord = typeof NodeRecord.Type

/** What planning needs of a committed node, and all the record index keeps: its key and outputs. */
export interface Committed {
  readonly key: string
  readonly outputs: NodeRecord["outputs"]
}

const HEADER = `w2s-record/${KEY_FORMAT} sha256:`
const isRecord = Schema.is(NodeRecord)

/** The bytes of a record as stored: a header line with the sha256 of the JSON body, then the body. */
export const encode = (record: NodeRecord): string => {
  const body = JSON.stringify(record, null, 1) + "\n"
  return `${HEADER}${sha256(body)}\n${body}`
}

/**
 * Parses stored record text; fails with the reason when it is damaged or not for `key`. The digest
 * catches truncation and edits; `strict` (used by `verify`) also checks the body against the
 * record schema, which the hot path can skip because only a correct writer produces a matching digest.
 */
export const decode = (text: string, key: string, strict = false): Result.Result<NodeRecord, string> => {
  const nl = text.indexOf("\n")
  if (nl < 0 || !text.startsWith(HEADER)) return Result.fail("has no record header (truncated, or another format)")
  const body = text.slice(nl + 1)
  if (sha256(body) !== text.slice(HEADER.length, nl)) return Result.fail("digest mismatch (truncated, edited or corrupted)")
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return Result.fail("not valid JSON")
  }
  if (strict && !isRecord(parsed)) {
    const r = Schema.decodeUnknownResult(NodeRecord)(parsed)
    return Result.fail(`wrong shape: ${Result.isFailure(r) ? r.failure.message.replace(/\n\s*/g, " ") : "?"}`)
  }
  const record = parsed as NodeRecord
  if (typeof record !== "object" || record === null || typeof record.outputs !== "object" || record.outputs === null) {
    return Result.fail("wrong shape: no outputs")
  }
  if (record.key !== key) return Result.fail(`holds key ${String(record.key).slice(0, 12)}, stored under ${key.slice(0, 12)}`)
  return Result.succeed(record)
}
