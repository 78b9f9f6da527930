/**
 * The paper's figures (Burns et al. 2023) drawn from the results' summary and the evaluations: one
 * stage per figure, so a figure re-renders only when its inputs or its style change. Points are seed
 * means at the student checkpoint that weak-labelled validation picked (no ground truth involved),
 * bars their 95% intervals as `results` computes them (stats.ts); PGR is drawn only
 * where the (ceiling - weak) interval lies above 0, and each figure names the pairs left out.
 *
 *   figure-accuracy   test accuracy vs strong student size, a line per supervisor (Fig. 3 b, chess)
 *   figure-pgr        PGR vs strong student size, a line per supervisor (Fig. 3 e, chess)
 *   figure-bootstrap  bootstrapping vs naive fine-tuning, accuracy and PGR (Fig. 4)
 *   figure-auxconf    auxiliary confidence loss vs naive, PGR (Fig. 5)
 *   figure-agreement  student-supervisor agreement when the supervisor is right / wrong (Fig. 8)
 *   figure-summary    weak, each method's student, ceiling as bars (Fig. 2)
 *   figure-epochs     PGR after each fine-tuning epoch: overfitting to weak labels (Fig. 6 style)
 */
import { Effect, Schema } from "effect"
import { Artifact, Stage } from "../../src/index.ts"
import { median } from "../ml/results.ts"
import { type CheckpointName, Metrics, Summary } from "../ml/tables.ts"
import { render, Style } from "./vega.ts"

type Metric = Artifact.ValueOf<typeof Metrics>
type SummaryRow = Artifact.ValueOf<typeof Summary>[number]

/** The checkpoint the figures draw: the one chosen without ground truth. */
export const HEADLINE = "weak-val"

interface Stat {
  readonly est: number
  readonly lo: number
  readonly hi: number
}
const stat = (row: SummaryRow, k: "accWeak" | "accStudent" | "accCeiling" | "accZeroShot" | "pgr" | "agreeWhenWeakRight" | "agreeWhenWeakWrong"): Stat | null => {
  const r = row as unknown as Record<string, number | null>
  const est = r[k], lo = r[`${k}Lo95`], hi = r[`${k}Hi95`]
  return est == null || lo == null || hi == null ? null : { est, lo, hi }
}

/** 52000 -> "52k", 2.8e6 -> "2.8M", 3.1e12 -> "3.1T" */
export const si = (x: number): string => {
  const units: Array<[number, string]> = [[1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]]
  for (const [v, u] of units) if (Math.abs(x) >= v) return `${Number((x / v).toPrecision(2))}${u}`
  return String(Number(x.toPrecision(2)))
}

/** One (weak, strong, method) cell of the sweep, summarised over seeds. */
export interface Cell {
  readonly weak: string
  readonly strong: string
  readonly method: string
  readonly supervisor: string
  readonly pair: string
  readonly x: number
  readonly seeds: number
  readonly accWeak: number
  readonly accCeiling: number
  readonly accStudent: Stat
  /** null where the (ceiling - weak) interval includes 0 */
  readonly pgr: Stat | null
  readonly agreeRight: Stat | null
  readonly agreeWrong: Stat | null
  /** PGR of the seed means at each checkpoint, epoch 0 (the base) first */
  readonly pgrByEpoch: ReadonlyArray<number | null>
  /**
   * the checkpoints' positions in epochs (fractions inside the first), aligned with `pgrByEpoch`:
   * the mean over seeds (a seed's steps per epoch, so its fractions, depend on its split's size)
   */
  readonly epochs: ReadonlyArray<number>
  /** the checkpoints each rule picked, one per seed: its index (into `pgrByEpoch`) and its position in that seed */
  readonly picked: ReadonlyArray<{ readonly rule: Exclude<CheckpointName, "final">; readonly index: number; readonly epoch: number }>
}

