/** Auxiliary confidence loss vs naive fine-tuning (paper Fig. 5): PGR. */
import { type Spec, xAxis, supervisorColor, methodDash, seedsNote, unreadableNote, series, pgrY, zeroRule, studentRows, titled, missing } from "./layers.ts"
import type { Sweep } from "./sweep.ts"
import { figureStage } from "./stage.ts"

export const spec = (sweep: Sweep): Spec => ({
  title: titled("Auxiliary confidence loss vs naive fine-tuning", [
    ...missing(sweep, "auxconf", "auxiliary-confidence runs (method 'auxconf')", "only naive fine-tuning is drawn"),
    "The student is also trained toward its own hardened predictions",
    "(weight ramped up to aMax over the first 20% of steps).",
    ...unreadableNote(sweep),
    ...seedsNote(sweep)
  ]),
  layer: [
    zeroRule,
    ...series(
      ["naive", "auxconf"].flatMap((m) => studentRows(sweep, m, (c) => c.pgr)),
      pgrY,
      { x: xAxis(sweep), color: supervisorColor(sweep), strokeDash: methodDash(["naive", "auxconf"]) }
    )
  ]
})

export const figure = figureStage("auxconf", "auxiliary confidence loss vs naive: PGR (paper Fig. 5)", spec, import.meta.url)
