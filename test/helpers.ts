// Shared test fixtures: stores (memory or disk, with their Damage), and running or planning a
// pipeline against one with the inline runner or worker threads.
import { Context, Effect, Layer } from "effect"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import * as Pipeline from "../src/Pipeline.ts"
import * as Planner from "../src/Planner.ts"
import * as Rebuilder from "../src/Rebuilder.ts"
import * as Reporter from "../src/Reporter.ts"
import * as Runner from "../src/Runner.ts"
import * as Scheduler from "../src/Scheduler.ts"
import * as Store from "../src/Store.ts"
import * as Workers from "../src/Workers.ts"

/** A built store: its services and its Damage, as a context to provide. */
export type TestStore = Context.Context<Store.Store | Store.Damage>

/** A fresh in-memory store. */
export const memoryStore = (): { readonly store: TestStore } => ({ store: Effect.runSync(Effect.scoped(Layer.build(Store.layerMemory()))) })

/** A fresh disk store in a new temporary directory. */
export const diskStore = (dir = mkdtempSync(join(tmpdir(), "w2s-store-"))): { readonly store: TestStore; readonly dir: string } => ({
  dir,
  store: Effect.runSync(Effect.scoped(Layer.build(Layer.merge(Store.layerDisk(dir), Store.Damage.layerDisk(dir)))))
})

export const records = (store: TestStore) => Context.get(store, Store.Records)
export const objects = (store: TestStore) => Context.get(store, Store.Objects)
export const damage = (store: TestStore) => Context.get(store, Store.Damage)

/** The CLI bundle (built by the suite's global setup, named by dist/pipeline.current): worker threads start from it. */
export const workerEntry = () => pathToFileURL(resolve("dist", (JSON.parse(readFileSync(resolve("dist", "pipeline.current"), "utf8")) as { bundle: string }).bundle))

export type RunnerKind = "inline" | "workers"
export const runnerLayer = (kind: RunnerKind) => (kind === "inline" ? Runner.layerInline : Workers.layer(workerEntry()))

/** What a run needs besides the store: rebuilder, runner, a reporter that keeps the events. */
export const layers = (
  events: Array<Reporter.RunEvent> = [],
  runner: Layer.Layer<Runner.Runner, never, Store.Objects> = Runner.layerInline,
  rebuilder: Layer.Layer<Rebuilder.Rebuilder, never, Store.Store | Runner.Runner> = Rebuilder.Rebuilder.layer
) => rebuilder.pipe(Layer.provideMerge(runner), Layer.provideMerge(Reporter.layerCollect(events)))

export interface RunWith {
  readonly runner?: Layer.Layer<Runner.Runner, never, Store.Objects>
  readonly rebuilder?: Layer.Layer<Rebuilder.Rebuilder, never, Store.Store | Runner.Runner>
}

export const runPipeline = (
  store: TestStore,
  pipeline: Pipeline.Pipeline,
  sets: ReadonlyArray<string> = [],
  options: Partial<Scheduler.RunOptions> = {},
  preset?: string,
  using: RunWith = {}
) =>
  Effect.gen(function*() {
    const graph = yield* Pipeline.graph(pipeline, preset, sets)
    const events: Array<Reporter.RunEvent> = []
    const summary = yield* Scheduler.run(graph, { jobs: 2, ...options }).pipe(
      Effect.provide(layers(events, using.runner, using.rebuilder)),
      Effect.provide(store)
    )
    return { graph, summary, events, tally: Scheduler.tally(summary) }
  })

export const planPipeline = (store: TestStore, pipeline: Pipeline.Pipeline, sets: ReadonlyArray<string> = [], preset?: string) =>
  Effect.map(Pipeline.graph(pipeline, preset, sets), (g) => Planner.plan(g, records(store)))

/** node id -> output hashes, the observable result of a run. */
export const outputsOf = (store: TestStore, plan: Planner.Plan) =>
  Object.fromEntries(plan.nodes.map((n) => {
    const l = n.key ? records(store).lookup(n.key) : undefined
    return [n.id, l?._tag === "Present" ? Object.fromEntries(Object.entries(l.record.outputs).map(([p, o]) => [p, o.hash])) : undefined]
  }))
