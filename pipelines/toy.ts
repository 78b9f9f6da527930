/**
 * `toy`: a small pipeline of fast stages over seeded random numbers, for tests and for trying the
 * engine out. Per seed: numbers -> clip -> square (in a worker) and stats -> report; one summary
 * table of all reports. `sleepMs` slows every stage; `fail` makes the square stage misbehave; `plot`
 * (the `plot` preset) adds a figure of the summary, for the report's tests.
 */
import { Schema } from "effect"
import { Pipeline } from "../src/index.ts"
import * as Toy from "../stages/toy/index.ts"
import { plot } from "../stages/toy/plot.ts"

const Params = Schema.Struct({
  n: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  seeds: Schema.Array(Schema.Int),
  clip: Schema.Number,
  sleepMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  fail: Toy.Failure,
  plot: Schema.optional(Schema.Boolean)
})

export default Pipeline.make({
  name: "toy",
  description: "Tiny example pipeline used by the engine's tests",
  params: Params,
  presets: {
    default: { n: 1000, seeds: [1, 2], clip: 90, sleepMs: 0, fail: "none" },
    slow: { n: 1000, seeds: [1, 2, 3], clip: 90, sleepMs: 300, fail: "none" },
    plot: { n: 1000, seeds: [1, 2, 3], clip: 90, sleepMs: 0, fail: "none", plot: true }
  },
  defaultPreset: "default",
  results: { node: "summary", output: "table" },
  build: (p) => {
    const slow = { sleepMs: p.sleepMs }
    const reports = p.seeds.map((seed) => {
      const numbers = Toy.numbers({ id: `numbers/${seed}`, params: { n: p.n, seed, ...slow } })
      const clipped = Toy.clip({ id: `clip/${seed}`, params: { max: p.clip, ...slow }, inputs: { rows: numbers.outputs.rows } })
      const squares = Toy.square({ id: `square/${seed}`, params: { ...slow, fail: p.fail }, inputs: { rows: clipped.outputs.rows } })
      const stats = Toy.stats({ id: `stats/${seed}`, params: slow, inputs: { rows: clipped.outputs.rows } })
      return Toy.report({
        id: `report/${seed}`,
        params: { seed, ...slow },
        inputs: { squares: squares.outputs.rows, stats: stats.outputs.stats }
      })
    })
    const summary = Toy.summary({ id: "summary", params: {}, inputs: { reports: reports.map((r) => r.outputs.report) } })
    return p.plot ? [summary, plot({ id: "plot", params: {}, inputs: { table: summary.outputs.table } })] : summary
  }
})
