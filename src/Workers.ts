/**
 * Heavy stages in worker threads: each heavy node runs in a fresh worker (so parallel nodes use
 * every core, and a crash or out-of-memory takes down only its worker); light ones run inline. A
 * worker reaches the store the way the store's `Objects.locator` says: a disk store it opens itself,
 * any other (the in-memory store) through this thread, by messages. So every store layer works
 * with heavy stages. `serveWorker` is the worker's side, called by the entry script.
 */
import { Cause, Effect, Exit, Layer } from "effect"
import { parentPort, Worker } from "node:worker_threads"
import { messageOf, ObjectDamaged, StageFailed, StoreError, type StoreErrorReason } from "./Errors.ts"
import { execute, type NodeEvents, type NodeJob, type NodeResult, Runner, toWire, type WireJob } from "./Runner.ts"
import { lookup, type Progress } from "./Stage.ts"
import { Objects, type ObjectsLocator, type ObjectsShape } from "./store/Objects.ts"

/** A failure as it crosses threads: its words, not its value. */
interface FailureData {
  readonly during?: string | undefined
  readonly message: string
  readonly damagedInput?: string | undefined
}

/** An object-store failure as it crosses threads. */
type ObjectErrorData =
  | { readonly _tag: "ObjectDamaged"; readonly hash: string; readonly message: string }
  | { readonly _tag: "StoreError"; readonly path: string; readonly reason: StoreErrorReason }

/** Messages from a node worker to the main thread. */
type FromWorker =
  | { readonly type: "log"; readonly line: string }
  | { readonly type: "progress"; readonly progress: Progress }
  | { readonly type: "done"; readonly result: NodeResult }
  | { readonly type: "failed"; readonly failure: FailureData }
  | { readonly type: "get"; readonly id: number; readonly hash: string }
  | { readonly type: "put"; readonly id: number; readonly bytes: Uint8Array }

/** Answers of the main thread to a worker's object requests. */
type ToWorker =
  | { readonly type: "reply"; readonly id: number; readonly value: Uint8Array | { hash: string; size: number } }
  | { readonly type: "error"; readonly id: number; readonly error: ObjectErrorData }

/** The `workerData` a node worker is started with. */
export interface WorkerData {
  readonly w2sNodeJob: WireJob
  readonly objects: ObjectsLocator
}

const objectError = (e: unknown, path: string): ObjectErrorData =>
  e instanceof ObjectDamaged
    ? { _tag: "ObjectDamaged", hash: e.hash, message: e.message }
    : e instanceof StoreError
    ? { _tag: "StoreError", path: e.path, reason: e.reason }
    : { _tag: "StoreError", path, reason: { _tag: "Io", message: messageOf(e) } }

/**
 * Heavy stages in worker threads started from `entry` (a script that calls `serveWorker` when it is
 * not the main thread); light ones inline.
 */
export const layer = (entry: string | URL, resourceLimits?: { maxOldGenerationSizeMb?: number }) =>
  Layer.effect(
    Runner,
    Effect.gen(function*() {
      const objects = yield* Objects
      const inWorker = (job: NodeJob, events: NodeEvents) =>
        Effect.callback<NodeResult, StageFailed>((resume) => {
          const data: WorkerData = { w2sNodeJob: toWire(job), objects: objects.locator }
          const worker = new Worker(entry, { workerData: data, ...(resourceLimits ? { resourceLimits } : {}) })
          let settled = false
          const settle = (e: Effect.Effect<NodeResult, StageFailed>) => {
            if (settled) return
            settled = true
            resume(e)
          }
          const fail = (f: FailureData) =>
            settle(Effect.fail(new StageFailed({ node: job.node, during: f.during, cause: new Error(f.message), damagedInput: f.damagedInput })))
          const answer = (id: number, effect: Effect.Effect<Uint8Array | { hash: string; size: number }, ObjectDamaged | StoreError>) =>
            void Effect.runPromiseExit(effect).then((exit) => {
              if (settled) return
              const reply: ToWorker = Exit.isSuccess(exit)
                ? { type: "reply", id, value: exit.value }
                : { type: "error", id, error: objectError(Cause.squash(exit.cause), objects.location) }
              worker.postMessage(reply)
            })
          worker.on("message", (m: FromWorker) => {
            switch (m.type) {
              case "log":
                return events.log(m.line)
              case "progress":
                return events.progress(m.progress)
              case "done":
                return settle(Effect.succeed(m.result))
              case "failed":
                return fail(m.failure)
              case "get":
                return answer(m.id, objects.get(m.hash))
              case "put":
                return answer(m.id, objects.put(m.bytes))
            }
          })
          worker.on("error", (e) => fail({ message: `worker crashed: ${messageOf(e)}` }))
          worker.on("exit", (code) => fail({ message: `worker exited (code ${code}) before finishing` }))
          return Effect.promise(() => worker.terminate().then(() => undefined, () => undefined))
        })
      return { run: (job, events) => (job.stage.heavy ? inWorker(job, events) : execute(objects, job.stage, job, events)) }
    })
  )

