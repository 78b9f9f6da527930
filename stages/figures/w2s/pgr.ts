/** PGR vs strong student size (paper Fig. 3 e, chess): naive students, a line per supervisor. */
import { type Spec, xAxis, supervisorColor, seedsNote, unreadableNote, series, pgrY, zeroRule, studentRows, titled, missing } from "./layers.ts"
import type { Sweep } from "./sweep.ts"
import { figureStage } from "./stage.ts"

export const spec = (sweep: Sweep): Spec => ({
  title: titled("Performance gap recovered by naive weak-to-strong fine-tuning", [
    ...missing(sweep, "naive", "naive fine-tuning runs (method 'naive')", "nothing to draw"),
    "PGR = (student - weak) / (ceiling - weak): 0 = no better than the supervisor,",
    "1 = as good as the ceiling trained on ground truth.",
    ...unreadableNote(sweep),
    ...seedsNote(sweep)
  ]),
  layer: [zeroRule, ...series(studentRows(sweep, "naive", (c) => c.pgr), pgrY, { x: xAxis(sweep), color: supervisorColor(sweep) })]
})

export const figure = figureStage("pgr", "PGR vs strong student size per supervisor (paper Fig. 3 e, chess)", spec, import.meta.url)
