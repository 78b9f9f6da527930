/** Test accuracy vs strong student size (paper Fig. 3 b, chess): a line per supervisor, the supervisors, the ceiling and the students' zero-shot bases. */
import { type Spec, xAxis, supervisorColor, seedsNote, series, accuracyY, ceilingLayers, zeroShotLayers, supervisorRules, studentRows, titled, missing } from "./layers.ts"
import type { Sweep } from "./sweep.ts"
import { figureStage } from "./stage.ts"

export const spec = (sweep: Sweep): Spec => ({
  title: titled("Weak-to-strong: test accuracy vs strong student size", [
    ...missing(sweep, "naive", "naive fine-tuning runs (method 'naive')", "only supervisors and ceilings are drawn"),
    "Solid: strong students fine-tuned naively on each weak supervisor's labels.",
    "Dashed: the supervisor itself. Black: the strong ceiling, fine-tuned on ground truth.",
    "Grey dotted: the student's pretrained base, zero-shot (before any label).",
    ...seedsNote(sweep)
  ]),
  layer: [
    supervisorRules(sweep),
    ...ceilingLayers(sweep),
    ...zeroShotLayers(sweep),
    ...series(studentRows(sweep, "naive", (c) => c.accStudent), accuracyY, { x: xAxis(sweep), color: supervisorColor(sweep) })
  ]
})

export const figure = figureStage("accuracy", "test accuracy vs strong student size per supervisor (paper Fig. 3 b, chess)", spec, import.meta.url)
