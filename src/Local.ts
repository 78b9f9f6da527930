/**
 * Running a pipeline in this process, on whatever store the caller provides: the memory store
 * (`Store.layerMemory()`) for a pipeline's own tests, a disk store (`Store.layerDisk(dir)`) for a
 * script. Stages run inline (a `heavy` stage too: no worker threads), progress goes nowhere. The
 * same planner, keys and rebuilder as `pipeline run`, so what is cached here is cached there.
 */
import { Effect, Layer } from "effect"
import * as Pipe from "./Pipeline.ts"
import * as Planner from "./Planner.ts"
import * as Rebuilder from "./Rebuilder.ts"
import * as Reporter from "./Reporter.ts"
import * as Runner from "./Runner.ts"
import * as Scheduler from "./Scheduler.ts"
import { Records } from "./Store.ts"
import { findNode, readOutput } from "./cli/outputs.ts"

/** Which params: a preset (default: the pipeline's default one) and `--set`-style overrides (`"clip=40"`). */
export interface Options {
  readonly preset?: string | undefined
  readonly set?: ReadonlyArray<string> | undefined
  /** Cores the running nodes may declare between them (`Scheduler.RunOptions.jobs`; default 2). */
  readonly jobs?: number | undefined
}

/** The validated graph of a pipeline for a preset and overrides; fails as `pipeline run` would (exit 2 there). */
export const graph = (pipeline: Pipe.Pipeline, options: Options = {}) => Pipe.graph(pipeline, options.preset, options.set ?? [])

/** What a run would do, node by node, with reasons (as `pipeline plan`). */
export const plan = (pipeline: Pipe.Pipeline, options: Options = {}) =>
  Effect.gen(function*() {
    const g = yield* graph(pipeline, options)
    return Planner.plan(g, yield* Records)
  })

/**
 * Runs a pipeline: computes what is not cached in the provided store. Returns the graph, the run's
 * summary, and counts by outcome (`tally.ran`, `tally.cached`, `tally.failed`...). A failed stage
 * is an outcome here, not an error: check `tally.failed`.
 */
export const run = (pipeline: Pipe.Pipeline, options: Options = {}) =>
  Effect.gen(function*() {
    const g = yield* graph(pipeline, options)
    const layers = Rebuilder.Rebuilder.layer.pipe(Layer.provideMerge(Runner.layerInline), Layer.provideMerge(Reporter.layerSilent))
    const summary = yield* Scheduler.run(g, { jobs: options.jobs ?? 2 }).pipe(Effect.provide(layers))
    const ran = summary.nodes.filter((n) => n.outcome === "ran").map((n) => n.id)
    return { graph: g, summary, tally: Scheduler.tally(summary), ran }
  })

/** The decoded value of output `port` of node `id` of a graph, once computed in the provided store. */
export const output = (g: Pipe.Graph, id: string, port: string) =>
  Effect.gen(function*() {
    const node = yield* findNode(g, id)
    return (yield* readOutput(g, node, port)).value
  })
