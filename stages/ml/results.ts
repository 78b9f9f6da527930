/**
 * `results`: every evaluation as rows, one per (weak size, strong size, method, seed, student
 * checkpoint), and a summary per (weak, strong, method, checkpoint): the seed means of the
 * accuracies, of (student - weak), (ceiling - weak), PGR, the student's gain over the better of its
 * supervisor and its own zero-shot base, and the agreement rates, each with a 95% interval from the
 * hierarchical paired bootstrap over seeds and test puzzles (stats.ts), computed from the exported
 * per-puzzle predictions; `checkpoints`, the three student checkpoints side by side; and `methods`,
 * each method's student against the naive one (paired, same bootstrap). PGR is
 * marked readable only where the (ceiling - weak) interval lies above 0; an interval end that is
 * unbounded (PGR past a gap of 0) is null.
 */
import { Effect, Schema } from "effect"
import { Artifact, Stage } from "../../src/index.ts"
import { bootstrap, type Outcomes, outcome, type Statistic } from "./stats.ts"
import { type CheckpointName, CheckpointNames, checkpointSuffix, Checkpoints, MethodComparisons, Metrics, Predictions, Results, Summary, SummaryStatistics } from "./tables.ts"

/** The median (NaN for no values). */
export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export const REPLICATES = 2000
const INTERVAL = (seeds: number) =>
  seeds > 1
    ? `95% percentile interval, hierarchical paired bootstrap: ${seeds} seeds resampled (seed level shrunk, Davison-Hinkley), then test puzzles within each seed, ${REPLICATES} replicates`
    : `95% percentile interval, paired bootstrap of the test puzzles (one seed: its training variation is not covered), ${REPLICATES} replicates`

type Prediction = Artifact.ValueOf<typeof Predictions>[number]
/** The predictions column of a checkpoint's student: studentFinal, studentWeakVal, studentOracleTest. */
const studentColumn = (c: CheckpointName) => `student${checkpointSuffix[c]}` as const

/** One seed's outcomes for one student checkpoint, from its predictions table. */
export const outcomesOf = (rows: ReadonlyArray<Prediction>, checkpoint: CheckpointName): Outcomes => {
  const col = studentColumn(checkpoint)
  return Uint8Array.from(rows, (r) =>
    outcome({ weak: r.weak === r.truth, student: r[col] === r.truth, ceiling: r.ceiling === r.truth, zero: r.zeroShot === r.truth, agree: r[col] === r.weak }))
}

const column: Record<(typeof SummaryStatistics)[number], Statistic> = {
  accWeak: "accWeak",
  accStudent: "accStudent",
  accCeiling: "accCeiling",
  accZeroShot: "accZeroShot",
  studentMinusWeak: "gain",
  ceilingMinusWeak: "gap",
  pgr: "pgr",
  studentMinusMaxWeakZeroShot: "gainOverBest",
  agreeWhenWeakRight: "agreeWhenWeakRight",
  agreeWhenWeakWrong: "agreeWhenWeakWrong"
}
const finite = (x: number) => (Number.isFinite(x) ? x : null)