export interface Sweep {
  readonly cells: ReadonlyArray<Cell>
  /** per strong size: x and the ceiling's accuracy over seeds */
  readonly ceilings: ReadonlyArray<{ strong: string; x: number; acc: Stat }>
  /** per strong size: its pretrained base's zero-shot accuracy over seeds (what the student knew before any label) */
  readonly zeroShots: ReadonlyArray<{ strong: string; x: number; acc: Stat }>
  /** per weak size: its own test accuracy over seeds */
  readonly supervisors: ReadonlyArray<{ weak: string; supervisor: string; acc: Stat }>
  /** pairs whose (ceiling - weak) interval includes 0: PGR not drawn */
  readonly unreadable: ReadonlyArray<string>
  readonly seeds: number
  readonly n: number
  readonly xTitle: string
}

const groupBy = <A>(xs: ReadonlyArray<A>, key: (a: A) => string): Map<string, Array<A>> => {
  const m = new Map<string, Array<A>>()
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x])
  return m
}

const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / xs.length

/** The sweep's cells at the headline checkpoint, in a stable order. */
export const summarize = (metrics: ReadonlyArray<Metric>, summary: ReadonlyArray<SummaryRow>, x: Style["x"]): Sweep => {
  const byStrong = groupBy(metrics, (m) => m.strong)
  const xOf = new Map([...byStrong].map(([s, ms]) => [s, x === "params" ? ms[0]!.strongParams : median(ms.map((m) => m.strongFlops))]))
  const weakParams = new Map(metrics.map((m) => [m.weak, m.weakParams]))
  const supervisor = (w: string) => `${w} (${si(weakParams.get(w)!)} params)`
  const evals = groupBy(metrics, (m) => `${m.weak}\u0000${m.strong}\u0000${m.method}`)
  const rows = summary.filter((r) => r.checkpoint === HEADLINE)
  const cells = rows.map((r): Cell => {
    const g = evals.get(`${r.weak}\u0000${r.strong}\u0000${r.method}`) ?? []
    const epochs = Math.max(0, ...g.map((m) => m.pgrByEpoch.length))
    const positions = Array.from({ length: epochs }, (_, e) => mean(g.flatMap((m) => (m.epochs[e] === undefined ? [] : [m.epochs[e]!]))))
    return {
      weak: r.weak,
      strong: r.strong,
      method: r.method,
      supervisor: supervisor(r.weak),
      pair: `${r.weak} → ${r.strong}`,
      x: xOf.get(r.strong)!,
      seeds: r.seeds,
      accWeak: r.accWeak ?? Number.NaN,
      accCeiling: r.accCeiling ?? Number.NaN,
      accStudent: stat(r, "accStudent")!,
      pgr: r.pgrReadable ? stat(r, "pgr") : null,
      agreeRight: stat(r, "agreeWhenWeakRight"),
      agreeWrong: stat(r, "agreeWhenWeakWrong"),
      // PGR of the seed means at each epoch, as the headline PGR is of the seed means
      pgrByEpoch: Array.from({ length: epochs }, (_, e) => {
        const at = g.filter((m) => m.accByEpoch[e] !== undefined)
        if (at.length === 0) return null
        const w = mean(at.map((m) => m.accWeak)), c = mean(at.map((m) => m.accCeiling)), a = mean(at.map((m) => m.accByEpoch[e]!))
        return c > w ? (a - w) / (c - w) : null
      }),
      epochs: positions,
      picked: g.flatMap((m) => m.checkpoints.flatMap((c) => (c.name === "final" ? [] : [{ rule: c.name, index: m.epochs.indexOf(c.epoch), epoch: c.epoch }])))
    }
  }).sort((a, b) => a.x - b.x || a.weak.localeCompare(b.weak) || a.method.localeCompare(b.method))
  // The ceiling and the supervisor do not depend on the method: the first row of each stands for all.
  const ceilings = [...groupBy(rows, (r) => r.strong)].map(([strong, rs]) => ({ strong, x: xOf.get(strong)!, acc: stat(rs[0]!, "accCeiling")! }))
    .sort((a, b) => a.x - b.x)
  const zeroShots = [...groupBy(rows, (r) => r.strong)].flatMap(([strong, rs]) => {
    const acc = stat(rs[0]!, "accZeroShot")
    return acc ? [{ strong, x: xOf.get(strong)!, acc }] : []
  }).sort((a, b) => a.x - b.x)
  const supervisors = [...groupBy(rows, (r) => r.weak)].map(([weak, rs]) => ({ weak, supervisor: supervisor(weak), acc: stat(rs[0]!, "accWeak")! }))
    .sort((a, b) => weakParams.get(a.weak)! - weakParams.get(b.weak)!)
  return {
    cells,
    ceilings,
    zeroShots,
    supervisors,
    unreadable: [...new Set(rows.filter((r) => !r.pgrReadable).map((r) => `${r.weak} → ${r.strong}`))],
    seeds: new Set(metrics.map((m) => m.seed)).size,
    n: metrics.length ? Math.round(mean(metrics.map((m) => m.n))) : 0,
    xTitle: x === "params" ? "strong student parameters (log scale)" : "strong student training compute, FLOPs incl. pretraining (log scale)"
  }
}

