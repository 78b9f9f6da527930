/**
 * The toy pipeline's one figure: each seed's mean of the clipped numbers, as bars, drawn by the
 * figures' Vega-Lite renderer. Only the toy's `plot` preset has it, so the engine's tests that run
 * the toy never load the renderer; the report's tests use it to show a figure.
 */
import { Effect, Schema } from "effect"
import { Artifact, Stage } from "../../src/index.ts"
import { render } from "../figures/vega.ts"
import { Summary } from "./index.ts"

const STYLE = { width: 360, height: 220, scheme: "tableau10", x: "params", scale: 1 } as const

export const plot = Stage.make({
  name: "toy-plot",
  version: 1,
  source: import.meta.url,
  description: "each seed's mean, as bars",
  params: Schema.Struct({}),
  inputs: { table: Summary },
  outputs: { figure: Artifact.figure("toy-means") },
  run: ({ inputs }) =>
    Effect.tryPromise(async () => {
      const title = "Mean of the clipped numbers per seed"
      const spec = {
        title,
        data: { values: inputs.table.map((r) => ({ seed: String(r.seed), mean: r.mean })) },
        mark: { type: "bar" },
        encoding: {
          x: { field: "seed", type: "nominal", title: "seed", axis: { labelAngle: 0 } },
          y: { field: "mean", type: "quantitative", title: "mean" }
        }
      }
      return { figure: await render(title, spec, STYLE) }
    })
})
