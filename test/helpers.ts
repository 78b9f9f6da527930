// Shared test fixtures: run a pipeline against an in-memory store with the inline runner.
import { Effect, Layer } from "effect"
import * as Executor from "../src/Executor.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Planner from "../src/Planner.ts"
import * as Reporter from "../src/Reporter.ts"
import * as Runner from "../src/Runner.ts"
import { makeMemory, Store, type StoreShape } from "../src/Store.ts"

export const memoryStore = () => makeMemory()

export const layers = (store: StoreShape, events: Array<Reporter.RunEvent> = []) =>
  Runner.layerInline.pipe(
    Layer.provideMerge(Layer.succeed(Store, store)),
    Layer.provideMerge(Reporter.layerCollect(events))
  )

export const runPipeline = (
  store: StoreShape,
  pipeline: Pipeline.Pipeline,
  sets: ReadonlyArray<string> = [],
  options: Partial<Executor.RunOptions> = {},
  preset?: string
) =>
  Effect.gen(function*() {
    const graph = yield* Pipeline.graph(pipeline, preset, sets)
    const events: Array<Reporter.RunEvent> = []
    const summary = yield* Executor.run(graph, { jobs: 2, ...options }).pipe(Effect.provide(layers(store, events)))
    return { graph, summary, events, tally: Executor.tally(summary) }
  })

export const planPipeline = (store: StoreShape, pipeline: Pipeline.Pipeline, sets: ReadonlyArray<string> = [], preset?: string) =>
  Effect.map(Pipeline.graph(pipeline, preset, sets), (g) => Planner.plan(g, store.view))

/** node id -> output hashes, the observable result of a run. */
export const outputsOf = (store: StoreShape, plan: Planner.Plan) =>
  Object.fromEntries(plan.nodes.map((n) => {
    const l = n.key ? store.view.lookup(n.key) : undefined
    return [n.id, l?._tag === "Present" ? Object.fromEntries(Object.entries(l.record.outputs).map(([p, o]) => [p, o.hash])) : undefined]
  }))