// ---------------------------------------------------------------------------------------------
// Vega-Lite building blocks
// ---------------------------------------------------------------------------------------------

type Spec = Record<string, unknown>

/** With one student size a log scale's own domain is a single point, which vega renders as NaN
 * (and labels by leftover process state): then the domain is set to a factor 2 either side. */
const xAxis = (sweep: Sweep) => {
  const xs = [...new Set([...sweep.cells.map((c) => c.x), ...sweep.ceilings.map((c) => c.x)])].filter((x) => Number.isFinite(x) && x > 0)
  return {
    field: "x",
    type: "quantitative",
    title: sweep.xTitle,
    scale: xs.length === 1 ? { type: "log", nice: false, domain: [xs[0]! / 2, xs[0]! * 2] } : { type: "log", nice: false, padding: 24 },
    axis: { format: "~s", tickCount: 6 }
  }
}
const supervisorColor = (sweep: Sweep) => ({
  field: "supervisor",
  type: "nominal",
  title: "weak supervisor",
  scale: { domain: sweep.supervisors.map((s) => s.supervisor) }
})
const METHOD_ORDER = ["naive", "auxconf", "bootstrap", "noise", "noise-plausible"]
const byMethod = (methods: Iterable<string>) =>
  [...new Set(methods)].sort((a, b) => (METHOD_ORDER.indexOf(a) + 1 || 99) - (METHOD_ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b))
/** Line style per method, naive solid; the legend shows line strokes, not the points. */
const methodDash = (methods: ReadonlyArray<string>) => ({
  field: "method",
  type: "nominal",
  title: "fine-tuning method",
  scale: { domain: byMethod(methods), range: [[1, 0], [6, 3], [2, 2], [8, 2, 2, 2], [4, 1, 1, 1]].slice(0, methods.length) },
  legend: { symbolType: "stroke", symbolStrokeWidth: 2, symbolSize: 400, encode: { symbols: { update: { stroke: { value: "#333" } } } } }
})
/** Two subtitle lines: what the points are, and what the bars are. */
const seedsNote = (sweep: Sweep): Array<string> => [
  `Means over ${sweep.seeds} seed${sweep.seeds === 1 ? "" : "s"} (each its own split), students stopped on weak-labelled validation;`,
  `bars: 95% intervals (Student's t over seeds, or over pretraining runs where they serve several seeds; Fieller's for PGR; one seed: its test games); ~${sweep.n} test puzzles per seed.`
]
/** A subtitle line naming the pairs whose PGR is not drawn. */
const unreadableNote = (sweep: Sweep): Array<string> =>
  sweep.unreadable.length ? [`PGR not drawn for ${sweep.unreadable.join(", ")}: the (ceiling - weak) interval includes 0.`] : []

