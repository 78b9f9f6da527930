/**
 * `pipeline diff A B`: two runs of one pipeline side by side, as `dvc params diff` and `dvc exp
 * show` do: each param that differs (`path: old -> new`), then the results table of each run's
 * params, rows matched by their text columns (and `seed`), every numeric column that differs shown
 * as A, B and B - A. Runs are named as `pipeline runs` names them (id, unique prefix, `last`,
 * `last~N`); one side may instead be a preset (`@smoke`) or overrides (`clip=50`) read against the
 * run on the other side, to see what a change would do to the params and whether its results exist.
 */
import { Console, Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import { UsageError } from "../Errors.ts"
import type { Json } from "../Key.ts"
import type { RunSummary } from "../store/Runs.ts"
import { findPipeline, resolveGraph, storeLayer } from "./App.ts"
import { paramChanges, setsBetween } from "../Params.ts"
import { columns } from "./format.ts"
import { runFlags, runSets, summaries } from "./lastRun.ts"
import { findNode, readOutput } from "./outputs.ts"
import { findRun } from "./runs.ts"

/** The params that differ between two encoded param sets: `path: old -> new`, values in full, by path. */
export const paramsDiff = (a: Json, b: Json): Array<string> => [...paramChanges(a, b, true)].sort()

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

/** One side of a diff: a pipeline's params as a preset and `--set` texts, named for the reader. */
interface Side {
  readonly label: string
  readonly pipeline: string
  readonly preset: string
  readonly sets: ReadonlyArray<string>
  readonly files: ReadonlyArray<string>
}

const sideOfRun = (s: RunSummary) =>
  Effect.map(findPipeline(s.pipeline), (p): Side => ({ label: `run ${s.id}`, pipeline: s.pipeline, preset: s.preset, ...runSets(p, s) }))

/**
 * A side that is not a run, read against the run on the other side: `@PRESET` (that preset of the
 * run's pipeline) or `path=value` overrides (whitespace-separated) on top of the run's params.
 */
const sideOfParams = (text: string, other: Side): Effect.Effect<Side, UsageError> => {
  if (/^@[\w.-]+$/.test(text)) return Effect.succeed({ label: `preset ${text.slice(1)}`, pipeline: other.pipeline, preset: text.slice(1), sets: [], files: [] })
  const sets = text.trim().split(/\s+(?=[\w.-]+=)/)
  if (!sets.every((x) => /^[\w.-]+=/.test(x))) {
    return Effect.fail(new UsageError({ message: `'${text}' names no run (an id, a unique prefix, last or last~N), preset (@NAME) or params (path=value ...)` }))
  }
  return Effect.succeed({ label: `params ${sets.join(" ")}`, pipeline: other.pipeline, preset: other.preset, sets: [...other.sets, ...sets], files: other.files })
}

const resultsOf = (side: Side) =>
  Effect.gen(function*() {
    const pipeline = yield* findPipeline(side.pipeline)
    if (!pipeline.results) return yield* Effect.fail(new UsageError({ message: `pipeline ${pipeline.name} declares no results table` }))
    const graph = yield* resolveGraph(side.pipeline, Option.some(side.preset), side.sets, side.files)
    const sets = setsBetween(pipeline.presets[graph.preset] as Json, graph.params)
    const node = yield* findNode(graph, pipeline.results.node)
    const port = pipeline.results.output
    const out = yield* Effect.result(readOutput(graph, node, port))
    return {
      graph,
      flags: runFlags(graph.preset, sets),
      name: `${node.id}.${port}`,
      columns: Object.keys((node.stage.outputs[port] as unknown as { columns: Record<string, unknown> }).columns ?? {}),
      rows: out._tag === "Success" ? (out.success.value as Array<Record<string, unknown>>) : undefined,
      why: out._tag === "Failure" ? `not computed for the params of ${side.label}: run \`pipeline run ${side.pipeline} ${runFlags(graph.preset, sets)}\`` : undefined
    }
  })

export const diff = Command.make(
  "diff",
  {
    a: Argument.String("a").pipe(Argument.withDescription("A run (an id, a unique prefix, last or last~N), or against the other side's run: @PRESET or path=value ...")),
    b: Argument.String("b").pipe(Argument.withDescription("The run, preset or params to compare to"))
  },
  Effect.fn(function*(args) {
    const all = yield* summaries
    const [ra, rb] = [yield* Effect.result(findRun(all, args.a)), yield* Effect.result(findRun(all, args.b))]
    if (ra._tag === "Failure" && rb._tag === "Failure") {
      const isParams = (x: string) => /^@|=/.test(x)
      return yield* Effect.fail(isParams(args.a) && isParams(args.b) ? new UsageError({ message: "one of A and B must name a run: a preset or params are read against it" }) : isParams(args.a) ? rb.failure : ra.failure)
    }
    const a = ra._tag === "Success" ? yield* sideOfRun(ra.success) : undefined
    const b = rb._tag === "Success" ? yield* sideOfRun(rb.success) : undefined
    const left = a ?? (yield* sideOfParams(args.a, b!))
    const right = b ?? (yield* sideOfParams(args.b, a!))
    if (left.pipeline !== right.pipeline) {
      return yield* Effect.fail(new UsageError({ message: `${left.label} and ${right.label} are of different pipelines (${left.pipeline}, ${right.pipeline})` }))
    }
    const x = yield* resultsOf(left)
    const y = yield* resultsOf(right)
    yield* Console.log(`A ${left.label}  ${left.pipeline} ${x.flags}`)
    yield* Console.log(`B ${right.label}  ${right.pipeline} ${y.flags}`)
    const changes = paramsDiff(x.graph.params as Json, y.graph.params as Json)
    yield* Console.log(`\nparams${left.preset !== right.preset ? ` (preset ${left.preset} -> ${right.preset})` : ""}:${changes.length ? "" : " the same"}`)
    for (const c of changes) yield* Console.log(`  ${c}`)
    yield* Console.log(`\nresults (${x.name}):`)
    if (!x.rows || !y.rows) {
      for (const why of [x.why, y.why]) if (why) yield* Console.log(`  ${why}`)
      return
    }
    yield* Console.log(resultsDiff(x.columns, x.rows, y.rows).text)
  })
).pipe(Command.provide(storeLayer), Command.withDescription("Compare two runs (or a run and a preset or params): params old -> new, results side by side with deltas"))
