/** Student-supervisor agreement where the supervisor is right / wrong (paper Fig. 8). */
import { type Spec, xAxis, supervisorColor, byMethod, methodDash, seedsNote, series, studentRows, titled } from "./layers.ts"
import type { Cell, Stat, Sweep } from "./sweep.ts"
import { figureStage } from "./stage.ts"

export const spec = (sweep: Sweep): Spec => {
  const methods = byMethod(sweep.cells.map((c) => c.method))
  const panel = (title: string, pick: (c: Cell) => Stat | null) => ({
    title,
    layer: series(
      methods.flatMap((m) => studentRows(sweep, m, pick)),
      { type: "quantitative", title: "student agrees with supervisor", scale: { domain: [0, 1] }, axis: { format: "%" } },
      { x: xAxis(sweep), color: supervisorColor(sweep), strokeDash: methodDash(methods) }
    )
  })
  return {
    title: titled("Student-supervisor agreement on the test puzzles", [
      "Left: puzzles the supervisor solves; right: puzzles it gets wrong,",
      "where agreeing means copying the supervisor's mistake.",
      ...seedsNote(sweep)
    ]),
    hconcat: [panel("supervisor right", (c) => c.agreeRight), panel("supervisor wrong", (c) => c.agreeWrong)]
  }
}

export const figure = figureStage("agreement", "student-supervisor agreement, supervisor right / wrong (paper Fig. 8)", spec, import.meta.url)
