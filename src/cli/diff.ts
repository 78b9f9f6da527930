/**
 * `pipeline diff A B`: two runs of one pipeline side by side, as `dvc params diff` and `dvc exp
 * show` do: each param that differs (`path: old -> new`), then the results table of each run's
 * params, rows matched by their text columns (and `seed`), every numeric column that differs shown
 * as A, B and B - A. Runs are named as `pipeline runs` names them (id, unique prefix, `last`,
 * `last~N`).
 */
import { Console, Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import { UsageError } from "../Errors.ts"
import type { Json } from "../Key.ts"
import type { RunSummary } from "../store/Runs.ts"
import { findPipeline, resolveGraph, storeLayer } from "./App.ts"
import { columns } from "./format.ts"
import { runFlags, runSets, summaries } from "./lastRun.ts"
import { findNode, readOutput } from "./outputs.ts"
import { findRun } from "./runs.ts"

/** Every leaf of encoded params as `path -> JSON text` (lists are leaves). */
const leaves = (v: unknown, path = "", out = new Map<string, string>()) => {
  if (typeof v === "object" && v !== null && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) leaves(x, path ? `${path}.${k}` : k, out)
  } else out.set(path, JSON.stringify(v))
  return out
}

/** The params that differ between two encoded param sets: `path: old -> new`. */
export const paramChanges = (a: unknown, b: unknown): Array<string> => {
  const la = leaves(a), lb = leaves(b)
  return [...new Set([...la.keys(), ...lb.keys()])].sort()
    .filter((k) => la.get(k) !== lb.get(k))
    .map((k) => `${k}: ${la.get(k) ?? "(absent)"} -> ${lb.get(k) ?? "(absent)"}`)
}

const fmt = (v: unknown) =>
  typeof v === "number" ? (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)))) : v === null || v === undefined ? "-" : String(v)

/**
 * Two results tables side by side: rows matched by their text columns and `seed` (by position
 * where there are none); for each numeric column that differs somewhere, A, B and B - A.
 */
export const resultsDiff = (
  cols: ReadonlyArray<string>,
  a: ReadonlyArray<Record<string, unknown>>,
  b: ReadonlyArray<Record<string, unknown>>
): { readonly text: string; readonly changed: ReadonlyArray<string> } => {
  const all = [...a, ...b]
  const keyCols = cols.filter((c) => c === "seed" || all.some((r) => typeof r[c] === "string" || typeof r[c] === "boolean"))
  const numCols = cols.filter((c) => !keyCols.includes(c) && all.some((r) => typeof r[c] === "number"))
  const keyOf = (r: Record<string, unknown>, i: number) => (keyCols.length ? JSON.stringify(keyCols.map((c) => r[c])) : String(i))
  const ma = new Map(a.map((r, i) => [keyOf(r, i), r])), mb = new Map(b.map((r, i) => [keyOf(r, i), r]))
  const keys = [...new Set([...ma.keys(), ...mb.keys()])]
  const changed = numCols.filter((c) => keys.some((k) => ma.get(k)?.[c] !== mb.get(k)?.[c]))
  const head = [...keyCols, ...changed.flatMap((c) => [`${c} A`, `${c} B`, "delta"])]
  const rows = keys.map((k) => {
    const ra = ma.get(k), rb = mb.get(k)
    const r = ra ?? rb!
    return [
      ...keyCols.map((c) => fmt(r[c])),
      ...changed.flatMap((c) => {
        const x = ra?.[c], y = rb?.[c]
        const d = typeof x === "number" && typeof y === "number" ? y - x : undefined
        return [ra ? fmt(x) : "(no row)", rb ? fmt(y) : "(no row)", d === undefined ? "-" : `${d > 0 ? "+" : ""}${fmt(d)}`]
      })
    ]
  })
  return { text: changed.length ? columns([head, ...rows]) : `the same in both runs (${keys.length} rows)`, changed }
}

const resultsOf = (s: RunSummary) =>
  Effect.gen(function*() {
    const pipeline = yield* findPipeline(s.pipeline)
    if (!pipeline.results) return yield* Effect.fail(new UsageError({ message: `pipeline ${pipeline.name} declares no results table` }))
    const r = runSets(pipeline, s)
    const graph = yield* resolveGraph(s.pipeline, Option.some(s.preset), r.sets, r.files)
    const node = yield* findNode(graph, pipeline.results.node)
    const port = pipeline.results.output
    const out = yield* Effect.result(readOutput(graph, node, port))
    return {
      graph,
      name: `${node.id}.${port}`,
      columns: Object.keys((node.stage.outputs[port] as unknown as { columns: Record<string, unknown> }).columns ?? {}),
      rows: out._tag === "Success" ? (out.success.value as Array<Record<string, unknown>>) : undefined,
      why: out._tag === "Failure" ? `not computed for run ${s.id}'s params: run \`pipeline run ${s.pipeline} ${runFlags(s.preset, r.sets)}\`` : undefined
    }
  })

export const diff = Command.make(
  "diff",
  {
    a: Argument.String("run-a").pipe(Argument.withDescription("The run to compare from: an id, a unique prefix, last or last~N")),
    b: Argument.String("run-b").pipe(Argument.withDescription("The run to compare to"))
  },
  Effect.fn(function*(args) {
    const all = yield* summaries
    const a = yield* findRun(all, args.a)
    const b = yield* findRun(all, args.b)
    if (a.pipeline !== b.pipeline) {
      return yield* Effect.fail(new UsageError({ message: `runs ${a.id} and ${b.id} are of different pipelines (${a.pipeline}, ${b.pipeline})` }))
    }
    const ra = yield* resultsOf(a)
    const rb = yield* resultsOf(b)
    yield* Console.log(`A ${a.id}  ${a.pipeline} ${runFlags(a.preset, runSets(yield* findPipeline(a.pipeline), a).sets)}`)
    yield* Console.log(`B ${b.id}  ${b.pipeline} ${runFlags(b.preset, runSets(yield* findPipeline(b.pipeline), b).sets)}`)
    const changes = paramChanges(ra.graph.params as Json, rb.graph.params as Json)
    yield* Console.log(`\nparams${a.preset !== b.preset ? ` (preset ${a.preset} -> ${b.preset})` : ""}:${changes.length ? "" : " the same"}`)
    for (const c of changes) yield* Console.log(`  ${c}`)
    yield* Console.log(`\nresults (${ra.name}):`)
    if (!ra.rows || !rb.rows) {
      for (const why of [ra.why, rb.why]) if (why) yield* Console.log(`  ${why}`)
      return
    }
    yield* Console.log(resultsDiff(ra.columns, ra.rows, rb.rows).text)
  })
).pipe(Command.provide(storeLayer), Command.withDescription("Compare two runs: params old -> new, results side by side with deltas"))
