/**
 * The engine's errors, as data. Each carries the fields a caller needs to say what went wrong and
 * where; `exitCode` maps a failure to the CLI contract (2: bad usage or an invalid pipeline, nothing
 * ran; 1: a stage or the store failed while running).
 */
import { Schema } from "effect"

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

/** A node whose stage failed, threw, or returned outputs that break its declared ports. */
export class StageFailed extends Schema.TaggedError<StageFailed>()("StageFailed", {
  node: Schema.String,
  message: Schema.String,
  /** Set when the node could not run because an input object is damaged (the executor repairs it). */
  damagedInput: Schema.optional(Schema.String)
}) {}

/** The store could not be read or written (permissions, a full disk...). */
export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  path: Schema.String,
  message: Schema.String
}) {}

/** An object whose bytes no longer match their hash, or that is missing. */
export class ObjectDamaged extends Schema.TaggedError<ObjectDamaged>()("ObjectDamaged", {
  hash: Schema.String,
  message: Schema.String
}) {}

/** Errors that mean "nothing ran, fix the input": exit code 2. */
export const isUsageFailure = (e: unknown): boolean =>
  typeof e === "object" && e !== null && "_tag" in e &&
  ["InvalidPipeline", "InvalidParams", "GraphTooLarge", "NotFound", "UsageError"].includes((e as { _tag: string })._tag)

/** The process exit code for a failure value. */
export const exitCode = (e: unknown): number => (isUsageFailure(e) ? 2 : 1)
