/**
 * The engine's errors, as data, and the one union of them (`EngineError`). Each carries the fields a
 * caller needs to say what went wrong and where; `message` renders them to words. `exitCode` maps a
 * failure to the CLI contract (2: bad usage or an invalid pipeline, nothing ran; 1: a stage or the
 * store failed while running). `messageOf` is the one way to put an unknown thrown value into words.
 */
import { Schema } from "effect"

/** The words of anything thrown or failed with: an Error's message, a `message` field, else `String`. */
export const messageOf = (e: unknown): string => {
  if (e instanceof Error) return e.message
  if (typeof e === "object" && e !== null && "message" in e) return String((e as { message: unknown }).message)
  return String(e)
}

/** A pipeline definition that cannot be built: cycles, duplicate ids, missing or mistyped inputs. */
export class InvalidPipeline extends Schema.TaggedError<InvalidPipeline>()("InvalidPipeline", {
  pipeline: Schema.String,
  message: Schema.String
}) {}

/** Params (a preset, a `--set`, a node's own params) that the schema rejects. */
export class InvalidParams extends Schema.TaggedError<InvalidParams>()("InvalidParams", {
  pipeline: Schema.String,
  message: Schema.String
}) {}

/**
 * A name on the command line that matches nothing: pipeline, preset, node, output port, target glob.
 * `known` lists what exists, or with `nearest` the closest names to what was typed.
 */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  what: Schema.String,
  name: Schema.String,
  known: Schema.Array(Schema.String),
  nearest: Schema.optional(Schema.Boolean)
}) {
  override get message() {
    const list = this.known.length > 12 ? [...this.known.slice(0, 12), "..."] : this.known
    return this.nearest
      ? `no ${this.what} matches '${this.name}'` + (list.length ? ` (nearest: ${list.join(", ")})` : "")
      : `unknown ${this.what} '${this.name}'` + (list.length ? ` (known: ${list.join(", ")})` : "")
  }
}

/**
 * A pipeline whose build made more than `limit` nodes (the engine stops it there): almost always a
 * typo in a param. `overrides` are the params that differ from the preset (`path=value`), the
 * likely cause.
 */
export class GraphTooLarge extends Schema.TaggedError<GraphTooLarge>()("GraphTooLarge", {
  pipeline: Schema.String,
  preset: Schema.String,
  limit: Schema.Number,
  overrides: Schema.Array(Schema.String)
}) {
  override get message() {
    const cause = this.overrides.length
      ? `the params set on the command line are the likely cause: ${this.overrides.join(", ")}`
      : `preset ${this.preset} makes it without overrides`
    return `pipeline ${this.pipeline} makes more than ${this.limit.toLocaleString("en-US")} nodes, the most a graph may have; ${cause}`
  }
}

/** Any other misuse of the command line. */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", {
  message: Schema.String
}) {}

/** A value that does not fit the artifact port it is written to or read from. */
export class ArtifactInvalid extends Schema.TaggedError<ArtifactInvalid>()("ArtifactInvalid", {
  port: Schema.String,
  message: Schema.String
}) {}

/**
 * Why the store could not be read or written. The common causes a user can act on have tags of
 * their own; anything else keeps the system's code and words.
 */
export const StoreErrorReason = Schema.Union([
  Schema.TaggedStruct("NoSpace", {}),
  Schema.TaggedStruct("PermissionDenied", {}),
  Schema.TaggedStruct("ReadOnly", {}),
  Schema.TaggedStruct("QuotaExceeded", {}),
  Schema.TaggedStruct("Io", { code: Schema.optional(Schema.String), message: Schema.String })
])
export type StoreErrorReason = typeof StoreErrorReason.Type

/** The reason of a thrown file-system error, from its errno code. */
export const storeErrorReason = (e: unknown): StoreErrorReason => {
  const code = (e as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case "ENOSPC":
      return { _tag: "NoSpace" }
    case "EACCES":
    case "EPERM":
      return { _tag: "PermissionDenied" }
    case "EROFS":
      return { _tag: "ReadOnly" }
    case "EDQUOT":
      return { _tag: "QuotaExceeded" }
  }
  return code === undefined ? { _tag: "Io", message: messageOf(e) } : { _tag: "Io", code, message: messageOf(e) }
}

const reasonWords = (r: StoreErrorReason): string => {
  switch (r._tag) {
    case "NoSpace":
      return "no space left on device"
    case "PermissionDenied":
      return "permission denied"
    case "ReadOnly":
      return "read-only file system"
    case "QuotaExceeded":
      return "disk quota exceeded"
    case "Io":
      return r.message
  }
}

/** The store (or a file the engine writes for the user) could not be read or written, at `path`. */
export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  path: Schema.String,
  reason: StoreErrorReason
}) {
  /** The error of a failed file-system call on `path`. */
  static fromCause(path: string, cause: unknown): StoreError {
    return new StoreError({ path, reason: storeErrorReason(cause) })
  }
  /** What went wrong, without the path: "no space left on device". */
  get problem(): string {
    return reasonWords(this.reason)
  }
  override get message() {
    return `${this.path}: ${this.problem}`
  }
}

/** A run with work to do on a cache it cannot write to (read-only, no permission): nothing ran. */
export class CacheNotWritable extends Schema.TaggedError<CacheNotWritable>()("CacheNotWritable", {
  cause: StoreError,
  nodes: Schema.Number
}) {
  override get message() {
    const n = this.nodes
    return `cannot write to the cache (${this.cause.problem} at ${this.cause.path}); ${n} node${n === 1 ? "" : "s"} would need computing`
  }
}

/** An object whose bytes no longer match their hash, or that is missing. */
export class ObjectDamaged extends Schema.TaggedError<ObjectDamaged>()("ObjectDamaged", {
  hash: Schema.String,
  message: Schema.String
}) {}

/**
 * A node whose stage failed, threw, or returned outputs that break its declared ports. `cause` is
 * what failed (a thrown value, an `ArtifactInvalid`, a `StoreError`...), kept as it was; `during`
 * says what the node was doing ("input rows", "committing"). Set `damagedInput` when the node
 * could not run because an input object is damaged (the scheduler repairs it).
 */
export class StageFailed extends Schema.TaggedError<StageFailed>()("StageFailed", {
  node: Schema.String,
  during: Schema.optional(Schema.String),
  cause: Schema.Defect(),
  damagedInput: Schema.optional(Schema.String)
}) {
  override get message() {
    return this.during ? `${this.during}: ${messageOf(this.cause)}` : messageOf(this.cause)
  }
}

/** Every error the engine fails with. */
export type EngineError =
  | InvalidPipeline
  | InvalidParams
  | NotFound
  | GraphTooLarge
  | UsageError
  | ArtifactInvalid
  | StoreError
  | CacheNotWritable
  | ObjectDamaged
  | StageFailed

const USAGE_TAGS: ReadonlySet<string> = new Set(["InvalidPipeline", "InvalidParams", "GraphTooLarge", "NotFound", "UsageError"])

/** Errors that mean "nothing ran, fix the input": exit code 2. */
export const isUsageFailure = (e: unknown): boolean =>
  typeof e === "object" && e !== null && "_tag" in e && USAGE_TAGS.has((e as { _tag: string })._tag)

/** The process exit code for a failure value. */
export const exitCode = (e: unknown): number => (isUsageFailure(e) ? 2 : 1)
