/**
 * The Vega-Lite building blocks the paper's figures share: the log-scale size axis, colours per
 * supervisor, dashes per method, points with interval bars, the ceiling, zero-shot and supervisor
 * layers, and the subtitle lines that say what the points and bars are.
 */
import type { Cell, Stat, Sweep } from "./sweep.ts"

export type Spec = Record<string, unknown>

/** With one student size a log scale's own domain is a single point, which vega renders as NaN
 * (and labels by leftover process state): then the domain is set to a factor 2 either side. */
export const xAxis = (sweep: Sweep) => {
  const xs = [...new Set([...sweep.cells.map((c) => c.x), ...sweep.ceilings.map((c) => c.x)])].filter((x) => Number.isFinite(x) && x > 0)
  return {
    field: "x",
    type: "quantitative",
    title: sweep.xTitle,
    scale: xs.length === 1 ? { type: "log", nice: false, domain: [xs[0]! / 2, xs[0]! * 2] } : { type: "log", nice: false, padding: 24 },
    axis: { format: "~s", tickCount: 6 }
  }
}
export const supervisorColor = (sweep: Sweep) => ({
  field: "supervisor",
  type: "nominal",
  title: "weak supervisor",
  scale: { domain: sweep.supervisors.map((s) => s.supervisor) }
})
export const METHOD_ORDER = ["naive", "auxconf", "bootstrap", "noise", "noise-plausible", "naive-gt"]
export const byMethod = (methods: Iterable<string>) =>
  [...new Set(methods)].sort((a, b) => (METHOD_ORDER.indexOf(a) + 1 || 99) - (METHOD_ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b))
/** Line style per method, naive solid; the legend shows line strokes, not the points. */
export const methodDash = (methods: ReadonlyArray<string>) => ({
  field: "method",
  type: "nominal",
  title: "fine-tuning method",
  scale: { domain: byMethod(methods), range: [[1, 0], [6, 3], [2, 2], [8, 2, 2, 2], [4, 1, 1, 1], [10, 4]].slice(0, methods.length) },
  legend: { symbolType: "stroke", symbolStrokeWidth: 2, symbolSize: 400, encode: { symbols: { update: { stroke: { value: "#333" } } } } }
})
/** Two subtitle lines: what the points are, and what the bars are. */
export const seedsNote = (sweep: Sweep): Array<string> => [
  `Means over ${sweep.seeds} seed${sweep.seeds === 1 ? "" : "s"} (each its own split), students stopped on weak-labelled validation;`,
  `bars: 95% intervals (Student's t over seeds, or over pretraining runs where they serve several seeds; Fieller's for PGR; one seed: its test games); ~${sweep.n} test puzzles per seed.`
]
/** A subtitle line naming the pairs whose PGR is not drawn. */
export const unreadableNote = (sweep: Sweep): Array<string> =>
  sweep.unreadable.length ? [`PGR not drawn for ${sweep.unreadable.join(", ")}: the (ceiling - weak) interval includes 0.`] : []

/** Points with error bars and lines through them. */
export const series = (values: ReadonlyArray<object>, y: Spec, encoding: Spec, extra: Spec = {}): Array<Spec> => [
  { data: { values }, mark: { type: "rule", strokeWidth: 1.5 }, encoding: { ...encoding, y: { ...y, field: "lo" }, y2: { field: "hi" } } },
  { data: { values }, mark: { type: "line", point: { filled: true, size: 50 }, strokeWidth: 2, ...extra }, encoding: { ...encoding, y: { ...y, field: "y" } } }
]
export const statRow = (s: Stat) => ({ y: s.est, lo: s.lo, hi: s.hi })
export const accuracyY = { type: "quantitative", title: "test accuracy (top-1 move)", scale: { zero: false } }
export const pgrY = { type: "quantitative", title: "performance gap recovered (PGR)", scale: { zero: false } }
export const zeroRule: Spec = { data: { values: [{ y: 0 }] }, mark: { type: "rule", color: "#888", strokeDash: [2, 2] }, encoding: { y: { field: "y", type: "quantitative" } } }
export const ceilingLayers = (sweep: Sweep): Array<Spec> => {
  const values = sweep.ceilings.map((c) => ({ x: c.x, ...statRow(c.acc), label: "ceiling (ground truth)" }))
  return [
    ...series(values, accuracyY, { x: xAxis(sweep), color: { value: "black" } }),
    {
      data: { values: values.slice(-1) },
      mark: { type: "text", align: "right", dy: -12, fontSize: 11 },
      encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" }, text: { field: "label" } }
    }
  ]
}
/** The students' pretrained bases before fine-tuning: grey, dotted. */
export const zeroShotLayers = (sweep: Sweep): Array<Spec> =>
  series(sweep.zeroShots.map((z) => ({ x: z.x, ...statRow(z.acc) })), accuracyY, { x: xAxis(sweep), color: { value: "#888" } }, { strokeDash: [2, 3] })
export const supervisorRules = (sweep: Sweep): Spec => ({
  data: { values: sweep.supervisors.map((s) => ({ supervisor: s.supervisor, y: s.acc.est })) },
  mark: { type: "rule", strokeDash: [4, 4], strokeWidth: 1.5 },
  encoding: { y: { field: "y", type: "quantitative" }, color: supervisorColor(sweep) }
})
export const studentRows = (sweep: Sweep, method: string, pick: (c: Cell) => Stat | null) =>
  sweep.cells.filter((c) => c.method === method).flatMap((c) => {
    const s = pick(c)
    return s ? [{ x: c.x, supervisor: c.supervisor, method: c.method, pair: c.pair, ...statRow(s) }] : []
  })
export const titled = (text: string, subtitle: Array<string>) => ({ text, subtitle })
/** A subtitle line for a figure whose method is not in the sweep, so an empty plot says why. */
export const missing = (sweep: Sweep, method: string, what: string, consequence: string): Array<string> =>
  sweep.cells.some((c) => c.method === method)
    ? []
    : [`No ${what} in this sweep (methods run: ${byMethod(sweep.cells.map((c) => c.method)).join(", ") || "none"}): ${consequence}.`]
