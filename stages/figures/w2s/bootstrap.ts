/** Bootstrapping through intermediate sizes vs naive fine-tuning (paper Fig. 4): accuracy and PGR. */
import { type Spec, xAxis, supervisorColor, methodDash, seedsNote, unreadableNote, series, accuracyY, pgrY, zeroRule, ceilingLayers, studentRows, titled } from "./layers.ts"
import type { Cell, Stat, Sweep } from "./sweep.ts"
import { figureStage } from "./stage.ts"

export const spec = (sweep: Sweep): Spec => {
  const pairs = new Set(sweep.cells.filter((c) => c.method === "bootstrap").map((c) => c.pair))
  const rows = (pick: (c: Cell) => Stat | null) =>
    ["naive", "bootstrap"].flatMap((m) => studentRows(sweep, m, pick).filter((r) => pairs.has(r.pair)))
  const enc = { x: xAxis(sweep), color: supervisorColor(sweep), strokeDash: methodDash(["naive", "bootstrap"]) }
  return {
    title: titled("Bootstrapping through intermediate sizes vs naive fine-tuning", [
      pairs.size
        ? "Bootstrapping: the supervisor labels fresh puzzles for the next ladder size, which then labels for the next, up to the student."
        : "No bootstrapped runs in this sweep (method 'bootstrap' needs a ladder size between supervisor and student).",
      ...unreadableNote(sweep),
      ...seedsNote(sweep)
    ]),
    hconcat: [
      { title: "test accuracy", layer: [...ceilingLayers(sweep), ...series(rows((c) => c.accStudent), accuracyY, enc)] },
      { title: "PGR", layer: [zeroRule, ...series(rows((c) => c.pgr), pgrY, enc)] }
    ]
  }
}

export const figure = figureStage("bootstrap", "bootstrapping vs naive: accuracy and PGR (paper Fig. 4)", spec, import.meta.url)
