/**
 * `toy`: a small pipeline of fast stages over seeded random numbers, for tests and for trying the
 * engine out. Per seed: numbers -> clip -> square (in a worker) and stats -> report; one summary
 * table of all reports. `sleepMs` slows every stage; `fail` makes the square stage misbehave.
 */
import { Schema } from "effect"
import { Pipeline } from "../src/index.ts"
import * as Toy from "../stages/toy/index.ts"

const Params = Schema.Struct({
  n: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  seeds: Schema.Array(Schema.Int),
  clip: Schema.Number,
  sleepMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  fail: Toy.Failure
})

export default Pipeline.make({
  name: "toy",
  description: "Tiny example pipeline used by the engine's tests",
  params: Params,
  presets: {
    default: { n: 1000, seeds: [1, 2], clip: 90, sleepMs: 0, fail: "none" },
    slow: { n: 1000, seeds: [1, 2, 3], clip: 90, sleepMs: 300, fail: "none" }
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
    return Toy.summary({ id: "summary", params: {}, inputs: { reports: reports.map((r) => r.outputs.report) } })
  }
})
