/**
 * The run history as the read commands use it: the last run of a pipeline, and a graph resolved
 * with its params. `results` and `report` given no `--preset`, `--params` or `--set` show what the
 * last run of the pipeline computed (and say so on stderr) rather than the default preset's.
 */
import { Console, Effect, Option } from "effect"
import type { Json } from "../Key.ts"
import { setsBetween } from "../Params.ts"
import type { Pipeline } from "../Pipeline.ts"
import { Runs, type RunSummary } from "../store/Runs.ts"
import { findPipeline, resolveGraph } from "./App.ts"

/** The summaries of the history that decode, oldest first. */
export const summaries = Effect.gen(function*() {
  const entries = yield* (yield* Runs).history
  return entries.flatMap((e) => (e._tag === "Read" ? [e.summary] : []))
})

/** The last run of `pipeline` in the history, if any. */
export const lastRunOf = (pipeline: string) => Effect.map(summaries, (ss) => ss.filter((s) => s.pipeline === pipeline).at(-1))

/**
 * The `--set` texts (and params files) that reproduce a run's params over its preset: from the
 * params it resolved when its summary kept them, else as it was typed.
 */
export const runSets = (pipeline: Pipeline, s: RunSummary): { readonly sets: ReadonlyArray<string>; readonly files: ReadonlyArray<string> } =>
  s.params !== undefined && Object.hasOwn(pipeline.presets, s.preset)
    ? { sets: setsBetween(pipeline.presets[s.preset] as Json, s.params as Json), files: [] }
    : { sets: s.sets, files: s.paramsFiles }

/** A run's params as one command line's flags: `--preset P --set 'a=1'`. */
export const runFlags = (preset: string, sets: ReadonlyArray<string>): string =>
  [`--preset ${preset}`, ...sets.map((s) => `--set ${/^[\w.=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`}`)].join(" ")

/**
 * The graph the flags ask for; with no preset, params file or `--set`, the graph of the last run's
 * params when the pipeline has a run in the history (said on stderr), else the default preset's.
 */
export const resolveGraphOrLast = (
  name: string,
  preset: Option.Option<string>,
  sets: ReadonlyArray<string>,
  files: ReadonlyArray<string>
) =>
  Effect.gen(function*() {
    if (Option.isNone(preset) && sets.length === 0 && files.length === 0) {
      const pipeline = yield* findPipeline(name)
      const last = yield* lastRunOf(name)
      if (last) {
        const r = runSets(pipeline, last)
        const graph = yield* resolveGraph(name, Option.some(last.preset), r.sets, r.files)
        yield* Console.error(`using the params of the last run of ${name} (${last.id}: ${runFlags(last.preset, r.sets)}); --preset or --set for others`)
        return { graph, run: last, sets: r.sets }
      }
    }
    const graph = yield* resolveGraph(name, preset, sets, files)
    const pipeline = yield* findPipeline(name)
    return { graph, run: undefined, sets: setsBetween(pipeline.presets[graph.preset] as Json, graph.params) }
  })