/** The objects of the thread that started this worker, reached by messages. */
const parentObjects = (post: (m: FromWorker) => void): ObjectsShape => {
  const pending = new Map<number, (m: ToWorker) => void>()
  let next = 0
  parentPort!.on("message", (m: ToWorker) => {
    pending.get(m.id)?.(m)
    pending.delete(m.id)
  })
  const ask = <A, E extends ObjectDamaged | StoreError>(request: (id: number) => FromWorker) =>
    Effect.callback<A, E>((resume) => {
      const id = next++
      pending.set(id, (m) =>
        resume(
          m.type === "reply"
            ? Effect.succeed(m.value as A)
            : Effect.fail((m.error._tag === "ObjectDamaged" ? new ObjectDamaged(m.error) : new StoreError(m.error)) as E)
        ))
      post(request(id))
    })
  const unused = () => Effect.die(new Error("not available in a node worker"))
  return {
    location: "the main thread's store",
    locator: { _tag: "ThisThread" },
    get: (hash) => ask((id) => ({ type: "get", id, hash })),
    put: (bytes) => ask((id) => ({ type: "put", id, bytes })),
    sizeOf: () => undefined,
    check: unused,
    list: unused(),
    remove: unused
  }
}

const workerObjects = (locator: ObjectsLocator, post: (m: FromWorker) => void) =>
  locator._tag === "Disk" ? Objects.layerDisk(locator.root) : Layer.succeed(Objects, parentObjects(post))

/** The body of a node worker: runs the job in `workerData` and reports to the parent. */
export const serveWorker = async (data: WorkerData, post: (m: FromWorker) => void): Promise<void> => {
  const job = data.w2sNodeJob
  const stage = lookup(job.stage)
  if (!stage) return post({ type: "failed", failure: { message: `no stage named ${job.stage} in the worker` } })
  let lastProgress = 0
  const events: NodeEvents = {
    log: (line) => post({ type: "log", line }),
    progress: (progress) => {
      const now = Date.now()
      if (now - lastProgress < 100 && progress.done !== progress.total) return
      lastProgress = now
      post({ type: "progress", progress })
    }
  }
  const exit = await Effect.runPromiseExit(
    Effect.flatMap(Objects, (objects: ObjectsShape) => execute(objects, stage, job, events)).pipe(
      Effect.provide(workerObjects(data.objects, post))
    )
  )
  // Nothing more comes from the parent: without its listener the thread ends once its messages are out.
  if (data.objects._tag !== "Disk") parentPort?.removeAllListeners("message").unref()
  if (Exit.isSuccess(exit)) return post({ type: "done", result: exit.value })
  const err = Cause.squash(exit.cause)
  post({
    type: "failed",
    failure: err instanceof StageFailed
      ? { during: err.during, message: messageOf(err.cause), damagedInput: err.damagedInput }
      : { message: messageOf(err) }
  })
}
