/**
 * `results`: every evaluation as rows, one per (weak size, strong size, method, seed, student
 * checkpoint), and a summary per (weak, strong, method, checkpoint): the seed means of the
 * accuracies, of (student - weak), (ceiling - weak), PGR, the student's gain over the better of its
 * supervisor and its own zero-shot base, and the agreement rates, each with a 95% interval (stats.ts:
 * t over seeds, Fieller for PGR; one seed: its test games), computed from the exported per-puzzle
 * predictions with their games; `checkpoints`, the student checkpoints side by side, the label-free
 * baselines (zero-shot, the pool of base and supervisor), and per stopping rule (and the final
 * checkpoint) the regret against the test oracle (biased upward, the oracle being the best of the
 * test readings); and `methods`, each method's student against the naive one (paired, same
 * puzzles), and each student against the label-free pool of its base and supervisor. Families of
 * claims are adjusted (families.ts): per checkpoint, every student's gain over max(weak, zero-shot),
 * every method against naive, and every student against the pool; per rule, every cell's regret. PGR is marked readable only where the (ceiling -
 * weak) interval lies above 0; an interval end that is unbounded (PGR past a gap of 0) is null.
 */
import { Effect, Schema } from "effect"
import { Artifact, Stage } from "../../src/index.ts"
import { adjust } from "./families.ts"
import { replicateOf } from "./replicates.ts"
import { intervals, type Interval, outcome, type SeedOutcomes, type Statistic } from "./stats.ts"
import { type CheckpointName, CheckpointNames, checkpointSuffix, Checkpoints, MethodComparisons, Metrics, Predictions, RegretOf, Results, Summary, SummaryStatistics } from "./tables.ts"

/** The median (NaN for no values). */
export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const INTERVAL = (seeds: number, runs: number) =>
  runs > 1 && runs < seeds
    ? `95% interval: Student's t over ${runs} pretraining runs' means of ${seeds} seeds (${runs - 1} df), Fieller's for PGR; paired, the same test puzzles for every model`
    : seeds > 1
    ? `95% interval: Student's t over ${seeds} seeds (${seeds - 1} df), Fieller's for PGR; paired, the same test puzzles for every model${runs === 1 ? "; one pretraining run shared by every seed (another run is not covered)" : ""}`
    : `95% interval from one seed's test games (cluster-robust, t on games - 1 df; its training variation is not covered); paired`

/** The names of the families of claims, per checkpoint. */
export const FAMILY = {
  gainOverBest: (checkpoint: string) => `student - max(weak, zero-shot), ${checkpoint} checkpoint`,
  methods: (checkpoint: string) => `method - naive, ${checkpoint} checkpoint`,
  /** every student against the label-free pool of its base and supervisor (added after the final run's reading: exploratory) */
  pool: (checkpoint: string) => `student - pool, ${checkpoint} checkpoint`,
  /** the test oracle's checkpoint is the best of the test readings, so a regret is biased upward */
  regret: (checkpoint: string) => `stopping regret: oracle-test - ${checkpoint}`
} as const

type Prediction = Artifact.ValueOf<typeof Predictions>[number]
/** The predictions column of a checkpoint's student: studentFinal, studentWeakVal, studentOracleTest. */
const studentColumn = (c: CheckpointName) => `student${checkpointSuffix[c]}` as const

/** One seed's outcomes for one student checkpoint, with each puzzle's game, from its predictions table. */
export const outcomesOf = (rows: ReadonlyArray<Prediction>, checkpoint: CheckpointName): SeedOutcomes => {
  const col = studentColumn(checkpoint)
  return {
    outcomes: Uint8Array.from(rows, (r) =>
      outcome({ weak: r.weak === r.truth, student: r[col] === r.truth, ceiling: r.ceiling === r.truth, zero: r.zeroShot === r.truth, agree: r[col] === r.weak })),
    games: Int32Array.from(rows, (r) => r.game)
  }
}

/** The statistics whose variance is split into puzzles and seeds in the summary. */
export const COMPONENTS = ["studentMinusWeak", "ceilingMinusWeak", "studentMinusMaxWeakZeroShot"] as const

