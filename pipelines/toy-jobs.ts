/**
 * `toy-jobs`: the toy pipeline with only its heavy stage (`square`, the one `--executor slurm` sends
 * to Slurm) slowed down, so that the Slurm executor's tests can kill, cancel or time out a job while
 * the light nodes on the driver stay fast. Per seed: numbers -> clip -> square and stats -> report;
 * one summary.
 */
import { Schema } from "effect"
import { Pipeline } from "../src/index.ts"
import * as Toy from "../stages/toy/index.ts"

export default Pipeline.make({
  name: "toy-jobs",
  description: "Test fixture: the toy pipeline with a slow heavy stage (--set squareMs=...)",
  params: Schema.Struct({
    n: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
    seeds: Schema.Array(Schema.Int),
    squareMs: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
    fail: Toy.Failure
  }),
  presets: { default: { n: 50, seeds: [1, 2], squareMs: 0, fail: "none" } },
  defaultPreset: "default",
  results: { node: "summary", output: "table" },
  build: (p) => {
    const fast = { sleepMs: 0 }
    const reports = p.seeds.map((seed) => {
      const numbers = Toy.numbers({ id: `numbers/${seed}`, params: { n: p.n, seed, ...fast } })
      const clipped = Toy.clip({ id: `clip/${seed}`, params: { max: 90, ...fast }, inputs: { rows: numbers.outputs.rows } })
      const squares = Toy.square({ id: `square/${seed}`, params: { sleepMs: p.squareMs, fail: p.fail }, inputs: { rows: clipped.outputs.rows } })
      const stats = Toy.stats({ id: `stats/${seed}`, params: fast, inputs: { rows: clipped.outputs.rows } })
      return Toy.report({ id: `report/${seed}`, params: { seed, ...fast }, inputs: { squares: squares.outputs.rows, stats: stats.outputs.stats } })
    })
    return Toy.summary({ id: "summary", params: {}, inputs: { reports: reports.map((r) => r.outputs.report) } })
  }
})
