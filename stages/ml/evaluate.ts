/**
 * `evaluate`: scores one (weak, strong, method, seed) on the test split from the top moves its
 * training nodes recorded: the weak supervisor and the ceiling at the checkpoints their ground-truth
 * validation picked, the strong base zero-shot (the student's epoch 0), the label-free pool of base
 * and supervisor (pool.ts), and the student at its checkpoints: `final` (the last), those the
 * label-free stopping rules picked (stopping.ts: `weak-val`, `disagreement`, `pool-agreement`: what a
 * practitioner without ground truth could ship) and `oracle-test` (the best test reading: an oracle,
 * reported only to show what early stopping could at best recover). Also PGR =
 * (student - weak) / (ceiling - weak) per epoch (null when the ceiling is not above the weak model),
 * how often the student agrees with its supervisor when the supervisor is right and when it is
 * wrong, and every test prediction as a table (what `results` bootstraps).
 */
import { Effect, Schema } from "effect"
import { Stage } from "../../src/index.ts"
import { Puzzles } from "../chess/tables.ts"
import type * as M from "./model.ts"
import { parameters } from "./model.ts"
import { type CheckpointName, CheckpointNames, checkpointSuffix, Metrics, Model, Predictions, RuleNames, TestCurve, TrainReport } from "./tables.ts"

export const pgr = (weak: number, student: number, ceiling: number): number | null =>
  ceiling > weak ? (student - weak) / (ceiling - weak) : null

type Curve = ReadonlyArray<{ readonly epoch: number; readonly top: ReadonlyArray<number> }>

const at = (curve: Curve, epoch: number, who: string): ReadonlyArray<number> => {
  const row = curve.find((c) => c.epoch === epoch)
  if (!row) throw new Error(`the ${who}'s test curve has no epoch ${epoch}`)
  return row.top
}

export const evaluate = Stage.make({
  name: "evaluate",
  version: 3,
  source: import.meta.url,
  description: "accuracies at the student's checkpoints (final, each label-free rule's, the test oracle's), the baselines, PGR (also per epoch), student-supervisor agreement, predictions",
  params: Schema.Struct({ weak: Schema.String, strong: Schema.String, method: Schema.String, seed: Schema.Int }),
  inputs: {
    test: Puzzles,
    weakCurve: TestCurve,
    weakReport: TrainReport,
    ceilingCurve: TestCurve,
    ceilingReport: TrainReport,
    studentCurve: TestCurve,
    studentReport: TrainReport,
    /** the pool of the student's base and the supervisor on the test boards */
    poolCurve: TestCurve,
    /** the weak supervisor's and the student's base: their sizes */
    weakBase: Model,
    strongBase: Model
  },
  outputs: { metrics: Metrics, predictions: Predictions },
  run: ({ params: p, inputs }) =>
    Effect.try({
      try: () => {
        const test = inputs.test
        const n = test.length
        const truth = test.map((pz) => pz.legal.indexOf(pz.best))
        for (const [who, curve] of [["weak", inputs.weakCurve], ["ceiling", inputs.ceilingCurve], ["student", inputs.studentCurve], ["pool", inputs.poolCurve]] as const) {
          for (const c of curve) if (c.top.length !== n) throw new Error(`the ${who}'s test curve has ${c.top.length} predictions at epoch ${c.epoch}, the test split ${n} puzzles`)
        }
        const acc = (top: ReadonlyArray<number>) => (n ? top.reduce((s, t, i) => s + (t === truth[i] ? 1 : 0), 0) / n : 0)
        const weak = at(inputs.weakCurve, inputs.weakReport.chosenEpoch, "supervisor")
        const ceil = at(inputs.ceilingCurve, inputs.ceilingReport.chosenEpoch, "ceiling")
        const zero = at(inputs.studentCurve, 0, "student")
        const accWeak = acc(weak)
        const accCeiling = acc(ceil)
        const byEpoch = [...inputs.studentCurve].sort((a, b) => a.epoch - b.epoch)
        const accByEpoch = byEpoch.map((c) => acc(c.top))
        const last = byEpoch[byEpoch.length - 1]!.epoch
        // the oracle: the best test accuracy, the earliest epoch on ties
        const oracle = byEpoch[accByEpoch.indexOf(Math.max(...accByEpoch))]!.epoch
        const picks = new Map((inputs.studentReport.rules ?? []).map((r) => [r.rule, r.epoch]))
        const pickOf = (rule: (typeof RuleNames)[number]) => {
          const e = picks.get(rule)
          if (e === undefined) throw new Error(`the student's report has no pick of the stopping rule '${rule}' (it has ${[...picks.keys()].join(", ") || "none"})`)
          return e
        }
        const epochOf: Record<CheckpointName, number> = { final: last, "weak-val": pickOf("weak-val"), disagreement: pickOf("disagreement"), "pool-agreement": pickOf("pool-agreement"), "oracle-test": oracle }
        const pooled = at(inputs.poolCurve, 0, "pool")
        const agree = (student: ReadonlyArray<number>, right: boolean) => {
          let k = 0, m = 0
          for (let i = 0; i < n; i++) {
            if ((weak[i] === truth[i]) !== right) continue
            m++
            if (student[i] === weak[i]) k++
          }
          return m ? k / m : 0
        }
        const checkpoints = CheckpointNames.map((name) => {
          const top = at(inputs.studentCurve, epochOf[name], "student")
          const accStudent = acc(top)
          return { name, epoch: epochOf[name], accStudent, pgr: pgr(accWeak, accStudent, accCeiling), agreeWhenWeakRight: agree(top, true), agreeWhenWeakWrong: agree(top, false) }
        })
        const arch = (w: typeof inputs.weakBase) => (w.manifest as { arch: M.Architecture }).arch
        const metrics = {
          weak: p.weak,
          strong: p.strong,
          method: p.method,
          seed: p.seed,
          n,
          accWeak,
          accCeiling,
          accZeroShot: acc(zero),
          accPool: acc(pooled),
          weakEpoch: inputs.weakReport.chosenEpoch,
          ceilingEpoch: inputs.ceilingReport.chosenEpoch,
          checkpoints,
          epochs: byEpoch.map((c) => c.epoch),
          accByEpoch,
          pgrByEpoch: accByEpoch.map((a) => pgr(accWeak, a, accCeiling)),
          valByEpoch: byEpoch.map((c) => inputs.studentReport.epochs.find((e) => e.epoch === c.epoch)?.val ?? null),
          strongParams: parameters(arch(inputs.strongBase)),
          strongFlops: inputs.studentReport.totalFlops,
          weakParams: parameters(arch(inputs.weakBase))
        }
        const name = (i: number, k: number) => test[i]!.legal[k]!
        const student = (c: CheckpointName) => at(inputs.studentCurve, epochOf[c], "student")
        const tops = CheckpointNames.map((c) => [`student${checkpointSuffix[c]}`, student(c)] as const)
        const predictions = test.map((pz, i) => ({
          fen: pz.fen,
          game: pz.game,
          truth: pz.best,
          weak: name(i, weak[i]!),
          ceiling: name(i, ceil[i]!),
          zeroShot: name(i, zero[i]!),
          pool: name(i, pooled[i]!),
          ...Object.fromEntries(tops.map(([col, top]) => [col, name(i, top[i]!)]))
        })) as Array<{ fen: string; game: number; truth: string; weak: string; ceiling: string; zeroShot: string; pool: string } & Record<`student${(typeof checkpointSuffix)[CheckpointName]}`, string>>
        return { metrics, predictions }
      },
      catch: (e) => e
    })
})