/** Fills `row`'s family columns for `prefix` from one family's members, in order. */
const familyColumns = (rows: ReadonlyArray<Record<string, unknown>>, members: ReadonlyArray<Interval>, prefix: string, family: string) => {
  const adjusted = adjust(members.map((m) => ({ est: m.est, se: m.se, df: m.df })))
  rows.forEach((row, i) => {
    const a = adjusted[i]!
    Object.assign(row, {
      [`${prefix}Family`]: `${family} (${members.length} comparisons)`,
      [`${prefix}P`]: finite(a.p),
      [`${prefix}PHolm`]: finite(a.pHolm),
      [`${prefix}LoFamily`]: finite(a.lo),
      [`${prefix}HiFamily`]: finite(a.hi),
      [`${prefix}Survives`]: a.survives
    })
  })
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
  version: 4,
  source: import.meta.url,
  description: "all evaluations as rows, seed means with t / Fieller intervals, and families of claims adjusted",
  params: Schema.Struct({
    /** pretraining runs: seed s used run s mod replicates (replicates.ts); the unit of the intervals where runs serve several seeds */
    replicates: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
  }),
  inputs: { metrics: Artifact.many(Metrics), predictions: Artifact.many(Predictions) },
  outputs: { rows: Results, summary: Summary, checkpoints: Checkpoints, methods: MethodComparisons },
  run: ({ params, inputs, progress }) =>
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
      const gainOverBest: Array<Interval> = []
      let done = 0
      for (const idx of groups.values()) {
        const first = inputs.metrics[idx[0]!]!
        for (const checkpoint of CheckpointNames) {
          const b = intervals(idx.map((i) => outcomesOf(inputs.predictions[i]!, checkpoint)), { groups: idx.map((i) => replicateOf(inputs.metrics[i]!.seed, params.replicates)) })
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
          for (const k of COMPONENTS) {
            row[`${k}VarPuzzles`] = finite(b[column[k]].varPuzzles)
            row[`${k}VarSeeds`] = finite(b[column[k]].varSeeds)
            row[`${k}VarPretraining`] = finite(b[column[k]].varPretraining)
          }
          row.pgrReadable = b.gap.lo > 0
          row.interval = INTERVAL(idx.length, new Set(idx.map((i) => replicateOf(inputs.metrics[i]!.seed, params.replicates))).size)
          gainOverBest.push(b.gainOverBest)
          summary.push(row)
        }
        progress({ done: ++done, total: groups.size, unit: "groups" })
      }
      for (const checkpoint of CheckpointNames) {
        const at = summary.flatMap((row, i) => (row.checkpoint === checkpoint ? [i] : []))
        familyColumns(at.map((i) => summary[i]!), at.map((i) => gainOverBest[i]!), "studentMinusMaxWeakZeroShot", FAMILY.gainOverBest(checkpoint))
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
      // what each label-free stopping rule (and no stopping: the final checkpoint) gives up against the
      // test oracle, per cell, paired by puzzle; and the label-free pool baseline's accuracy
      const regretRows: Array<Record<string, unknown>> = []
      const regrets = new Map<string, Array<Interval>>(Object.keys(RegretOf).map((c) => [c, []]))
      const gamesOf = (rows: ReadonlyArray<Prediction>) => Int32Array.from(rows, (r) => r.game)
      for (const idx of groups.values()) {
        const first = inputs.metrics[idx[0]!]!
        const groupsOf = { groups: idx.map((i) => replicateOf(inputs.metrics[i]!.seed, params.replicates)) }
        const row = side.get(`${first.weak}\u0000${first.strong}\u0000${first.method}`)!
        regretRows.push(row)
        for (const [checkpoint, prefix] of Object.entries(RegretOf) as Array<[keyof typeof RegretOf, string]>) {
          const col = studentColumn(checkpoint)
          // the rule's student in the "weak" bit, the oracle's in the "student" bit: gain = oracle - rule
          const b = intervals(idx.map((i): SeedOutcomes => {
            const rows = inputs.predictions[i]!
            return { outcomes: Uint8Array.from(rows, (r) => outcome({ weak: r[col] === r.truth, student: r.studentOracleTest === r.truth, ceiling: false, zero: false, agree: false })), games: gamesOf(rows) }
          }), groupsOf)
          regrets.get(checkpoint)!.push(b.gain)
          Object.assign(row, { [prefix]: finite(b.gain.est), [`${prefix}Lo95`]: finite(b.gain.lo), [`${prefix}Hi95`]: finite(b.gain.hi) })
        }
        // the baselines that need no labels: the untouched base (zero-shot) and the pool of base and supervisor
        const base = intervals(idx.map((i): SeedOutcomes => {
          const rows = inputs.predictions[i]!
          return { outcomes: Uint8Array.from(rows, (r) => outcome({ weak: r.weak === r.truth, student: r.pool === r.truth, ceiling: false, zero: r.zeroShot === r.truth, agree: false })), games: gamesOf(rows) }
        }), groupsOf)
        Object.assign(row, {
          accZeroShot: finite(base.accZeroShot.est), accZeroShotLo95: finite(base.accZeroShot.lo), accZeroShotHi95: finite(base.accZeroShot.hi),
          accPool: finite(base.accStudent.est), accPoolLo95: finite(base.accStudent.lo), accPoolHi95: finite(base.accStudent.hi)
        })
      }
      for (const [checkpoint, prefix] of Object.entries(RegretOf) as Array<[keyof typeof RegretOf, string]>) {
        familyColumns(regretRows, regrets.get(checkpoint)!, prefix, FAMILY.regret(checkpoint))
      }
      // every method against naive on the same (weak, strong) and seeds, paired puzzle by puzzle
      const methods: Array<Record<string, unknown>> = []
      const methodGains: Array<Interval> = []
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
            return {
              outcomes: Uint8Array.from(a, (r, k) => outcome({ weak: b[k]![col] === r.truth, student: r[col] === r.truth, ceiling: false, zero: false, agree: false })),
              games: Int32Array.from(a, (r) => r.game)
            }
          })
          const b = intervals(seeds, { groups: pairs.map(([i]) => replicateOf(inputs.metrics[i]!.seed, params.replicates)) })
          methodGains.push(b.gain)
          methods.push({
            weak: first.weak, strong: first.strong, method: first.method, versus: "naive", checkpoint, seeds: pairs.length,
            accMethod: finite(b.accStudent.est), accVersus: finite(b.accWeak.est),
            methodMinusVersus: finite(b.gain.est), methodMinusVersusLo95: finite(b.gain.lo), methodMinusVersusHi95: finite(b.gain.hi)
          })
        }
      }
      // every student against the baseline that needs no labels, the pool of its base and supervisor,
      // paired puzzle by puzzle (one evaluation holds both): what fine-tuning adds over combining the two
      for (const idx of groups.values()) {
        const first = inputs.metrics[idx[0]!]!
        for (const checkpoint of CheckpointNames) {
          const col = studentColumn(checkpoint)
          // the pool in the "weak" bit, the student in the "student" bit: gain = student - pool
          const seeds = idx.map((i) => ({
            outcomes: Uint8Array.from(inputs.predictions[i]!, (r) => outcome({ weak: r.pool === r.truth, student: r[col] === r.truth, ceiling: false, zero: false, agree: false })),
            games: gamesOf(inputs.predictions[i]!)
          }))
          const b = intervals(seeds, { groups: idx.map((i) => replicateOf(inputs.metrics[i]!.seed, params.replicates)) })
          methodGains.push(b.gain)
          methods.push({
            weak: first.weak, strong: first.strong, method: first.method, versus: "pool", checkpoint, seeds: idx.length,
            accMethod: finite(b.accStudent.est), accVersus: finite(b.accWeak.est),
            methodMinusVersus: finite(b.gain.est), methodMinusVersusLo95: finite(b.gain.lo), methodMinusVersusHi95: finite(b.gain.hi)
          })
        }
      }
      for (const versus of ["naive", "pool"] as const) {
        for (const checkpoint of CheckpointNames) {
          const at = methods.flatMap((row, i) => (row.checkpoint === checkpoint && row.versus === versus ? [i] : []))
          if (at.length === 0) continue
          familyColumns(at.map((i) => methods[i]!), at.map((i) => methodGains[i]!), "methodMinusVersus", versus === "naive" ? FAMILY.methods(checkpoint) : FAMILY.pool(checkpoint))
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
