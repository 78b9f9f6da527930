/** `pipeline plan`: what a run would do and why, without running anything. */
import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import type { Json } from "../Key.ts"
import { paramChanges } from "../Params.ts"
import * as Planner from "../Planner.ts"
import { reasonText } from "../Reason.ts"
import { Records } from "../Store.ts"
import * as Targets from "../Targets.ts"
import { findPipeline, presetFlag, resolveGraph, setFlag, paramsFlag, storeLayer, targetsArg } from "./App.ts"
import { columns } from "./format.ts"

/** The `plan --json` document (DESIGN.md section 3). */
export const planJson = (p: Planner.Plan) => ({
  pipeline: p.pipeline,
  nodes: p.nodes.map((n) => ({ id: n.id, stage: n.stage, key: n.key ?? null, status: n.status, reason: reasonText(n.reason), needs: n.needs }))
})

/** Counts by stage, e.g. `3 to run, 12 cached  (train-strong: 2 run; evaluate: 1 run, 3 cached)`. */
export const planSummary = (p: Planner.Plan): string => {
  const s = Planner.summarize(p)
  const parts = [...s.byStage].map(([stage, c]) =>
    `${stage}: ${[c.run ? `${c.run} to run` : "", c.cached ? `${c.cached} cached` : ""].filter(Boolean).join(", ")}`
  )
  return `${s.run} to run, ${s.cached} cached, ${p.nodes.length} nodes\n  ${parts.join("\n  ")}`
}

export const plan = Command.make(
  "plan",
  {
    pipeline: Argument.String("pipeline"),
    targets: targetsArg,
    preset: presetFlag,
    set: setFlag,
    params: paramsFlag,
    force: Flag.String("force").pipe(Flag.withDescription("Plan nodes matching GLOB as forced"), Flag.atLeast(0)),
    json: Flag.Boolean("json").pipe(Flag.withDescription("One JSON object on stdout"), Flag.withDefault(false))
  },
  Effect.fn(function*(a) {
    const graph = yield* resolveGraph(a.pipeline, a.preset, a.set, a.params, a.targets)
    const force = yield* Effect.fromResult(Targets.forced(graph, a.force))
    const p = Planner.plan(graph, yield* Records, { force })
    yield* Effect.yieldNow // a signal that came while planning a huge graph stops it here
    if (a.json) return yield* Console.log(JSON.stringify(planJson(p)))
    yield* Console.log(columns(p.nodes.map((n) => [n.status === "run" ? "run" : "cached", n.id, n.status === "run" ? reasonText(n.reason) : ""])))
    const changed = paramChanges((yield* findPipeline(a.pipeline)).presets[graph.preset] as Json, graph.params)
    if (changed.length) yield* Console.log(`\nparams changed from preset ${graph.preset}: ${changed.join(", ")}`)
    yield* Console.log(`\n${graph.pipeline} (preset ${graph.preset}): ${planSummary(p)}`)
  })
).pipe(Command.provide(storeLayer), Command.withDescription("Show what a run would execute and why; runs nothing"))
