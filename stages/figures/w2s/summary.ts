/** Weak supervisor, the student's base, every method's student and the ceiling as bars, per pair (paper Fig. 2). */
import { type Spec, byMethod, seedsNote, statRow, titled } from "./layers.ts"
import type { Sweep } from "./sweep.ts"
import { figureStage } from "./stage.ts"

export const spec = (sweep: Sweep): Spec => {
  // every method run gets its bar: picking "the best" on test accuracy would be a choice made on test
  const NAMES: Record<string, string> = { naive: "naive student", auxconf: "auxconf student", bootstrap: "bootstrapped student", noise: "random-error control", "noise-plausible": "plausible-error control", "naive-gt": "naive student, setting tuned on truth" }
  const methods = byMethod(sweep.cells.map((c) => c.method))
  const kinds = ["weak supervisor", "student's base, zero-shot", ...methods.map((m) => NAMES[m] ?? m), "strong ceiling"]
  const pairs = [...new Set(sweep.cells.map((c) => c.pair))]
  const values = pairs.flatMap((pair) => {
    const cells = sweep.cells.filter((c) => c.pair === pair)
    const first = cells[0]!
    const sup = sweep.supervisors.find((s) => s.weak === first.weak)!.acc
    const ceil = sweep.ceilings.find((s) => s.strong === first.strong)!.acc
    const zero = sweep.zeroShots.find((s) => s.strong === first.strong)?.acc
    return [
      { pair, kind: kinds[0], ...statRow(sup) },
      ...(zero ? [{ pair, kind: kinds[1], ...statRow(zero) }] : []),
      ...methods.flatMap((m) => {
        const c = cells.find((x) => x.method === m)
        return c ? [{ pair, kind: NAMES[m] ?? m, ...statRow(c.accStudent) }] : []
      }),
      { pair, kind: kinds[kinds.length - 1], ...statRow(ceil) }
    ]
  })
  const enc = {
    x: { field: "pair", type: "nominal", title: "weak supervisor → strong student", sort: pairs, axis: { labelAngle: 0 } },
    xOffset: { field: "kind", type: "nominal", sort: kinds },
    color: { field: "kind", type: "nominal", title: null, sort: kinds, scale: { domain: kinds } }
  }
  return {
    title: titled("Weak, weak-to-strong and ceiling test accuracy per supervisor-student pair", [
      "Every method run, students at the checkpoint their weak-labelled validation picked.",
      ...(methods.includes("noise") ? ["Random-error control: a naive student on labels as accurate as the supervisor's, errors at random."] : []),
      ...(methods.includes("noise-plausible") ? ["Plausible-error control: the same errors' places, each wrong move drawn from the supervisor's own probabilities."] : []),
      ...seedsNote(sweep)
    ]),
    width: Math.max(320, pairs.length * 40 * kinds.length),
    layer: [
      { data: { values }, mark: { type: "bar" }, encoding: { ...enc, y: { field: "y", type: "quantitative", title: "test accuracy (top-1 move)" } } },
      { data: { values }, mark: { type: "rule", color: "#222" }, encoding: { x: enc.x, xOffset: enc.xOffset, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" } } }
    ]
  }
}

export const figure = figureStage("summary", "weak, every method's student, ceiling (paper Fig. 2)", spec, import.meta.url)
