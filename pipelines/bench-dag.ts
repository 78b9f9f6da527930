/**
 * `bench-dag`: N trivial nodes where node i reads nodes i-1 and floor(i/2), for measuring the engine's
 * overhead (`npm run bench`). `--set nodes=1000`.
 */
import { Schema } from "effect"
import { Pipeline, type Stage } from "../src/index.ts"
import * as Bench from "../stages/bench/index.ts"

export default Pipeline.make({
  name: "bench-dag",
  description: "Synthetic benchmark: N trivial nodes, node i reads i-1 and floor(i/2)",
  params: Schema.Struct({ nodes: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)) }),
  presets: { default: { nodes: 200 } },
  defaultPreset: "default",
  build: ({ nodes }) => {
    const made: Array<Stage.NodeRef<{ value: typeof Bench.Value }>> = []
    for (let i = 0; i < nodes; i++) {
      const deps = i === 0 ? [] : [...new Set([i - 1, Math.floor(i / 2)])].map((j) => made[j]!.outputs.value)
      made.push(Bench.step({ id: `step/${i}`, params: { i }, inputs: { deps } }))
    }
    return made[nodes - 1]!
  }
})