/** Points with error bars and lines through them. */
const series = (values: ReadonlyArray<object>, y: Spec, encoding: Spec, extra: Spec = {}): Array<Spec> => [
  { data: { values }, mark: { type: "rule", strokeWidth: 1.5 }, encoding: { ...encoding, y: { ...y, field: "lo" }, y2: { field: "hi" } } },
  { data: { values }, mark: { type: "line", point: { filled: true, size: 50 }, strokeWidth: 2, ...extra }, encoding: { ...encoding, y: { ...y, field: "y" } } }
]
const statRow = (s: Stat) => ({ y: s.est, lo: s.lo, hi: s.hi })
const accuracyY = { type: "quantitative", title: "test accuracy (top-1 move)", scale: { zero: false } }
const pgrY = { type: "quantitative", title: "performance gap recovered (PGR)", scale: { zero: false } }
const zeroRule: Spec = { data: { values: [{ y: 0 }] }, mark: { type: "rule", color: "#888", strokeDash: [2, 2] }, encoding: { y: { field: "y", type: "quantitative" } } }
const ceilingLayers = (sweep: Sweep): Array<Spec> => {
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
const zeroShotLayers = (sweep: Sweep): Array<Spec> =>
  series(sweep.zeroShots.map((z) => ({ x: z.x, ...statRow(z.acc) })), accuracyY, { x: xAxis(sweep), color: { value: "#888" } }, { strokeDash: [2, 3] })
const supervisorRules = (sweep: Sweep): Spec => ({
  data: { values: sweep.supervisors.map((s) => ({ supervisor: s.supervisor, y: s.acc.est })) },
  mark: { type: "rule", strokeDash: [4, 4], strokeWidth: 1.5 },
  encoding: { y: { field: "y", type: "quantitative" }, color: supervisorColor(sweep) }
})
const studentRows = (sweep: Sweep, method: string, pick: (c: Cell) => Stat | null) =>
  sweep.cells.filter((c) => c.method === method).flatMap((c) => {
    const s = pick(c)
    return s ? [{ x: c.x, supervisor: c.supervisor, method: c.method, pair: c.pair, ...statRow(s) }] : []
  })
const titled = (text: string, subtitle: Array<string>) => ({ text, subtitle })
/** A subtitle line for a figure whose method is not in the sweep, so an empty plot says why. */
const missing = (sweep: Sweep, method: string, what: string, consequence: string): Array<string> =>
  sweep.cells.some((c) => c.method === method)
    ? []
    : [`No ${what} in this sweep (methods run: ${byMethod(sweep.cells.map((c) => c.method)).join(", ") || "none"}): ${consequence}.`]

// ---------------------------------------------------------------------------------------------
// The figures
// ---------------------------------------------------------------------------------------------

export const specs = {
  accuracy: (sweep: Sweep): Spec => ({
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
  }),
  pgr: (sweep: Sweep): Spec => ({
    title: titled("Performance gap recovered by naive weak-to-strong fine-tuning", [
      ...missing(sweep, "naive", "naive fine-tuning runs (method 'naive')", "nothing to draw"),
      "PGR = (student - weak) / (ceiling - weak): 0 = no better than the supervisor,",
      "1 = as good as the ceiling trained on ground truth.",
      ...unreadableNote(sweep),
      ...seedsNote(sweep)
    ]),
    layer: [zeroRule, ...series(studentRows(sweep, "naive", (c) => c.pgr), pgrY, { x: xAxis(sweep), color: supervisorColor(sweep) })]
  }),
  bootstrap: (sweep: Sweep): Spec => {
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
  },
  auxconf: (sweep: Sweep): Spec => ({
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
  }),
  agreement: (sweep: Sweep): Spec => {
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
  },
  summary: (sweep: Sweep): Spec => {
    // every method run gets its bar: picking "the best" on test accuracy would be a choice made on test
    const NAMES: Record<string, string> = { naive: "naive student", auxconf: "auxconf student", bootstrap: "bootstrapped student", noise: "random-error control", "noise-plausible": "plausible-error control" }
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
  },
  epochs: (sweep: Sweep): Spec => {
    const cells = sweep.cells.filter((c) => (c.method === "naive" || c.method === "auxconf") && c.pgr !== null)
    const values = cells.flatMap((c) =>
      c.pgrByEpoch.flatMap((p, e) => (p === null ? [] : [{ epoch: c.epochs[e] ?? e, y: p, pair: c.pair, method: c.method }]))
    )
    const RULES = {
      "weak-val": "picked by weak-labelled validation",
      disagreement: "picked by confident disagreement",
      "pool-agreement": "picked by agreement with the base-supervisor pool",
      "oracle-test": "best on test (oracle)"
    }
    const picks = cells.flatMap((c) =>
      c.picked.flatMap((p) => {
        const y = c.pgrByEpoch[p.index]
        return y == null ? [] : [{ epoch: c.epochs[p.index]!, y, pair: c.pair, method: c.method, rule: RULES[p.rule] }]
      })
    )
    const methods = byMethod(values.map((v) => v.method))
    const x = { field: "epoch", type: "quantitative", title: "fine-tuning epochs (0 = the pretrained base; checkpoints inside the first)" }
    return {
      title: titled("PGR after each epoch of fine-tuning on weak labels", [
        "A curve that falls with epochs means the student is learning its supervisor's mistakes.",
        "Triangles, diamonds, crosses: the checkpoints three label-free stopping rules picked (no ground truth);",
        "squares: the best test checkpoint, an oracle no real user has. One mark per seed.",
        ...unreadableNote(sweep),
        `Seed means over ${sweep.seeds} seed${sweep.seeds === 1 ? "" : "s"}; ~${sweep.n} test puzzles per seed.`
      ]),
      layer: [
        zeroRule,
        {
          data: { values },
          mark: { type: "line", point: { filled: true, size: 30 }, strokeWidth: 2 },
          encoding: {
            x,
            y: { field: "y", ...pgrY },
            color: { field: "pair", type: "nominal", title: "supervisor → student" },
            strokeDash: methodDash(methods)
          }
        },
        {
          data: { values: picks },
          mark: { type: "point", filled: false, size: 140, strokeWidth: 2 },
          encoding: {
            x,
            y: { field: "y", type: "quantitative" },
            color: { field: "pair", type: "nominal" },
            shape: { field: "rule", type: "nominal", title: "checkpoint", scale: { domain: Object.values(RULES), range: ["triangle-up", "diamond", "cross", "square"] } }
          }
        }
      ]
    }
  }
} satisfies Record<string, (sweep: Sweep) => Spec>

export type FigureName = keyof typeof specs

const figureStage = (name: FigureName, description: string) =>
  Stage.make({
    name: `figure-${name}`,
    version: 2,
    source: import.meta.url,
    description,
    params: Schema.Struct({ style: Style }),
    inputs: { metrics: Artifact.many(Metrics), summary: Summary },
    outputs: { figure: Artifact.figure(`w2s-${name}`) },
    run: ({ params, inputs }) =>
      Effect.tryPromise(async () => {
        const spec = specs[name](summarize(inputs.metrics, inputs.summary, params.style.x))
        const title = (spec.title as { text: string }).text
        return { figure: await render(title, spec, params.style) }
      })
  })

export const figures = {
  accuracy: figureStage("accuracy", "test accuracy vs strong student size per supervisor (paper Fig. 3 b, chess)"),
  pgr: figureStage("pgr", "PGR vs strong student size per supervisor (paper Fig. 3 e, chess)"),
  bootstrap: figureStage("bootstrap", "bootstrapping vs naive: accuracy and PGR (paper Fig. 4)"),
  auxconf: figureStage("auxconf", "auxiliary confidence loss vs naive: PGR (paper Fig. 5)"),
  agreement: figureStage("agreement", "student-supervisor agreement, supervisor right / wrong (paper Fig. 8)"),
  summary: figureStage("summary", "weak, every method's student, ceiling (paper Fig. 2)"),
  epochs: figureStage("epochs", "PGR per fine-tuning epoch")
} as const
