/**
 * Running one node's stage: read its inputs from the object store (re-hashed), decode them through
 * their ports, run the stage, check and encode its outputs and write them to the object store. The
 * result is everything the rebuilder needs for the record. In process a job carries its stage as a
 * value (`NodeJob`); it is runnable from (stage name, params, input hashes) alone (`WireJob`), which
 * is what lets `Workers.layer` run heavy stages in worker threads and a Slurm job run `exec-node`:
 * only there is a stage looked up by name. `layerInline` runs every stage on the calling thread.
 */
import { Cause, Context, Effect, Layer, Schema } from "effect"
import { isMany, splitWire } from "./Artifact.ts"
import { StageFailed } from "./Errors.ts"
import type { Json } from "./Key.ts"
import type { OutputRef } from "./Record.ts"
import type { AnyStage, Progress } from "./Stage.ts"
import { Objects, type ObjectsShape } from "./store/Objects.ts"

/**
 * What to build, in this process: everything that determines one node's outputs (its stage as a
 * value), and where its record goes (the key, computed once by the caller).
 */
export interface NodeJob {
  readonly pipeline: string
  readonly node: string
  readonly stage: AnyStage
  readonly params: Json
  /** input port -> object hash */
  readonly inputs: Readonly<Record<string, string>>
  readonly key: string
}

/**
 * A job as it crosses a thread or process boundary (a worker's message, a Slurm job file): the stage
 * by name, looked up where the job runs. Only the far side of such a boundary looks a stage up.
 */
export interface WireJob extends Omit<NodeJob, "stage"> {
  readonly stage: string
}

export const toWire = (job: NodeJob): WireJob => ({ pipeline: job.pipeline, node: job.node, stage: job.stage.name, params: job.params, inputs: job.inputs, key: job.key })

/** What a run produced. */
export interface NodeResult {
  readonly outputs: Readonly<Record<string, OutputRef>>
  readonly log: ReadonlyArray<string>
  readonly facts: Readonly<Record<string, Json>>
}

/** Where a running node's lines and progress go. */
export interface NodeEvents {
  readonly log: (line: string) => void
  readonly progress: (p: Progress) => void
}

export class Runner extends Context.Service<Runner, {
  readonly run: (job: NodeJob, events: NodeEvents) => Effect.Effect<NodeResult, StageFailed>
}>()("w2s/Runner") {}

/** Runs a job against the objects on this thread. Interruption passes through; every other failure is a StageFailed. */
export const execute = (objects: ObjectsShape, stage: AnyStage, job: Omit<NodeJob, "stage">, events: NodeEvents) => {
  const log: Array<string> = []
  const facts: Record<string, Json> = {}
  const fail = (during: string, cause: unknown) => new StageFailed({ node: job.node, during, cause })
  const body = Effect.gen(function*() {
    const params = yield* Schema.decodeUnknownEffect(stage.params)(job.params).pipe(Effect.mapError((e) => fail("params", e)))
    const inputs: Record<string, unknown> = {}
    for (const [port, type] of Object.entries(stage.inputs)) if (isMany(type)) inputs[port] = []
    for (const [wired, hash] of Object.entries(job.inputs)) {
      const [port, index] = splitWire(wired)
      const declared = stage.inputs[port]!
      const type = isMany(declared) ? declared.item : declared
      const bytes = yield* objects.get(hash).pipe(
        Effect.mapError((e) =>
          e._tag === "ObjectDamaged"
            ? new StageFailed({ node: job.node, during: `input ${wired}`, cause: e, damagedInput: hash })
            : fail(`input ${wired}`, e)
        )
      )
      const value = yield* type.decode(bytes, wired).pipe(Effect.mapError((e) => fail(`input ${wired}`, e)))
      if (index === undefined) inputs[port] = value
      else (inputs[port] as Array<unknown>)[index] = value
    }
    const values = yield* stage.run({
      node: job.node,
      params,
      inputs,
      log: (line: string) => {
        log.push(line)
        events.log(line)
      },
      progress: events.progress,
      annotate: (f) => Object.assign(facts, f)
    })
    const wrong = (what: string) => new StageFailed({ node: job.node, cause: new Error(what) })
    if (typeof values !== "object" || values === null) return yield* Effect.fail(wrong(`returned ${String(values)} instead of its outputs`))
    const declared = Object.keys(stage.outputs)
    const missing = declared.filter((p) => !(p in values))
    const extra = Object.keys(values).filter((p) => !(p in stage.outputs))
    if (missing.length) return yield* Effect.fail(wrong(`did not return output${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`))
    if (extra.length) return yield* Effect.fail(wrong(`returned undeclared output${extra.length > 1 ? "s" : ""} ${extra.join(", ")}`))
    const outputs: Record<string, OutputRef> = {}
    for (const port of declared) {
      const type = stage.outputs[port]!
      const bytes = yield* type.encode((values as Record<string, unknown>)[port], port).pipe(Effect.mapError((e) => fail(`output ${port}`, e)))
      const ref = yield* objects.put(bytes).pipe(Effect.mapError((e) => fail(`writing output ${port}`, e)))
      outputs[port] = { ...ref, kind: type.kind }
    }
    return { outputs, log, facts } satisfies NodeResult
  })
  return body.pipe(
    Effect.catchCause((cause): Effect.Effect<never, StageFailed> => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
      const err = Cause.findErrorOption(cause)
      if (err._tag === "Some" && err.value instanceof StageFailed) return Effect.fail(err.value)
      // What the stage failed with, threw or died of, kept as it is.
      return Effect.fail(new StageFailed({ node: job.node, cause: Cause.squash(cause) }))
    })
  )
}

/** Every stage on the calling thread, against the store's objects. */
export const layerInline = Layer.effect(
  Runner,
  Effect.gen(function*() {
    const objects = yield* Objects
    return { run: (job, events) => execute(objects, job.stage, job, events) }
  })
)
