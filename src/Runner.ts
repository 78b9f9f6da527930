/**
 * Running one node: read its inputs from the store (re-hashed), decode them through their ports, run
 * the stage, check and encode its outputs and write them to the store. The result is everything the
 * executor needs for the record. A node is runnable from (stage name, params, input hashes) alone,
 * which is what lets `layerWorkers` run heavy stages in worker threads (and, later, elsewhere).
 *
 * `layerInline` runs every stage on the main thread (tests, the in-memory store); `layerWorkers`
 * runs stages marked `heavy` in a fresh worker thread each, so parallel nodes use every core and a
 * crash or out-of-memory in a stage takes down only its worker.
 */
import { Cause, Context, Effect, Exit, Layer, Schema } from "effect"
import { Worker } from "node:worker_threads"
import { isMany, splitWire } from "./Artifact.ts"
import { StageFailed } from "./Errors.ts"
import type { Json } from "./Key.ts"
import type { OutputRef } from "./Record.ts"
import { type Progress, lookup, type AnyStage } from "./Stage.ts"
import { makeDisk, Store, type StoreShape } from "./Store.ts"

/** What to run: enough to run the node anywhere the store is reachable. */
export interface NodeJob {
  readonly pipeline: string
  readonly node: string
  readonly stage: string
  readonly params: Json
  /** input port -> object hash */
  readonly inputs: Readonly<Record<string, string>>
}

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
  readonly run: (stage: AnyStage, job: NodeJob, events: NodeEvents) => Effect.Effect<NodeResult, StageFailed>
}>()("w2s/Runner") {}

const messageOf = (e: unknown): string => {
  if (e instanceof Error) return e.message
  if (typeof e === "object" && e !== null && "message" in e) return String((e as { message: unknown }).message)
  return String(e)
}

/** Runs a job against a store on this thread. Interruption passes through; every other failure is a StageFailed. */
export const execute = (store: StoreShape, stage: AnyStage, job: NodeJob, events: NodeEvents) => {
  const log: Array<string> = []
  const facts: Record<string, Json> = {}
  const fail = (message: string) => new StageFailed({ node: job.node, message })
  const body = Effect.gen(function*() {
    const params = yield* Schema.decodeUnknownEffect(stage.params)(job.params).pipe(
      Effect.mapError((e) => fail(`params: ${messageOf(e)}`))
    )
    const inputs: Record<string, unknown> = {}
    for (const [port, type] of Object.entries(stage.inputs)) if (isMany(type)) inputs[port] = []
    for (const [wired, hash] of Object.entries(job.inputs)) {
      const [port, index] = splitWire(wired)
      const declared = stage.inputs[port]!
      const type = isMany(declared) ? declared.item : declared
      const bytes = yield* store.getObject(hash).pipe(
        Effect.mapError((e) =>
          e._tag === "ObjectDamaged"
            ? new StageFailed({ node: job.node, message: `input ${wired}: ${e.message}`, damagedInput: hash })
            : fail(`input ${wired}: ${e.message}`)
        )
      )
      const value = yield* type.decode(bytes, wired).pipe(Effect.mapError((e) => fail(`input ${wired}: ${e.message}`)))
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
    if (typeof values !== "object" || values === null) return yield* Effect.fail(fail(`returned ${String(values)} instead of its outputs`))
    const declared = Object.keys(stage.outputs)
    const missing = declared.filter((p) => !(p in values))
    const extra = Object.keys(values).filter((p) => !(p in stage.outputs))
    if (missing.length) return yield* Effect.fail(fail(`did not return output${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`))
    if (extra.length) return yield* Effect.fail(fail(`returned undeclared output${extra.length > 1 ? "s" : ""} ${extra.join(", ")}`))
    const outputs: Record<string, OutputRef> = {}
    for (const port of declared) {
      const type = stage.outputs[port]!
      const bytes = yield* type.encode((values as Record<string, unknown>)[port], port).pipe(
        Effect.mapError((e) => fail(`output ${port}: ${e.message}`))
      )
      const ref = yield* store.putObject(bytes).pipe(Effect.mapError((e) => fail(`writing output ${port}: ${e.path}: ${e.message}`)))
      outputs[port] = { ...ref, kind: type.kind }
    }
    return { outputs, log, facts } satisfies NodeResult
  })
  return body.pipe(
    Effect.catchCause((cause): Effect.Effect<never, StageFailed> => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
      const err = Cause.findErrorOption(cause)
      if (err._tag === "Some" && err.value instanceof StageFailed) return Effect.fail(err.value)
      const squashed = Cause.squash(cause)
      return Effect.fail(fail(messageOf(squashed)))
    })
  )
}

