/**
 * The data shaping behind the paper's figures: the results' summary and the evaluations' metrics
 * turned into one `Sweep`, the (weak, strong, method) cells at the headline checkpoint (the one
 * chosen without ground truth) with their seed means and 95% intervals as `results` computes them
 * (stats.ts), the ceilings, zero-shot bases and supervisors per size. Every figure draws from it.
 */
import type { Artifact } from "../../../src/index.ts"
import { median } from "../../ml/results.ts"
import type { CheckpointName, Metrics, Summary } from "../../ml/tables.ts"
import type { Style } from "../vega.ts"

type Metric = Artifact.ValueOf<typeof Metrics>
type SummaryRow = Artifact.ValueOf<typeof Summary>[number]

/** The checkpoint the figures draw: the one chosen without ground truth. */
export const HEADLINE = "weak-val"

export interface Stat {
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
  /** PGR of the seed means after each epoch, epoch 0 (the base) first */
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
