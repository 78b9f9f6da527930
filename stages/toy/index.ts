/**
 * Toy stages: tiny, fast, deterministic computations over a table of numbers, used by the engine's
 * tests and examples. `sleepMs` slows a stage down (to kill or interrupt it mid-run) and `fail`
 * makes one stage throw or return a malformed output, so failures can be exercised end to end.
 */
import { Effect, Schema } from "effect"
import { Artifact, Stage } from "../../src/index.ts"

export const Numbers = Artifact.table("Numbers", { i: Artifact.Column.int32, x: Artifact.Column.float64 })
export const Stats = Artifact.json("Stats", Schema.Struct({ count: Schema.Int, sum: Schema.Number, mean: Schema.Number }))
const ReportRow = Schema.Struct({ seed: Schema.Int, count: Schema.Int, sumSquares: Schema.Number, mean: Schema.Number })
export const Report = Artifact.json("Report", ReportRow)
export const Summary = Artifact.table("Summary", {
  seed: Artifact.Column.int32,
  count: Artifact.Column.int32,
  sumSquares: Artifact.Column.float64,
  mean: Artifact.Column.float64
})

export const Failure = Schema.Literals(["none", "throw", "bad-output", "exit", "oom"])
const Slow = { sleepMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)) }

/** mulberry32: a small seeded generator, so equal seeds give equal tables. */
const rng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const nap = (ms: number) => (ms > 0 ? Effect.sleep(ms) : Effect.void)

export const numbers = Stage.make({
  name: "toy-numbers",
  version: 1,
  source: import.meta.url,
  description: "n seeded random numbers in [0, 100)",
  params: Schema.Struct({ n: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)), seed: Schema.Int, ...Slow }),
  inputs: {},
  outputs: { rows: Numbers },
  run: ({ params, progress }) =>
    Effect.gen(function*() {
      yield* nap(params.sleepMs)
      const next = rng(params.seed)
      const rows = Array.from({ length: params.n }, (_, i) => ({ i, x: Math.floor(next() * 10000) / 100 }))
      progress({ done: params.n, total: params.n, unit: "rows" })
      return { rows }
    })
})

export const clip = Stage.make({
  name: "toy-clip",
  version: 1,
  source: import.meta.url,
  description: "caps every x at max",
  params: Schema.Struct({ max: Schema.Number, ...Slow }),
  inputs: { rows: Numbers },
  outputs: { rows: Numbers },
  run: ({ params, inputs }) =>
    Effect.gen(function*() {
      yield* nap(params.sleepMs)
      return { rows: inputs.rows.map((r) => ({ i: r.i, x: Math.min(r.x, params.max) })) }
    })
})

export const square = Stage.make({
  name: "toy-square",
  version: 1,
  source: import.meta.url,
  description: "x squared (runs in a worker thread)",
  heavy: true,
  params: Schema.Struct({ ...Slow, fail: Failure }),
  inputs: { rows: Numbers },
  outputs: { rows: Numbers },
  run: ({ params, inputs, log }) =>
    Effect.gen(function*() {
      log(`squaring ${inputs.rows.length} rows`)
      yield* nap(params.sleepMs)
      if (params.fail === "throw") throw new Error("toy-square was told to fail")
      if (params.fail === "exit") process.exit(3)
      if (params.fail === "oom") {
        const hog: Array<Array<number>> = []
        for (;;) hog.push(Array.from({ length: 1e6 }, (_, i) => i))
      }
      if (params.fail === "bad-output") return { rows: [{ i: "zero", x: 1 }] } as never
      return { rows: inputs.rows.map((r) => ({ i: r.i, x: r.x * r.x })) }
    })
})

export const stats = Stage.make({
  name: "toy-stats",
  version: 1,
  source: import.meta.url,
  params: Schema.Struct({ ...Slow }),
  inputs: { rows: Numbers },
  outputs: { stats: Stats },
  run: ({ params, inputs }) =>
    Effect.gen(function*() {
      yield* nap(params.sleepMs)
      const sum = inputs.rows.reduce((s, r) => s + r.x, 0)
      return { stats: { count: inputs.rows.length, sum, mean: inputs.rows.length ? sum / inputs.rows.length : 0 } }
    })
})

export const report = Stage.make({
  name: "toy-report",
  version: 1,
  source: import.meta.url,
  params: Schema.Struct({ seed: Schema.Int, ...Slow }),
  inputs: { squares: Numbers, stats: Stats },
  outputs: { report: Report },
  run: ({ params, inputs }) =>
    Effect.gen(function*() {
      yield* nap(params.sleepMs)
      return {
        report: {
          seed: params.seed,
          count: inputs.stats.count,
          sumSquares: inputs.squares.reduce((s, r) => s + r.x, 0),
          mean: inputs.stats.mean
        }
      }
    })
})

export const summary = Stage.make({
  name: "toy-summary",
  version: 1,
  source: import.meta.url,
  description: "one row per report",
  params: Schema.Struct({}),
  inputs: { reports: Artifact.many(Report) },
  outputs: { table: Summary },
  run: ({ inputs }) => Effect.succeed({ table: inputs.reports.map((r) => ({ ...r })) })
})