/** Every stage on the main thread. */
export const layerInline = Layer.effect(
  Runner,
  Effect.gen(function*() {
    const store = yield* Store
    return { run: (stage, job, events) => execute(store, stage, job, events) }
  })
)

/** Messages from a node worker to the main thread. */
type FromWorker =
  | { readonly type: "log"; readonly line: string }
  | { readonly type: "progress"; readonly progress: Progress }
  | { readonly type: "done"; readonly result: NodeResult }
  | { readonly type: "failed"; readonly message: string }

/** The `workerData` a node worker is started with. */
export interface WorkerData {
  readonly w2sNodeJob: NodeJob
  readonly cacheDir: string
}

/**
 * Heavy stages in worker threads started from `entry` (a script that calls `serveWorker` when it is
 * not the main thread); light ones inline. Needs the disk store at `cacheDir`.
 */
export const layerWorkers = (entry: string | URL, cacheDir: string, resourceLimits?: { maxOldGenerationSizeMb?: number }) =>
  Layer.effect(
    Runner,
    Effect.gen(function*() {
      const store = yield* Store
      const inWorker = (job: NodeJob, events: NodeEvents) =>
        Effect.callback<NodeResult, StageFailed>((resume) => {
          const data: WorkerData = { w2sNodeJob: job, cacheDir }
          const worker = new Worker(entry, { workerData: data, ...(resourceLimits ? { resourceLimits } : {}) })
          let settled = false
          const settle = (e: Effect.Effect<NodeResult, StageFailed>) => {
            if (settled) return
            settled = true
            resume(e)
          }
          const fail = (message: string) => settle(Effect.fail(new StageFailed({ node: job.node, message })))
          worker.on("message", (m: FromWorker) => {
            switch (m.type) {
              case "log":
                return events.log(m.line)
              case "progress":
                return events.progress(m.progress)
              case "done":
                return settle(Effect.succeed(m.result))
              case "failed":
                return fail(m.message)
            }
          })
          worker.on("error", (e) => fail(`worker crashed: ${messageOf(e)}`))
          worker.on("exit", (code) => fail(`worker exited (code ${code}) before finishing`))
          return Effect.promise(() => worker.terminate().then(() => undefined, () => undefined))
        })
      return { run: (stage, job, events) => (stage.heavy ? inWorker(job, events) : execute(store, stage, job, events)) }
    })
  )

/** The body of a node worker: runs the job in `workerData` and reports to the parent. */
export const serveWorker = async (data: WorkerData, post: (m: FromWorker) => void): Promise<void> => {
  const job = data.w2sNodeJob
  const stage = lookup(job.stage)
  if (!stage) return post({ type: "failed", message: `no stage named ${job.stage} in the worker` })
  let lastProgress = 0
  const exit = await Effect.runPromiseExit(
    execute(makeDisk(data.cacheDir), stage, job, {
      log: (line) => post({ type: "log", line }),
      progress: (progress) => {
        const now = Date.now()
        if (now - lastProgress < 100 && progress.done !== progress.total) return
        lastProgress = now
        post({ type: "progress", progress })
      }
    })
  )
  if (Exit.isSuccess(exit)) post({ type: "done", result: exit.value })
  else {
    const err = Cause.squash(exit.cause)
    post({ type: "failed", message: messageOf(err) })
  }
}
