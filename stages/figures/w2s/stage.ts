/**
 * One figure stage of the paper's figures: metrics and the results' summary in, one figure out,
 * drawn by `spec` from the sweep (`sweep.ts`) in the figures' style. Each figure's file makes its
 * own stage with its own `source`, so a figure's key follows its own file and what it imports.
 */
import { Effect, Schema } from "effect"
import { Artifact, Stage } from "../../../src/index.ts"
import { Metrics, Summary } from "../../ml/tables.ts"
import { render, Style } from "../vega.ts"
import type { Spec } from "./layers.ts"
import { summarize, type Sweep } from "./sweep.ts"

/** The stage `figure-<name>` drawing `spec`; `source` is the figure file's `import.meta.url`. */
export const figureStage = (name: string, description: string, spec: (sweep: Sweep) => Spec, source: string) =>
  Stage.make({
    name: `figure-${name}`,
    version: 2,
    source,
    description,
    params: Schema.Struct({ style: Style }),
    inputs: { metrics: Artifact.many(Metrics), summary: Summary },
    outputs: { figure: Artifact.figure(`w2s-${name}`) },
    run: ({ params, inputs }) =>
      Effect.tryPromise(async () => {
        const drawn = spec(summarize(inputs.metrics, inputs.summary, params.style.x))
        const title = (drawn.title as { text: string }).text
        return { figure: await render(title, drawn, params.style) }
      })
  })