export const results = Stage.make({
  name: "results",
  version: 2,
  source: import.meta.url,
  description: "all evaluations as rows, and seed means with hierarchical-bootstrap intervals",
  params: Schema.Struct({}),
  inputs: { metrics: Artifact.many(Metrics), predictions: Artifact.many(Predictions) },
  outputs: { rows: Results, summary: Summary, checkpoints: Checkpoints, methods: MethodComparisons },
  run: ({ inputs, progress }) =>
    Effect.sync(() => {
      if (inputs.metrics.length !== inputs.predictions.length) throw new Error(`${inputs.metrics.length} metrics but ${inputs.predictions.length} prediction tables`)
      const rows = inputs.metrics.flatMap((m) =>
        m.checkpoints.map((c) => ({
          weak: m.weak, strong: m.strong, method: m.method, seed: m.seed, checkpoint: c.name, epoch: c.epoch, n: m.n,
          accWeak: m.accWeak, accStudent: c.accStudent, accCeiling: m.accCeiling, accZeroShot: m.accZeroShot,
          pgr: c.pgr, strongParams: m.strongParams, strongFlops: m.strongFlops
        }))
      )
      const groups = new Map<string, Array<number>>()
      inputs.metrics.forEach((m, i) => {
        const k = `${m.weak}\u0000${m.strong}\u0000${m.method}`
        groups.set(k, [...(groups.get(k) ?? []), i])
      })
      const summary: Array<Record<string, any>> = []
      let done = 0
      for (const idx of groups.values()) {
        const first = inputs.metrics[idx[0]!]!
        for (const checkpoint of CheckpointNames) {
          const b = bootstrap(idx.map((i) => outcomesOf(inputs.predictions[i]!, checkpoint)), { replicates: REPLICATES, seed: 1 })
          const row: Record<string, any> = {
            weak: first.weak,
            strong: first.strong,
            method: first.method,
            checkpoint,
            seeds: idx.length,
            puzzles: idx.reduce((s, i) => s + inputs.metrics[i]!.n, 0),
            meanEpoch: idx.reduce((s, i) => s + inputs.metrics[i]!.checkpoints.find((c) => c.name === checkpoint)!.epoch, 0) / idx.length
          }
          for (const k of SummaryStatistics) {
            const v = b[column[k]]
            row[k] = finite(v.est)
            row[`${k}Lo95`] = finite(v.lo)
            row[`${k}Hi95`] = finite(v.hi)
          }
          row.pgrReadable = b.gap.lo > 0
          row.interval = INTERVAL(idx.length)
          summary.push(row)
        }
        progress({ done: ++done, total: groups.size, unit: "groups" })
      }
      // the checkpoints side by side
      const side = new Map<string, Record<string, unknown>>()
      for (const row of summary) {
        const k = `${row.weak}\u0000${row.strong}\u0000${row.method}`
        const out: Record<string, unknown> = side.get(k) ?? { weak: row.weak, strong: row.strong, method: row.method, seeds: row.seeds, accWeak: row.accWeak, accCeiling: row.accCeiling, pgrReadable: row.pgrReadable }
        const sfx = checkpointSuffix[row.checkpoint as CheckpointName]
        for (const stat of ["accStudent", "pgr"]) for (const b of ["", "Lo95", "Hi95"]) out[`${stat}${sfx}${b}`] = row[`${stat}${b}`]
        side.set(k, out)
      }
      // every method against naive on the same (weak, strong) and seeds, paired puzzle by puzzle
      const methods: Array<Record<string, unknown>> = []
      const key = (m: (typeof inputs.metrics)[number]) => `${m.weak}\u0000${m.strong}\u0000${m.method}`
      for (const idx of groups.values()) {
        const first = inputs.metrics[idx[0]!]!
        if (first.method === "naive") continue
        const naive = groups.get(key({ ...first, method: "naive" }))
        if (!naive) continue
        const pairs = idx.flatMap((i) => {
          const j = naive.find((k) => inputs.metrics[k]!.seed === inputs.metrics[i]!.seed)
          return j === undefined ? [] : [[i, j] as const]
        })
        if (pairs.length === 0) continue
        for (const checkpoint of CheckpointNames) {
          const col = studentColumn(checkpoint)
          const seeds = pairs.map(([i, j]) => {
            const a = inputs.predictions[i]!, b = inputs.predictions[j]!
            if (a.length !== b.length || a.some((r, k) => r.fen !== b[k]!.fen)) throw new Error(`the ${first.method} and naive evaluations of seed ${inputs.metrics[i]!.seed} scored different test puzzles`)
            // naive in the "weak" bit, the method in the "student" bit: gain = method - naive
            return Uint8Array.from(a, (r, k) => outcome({ weak: b[k]![col] === r.truth, student: r[col] === r.truth, ceiling: false, zero: false, agree: false }))
          })
          const b = bootstrap(seeds, { replicates: REPLICATES, seed: 1 })
          methods.push({
            weak: first.weak, strong: first.strong, method: first.method, versus: "naive", checkpoint, seeds: pairs.length,
            accMethod: finite(b.accStudent.est), accVersus: finite(b.accWeak.est),
            methodMinusVersus: finite(b.gain.est), methodMinusVersusLo95: finite(b.gain.lo), methodMinusVersusHi95: finite(b.gain.hi)
          })
        }
      }
      return {
        rows,
        methods: methods as unknown as Artifact.ValueOf<typeof MethodComparisons>,
        summary: summary as unknown as Artifact.ValueOf<typeof Summary>,
        checkpoints: [...side.values()] as unknown as Artifact.ValueOf<typeof Checkpoints>
      }
    })
})
