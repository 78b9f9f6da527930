/**
 * `figure-dial`: the latent-knowledge dial experiment. At each setting of the dial (the share of
 * engine-best pretraining targets) the student's base knows some puzzle skill it does not show: the
 * x axis is its linear probe's test accuracy less its zero-shot accuracy (ladder-knowledge); the y
 * axes are each (weak, strong) pair's PGR and its student's gain over max(weak, zero-shot), naive
 * students at the label-free headline checkpoint, with their 95% intervals. One point per (setting,
 * pair), a line per pair through its settings.
 */
import { Effect, Schema } from "effect"
import { Artifact, Stage } from "../../src/index.ts"
import { Knowledge } from "../ml/knowledge.ts"
import { Summary } from "../ml/tables.ts"
import { render, Style } from "./vega.ts"

type SummaryRow = Artifact.ValueOf<typeof Summary>[number]
type Member = Artifact.ValueOf<typeof Knowledge>[number]

export interface DialPoint {
  readonly setting: number
  readonly pair: string
  /** the student's base: probe - zero-shot (test accuracy) */
  readonly latent: number
  readonly panel: "PGR" | "student - max(weak, zero-shot)"
  readonly y: number
  readonly lo: number | null
  readonly hi: number | null
}

/** The figure's points: per setting and (weak, strong) pair of `method` at `checkpoint`, both statistics. */
export const dialPoints = (
  settings: ReadonlyArray<number>,
  summaries: ReadonlyArray<ReadonlyArray<SummaryRow>>,
  knowledge: ReadonlyArray<ReadonlyArray<Member>>,
  method: string,
  checkpoint: string
): Array<DialPoint> => {
  if (summaries.length !== settings.length || knowledge.length !== settings.length) {
    throw new Error(`${settings.length} dial settings but ${summaries.length} summaries and ${knowledge.length} knowledge tables`)
  }
  return settings.flatMap((setting, i) =>
    summaries[i]!.filter((r) => r.method === method && r.checkpoint === checkpoint).flatMap((r) => {
      const m = knowledge[i]!.find((k) => k.member === r.strong)
      if (!m) throw new Error(`dial setting ${setting}: ladder-knowledge has no member ${r.strong}`)
      const base = { setting, pair: `${r.weak} → ${r.strong}`, latent: m.accProbe - m.accZeroShot }
      const rows: Array<DialPoint> = []
      if (r.pgr !== null && r.pgrReadable) rows.push({ ...base, panel: "PGR", y: r.pgr, lo: r.pgrLo95, hi: r.pgrHi95 })
      if (r.studentMinusMaxWeakZeroShot !== null) {
        rows.push({ ...base, panel: "student - max(weak, zero-shot)", y: r.studentMinusMaxWeakZeroShot, lo: r.studentMinusMaxWeakZeroShotLo95, hi: r.studentMinusMaxWeakZeroShotHi95 })
      }
      return rows
    })
  )
}

export const dialSpec = (points: ReadonlyArray<DialPoint>, settings: ReadonlyArray<number>, checkpoint: string): Record<string, unknown> => {
  const x = { field: "latent", type: "quantitative", title: "student's base: probe - zero-shot test accuracy (knowledge not shown)", axis: { format: ".0%" } }
  const color = { field: "pair", type: "nominal", title: "supervisor → student" }
  return {
    title: {
      text: "Weak-to-strong gains against the knowledge the student's base does not show",
      subtitle: [
        `Dial settings (share of engine-best pretraining targets): ${settings.join(", ")}; naive students at the ${checkpoint} checkpoint (no ground truth).`,
        "Bars: 95% intervals (results' per-comparison intervals); PGR drawn only where the (ceiling - weak) interval lies above 0."
      ]
    },
    data: { values: points },
    facet: { row: { field: "panel", type: "nominal", title: null } },
    resolve: { scale: { y: "independent" } },
    spec: {
      layer: [
        { mark: { type: "rule", color: "#888", strokeDash: [2, 2] }, encoding: { y: { datum: 0 } } },
        { transform: [{ filter: "datum.lo != null && datum.hi != null" }], mark: { type: "rule", strokeWidth: 1.5 }, encoding: { x, y: { field: "lo", type: "quantitative", title: null }, y2: { field: "hi" }, color } },
        {
          mark: { type: "line", point: { filled: true, size: 50 }, strokeWidth: 2 },
          encoding: { x, y: { field: "y", type: "quantitative", title: null, scale: { zero: false } }, color, order: { field: "latent", type: "quantitative" } }
        }
      ]
    }
  }
}

export const figureDial = Stage.make({
  name: "figure-dial",
  version: 1,
  source: import.meta.url,
  description: "PGR and the gain over max(weak, zero-shot) against the student base's probe - zero-shot, across dial settings",
  params: Schema.Struct({
    /** the dial settings, in the order of the inputs */
    settings: Schema.Array(Schema.Number),
    checkpoint: Schema.String,
    style: Style
  }),
  inputs: { summaries: Artifact.many(Summary), knowledge: Artifact.many(Knowledge) },
  outputs: { figure: Artifact.figure("w2s-dial") },
  run: ({ params, inputs }) =>
    Effect.tryPromise(async () => {
      const points = dialPoints(params.settings, inputs.summaries, inputs.knowledge, "naive", params.checkpoint)
      const spec = dialSpec(points, params.settings, params.checkpoint)
      return { figure: await render((spec.title as { text: string }).text, spec, params.style) }
    })
})
