/**
 * `toy-broken`: the toy stages wired with a chosen defect, so that the CLI's handling of broken
 * pipeline definitions can be exercised end to end (`--set defect=cycle` and so on). Its default
 * preset is a valid graph.
 */
import { Schema } from "effect"
import { Pipeline, Stage } from "../src/index.ts"
import * as Toy from "../stages/toy/index.ts"

const Defect = Schema.Literals(["none", "cycle", "duplicate-id", "type-mismatch", "unknown-node", "bad-node-params", "build-throws"])

export default Pipeline.make({
  name: "toy-broken",
  description: "Test fixture: toy stages wired with a chosen defect (--set defect=cycle ...)",
  params: Schema.Struct({ defect: Defect }),
  presets: { default: { defect: "none" } },
  defaultPreset: "default",
  build: ({ defect }) => {
    if (defect === "build-throws") throw new Error("the build function threw")
    const slow = { sleepMs: 0 }
    const numbers = Toy.numbers({ id: "numbers", params: { n: 10, seed: 1, ...slow } })
    // A cycle needs a forward reference: clip reads the output of square, which reads clip.
    const clipInput = defect === "cycle" ? Stage.ref("square", "rows", Toy.Numbers) : numbers.outputs.rows
    const clip = Toy.clip({ id: "clip", params: { max: 50, ...slow }, inputs: { rows: clipInput } })
    const square = Toy.square({ id: "square", params: { ...slow, fail: "none" }, inputs: { rows: clip.outputs.rows } })
    const stats = Toy.stats({
      id: defect === "duplicate-id" ? "square" : "stats",
      params: defect === "bad-node-params" ? { sleepMs: -5 } : slow,
      inputs: { rows: defect === "unknown-node" ? Stage.ref("nowhere", "rows", Toy.Numbers) : clip.outputs.rows }
    })
    // A type mismatch TypeScript cannot see: a reference that claims the wrong port type.
    const squares = defect === "type-mismatch" ? Stage.ref("stats", "stats", Toy.Numbers) : square.outputs.rows
    return Toy.report({ id: "report", params: { seed: 1, ...slow }, inputs: { squares, stats: stats.outputs.stats } })
  }
})
