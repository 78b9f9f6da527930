/**
 * The synthetic benchmark stage: trivial work and a tiny artifact, so that timing a pipeline of
 * these measures the engine's own overhead.
 */
import { Effect, Schema } from "effect"
import { Artifact, Stage } from "../../src/index.ts"

export const Value = Artifact.json("BenchValue", Schema.Struct({ i: Schema.Int, acc: Schema.Int }))

export const step = Stage.make({
  name: "bench-step",
  version: 1,
  source: import.meta.url,
  description: "adds its index to the sum of its inputs",
  params: Schema.Struct({ i: Schema.Int }),
  inputs: { deps: Artifact.many(Value) },
  outputs: { value: Value },
  run: ({ params, inputs }) =>
    Effect.succeed({ value: { i: params.i, acc: (params.i + inputs.deps.reduce((s, d) => s + d.acc, 0)) % 1_000_000_007 } })
})
