/**
 * `evaluate`: scores one (weak, strong, method, seed) on the test split from the top moves its
 * training nodes recorded: the weak supervisor and the ceiling at the epochs their ground-truth
 * validation picked, the strong base zero-shot (the student's epoch 0), and the student at three
 * checkpoints: `final` (the last epoch), `weak-val` (the one its loss on weak-labelled validation
 * picked: what a practitioner without ground truth would ship) and `oracle-test` (the best test
 * epoch: an oracle, reported only to show what early stopping could at best recover). Also PGR =
 * (student - weak) / (ceiling - weak) per epoch (null when the ceiling is not above the weak model),
 * how often the student agrees with its supervisor when the supervisor is right and when it is
 * wrong, and every test prediction as a table (what `results` bootstraps).
 */
import { Effect, Schema } from "effect"
import { Stage } from "../../src/index.ts"
import { Puzzles } from "../chess/tables.ts"
import type * as M from "./model.ts"
import { parameters } from "./model.ts"
import { type CheckpointName, Metrics, Model, Predictions, TestCurve, TrainReport } from "./tables.ts"

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
  version: 2,
  source: import.meta.url,
  description: "accuracies at three student checkpoints, PGR (also per epoch), student-supervisor agreement, predictions",
  params: Schema.Struct({ weak: Schema.String, strong: Schema.String, method: Schema.String, seed: Schema.Int }),
  inputs: {
    test: Puzzles,
    weakCurve: TestCurve,
    weakReport: TrainReport,
    ceilingCurve: TestCurve,
    ceilingReport: TrainReport,
    studentCurve: TestCurve,
    studentReport: TrainReport,
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
        for (const [who, curve] of [["weak", inputs.weakCurve], ["ceiling", inputs.ceilingCurve], ["student", inputs.studentCurve]] as const) {
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
        const epochOf: Record<CheckpointName, number> = { final: last, "weak-val": inputs.studentReport.chosenEpoch, "oracle-test": oracle }
        const agree = (student: ReadonlyArray<number>, right: boolean) => {
          let k = 0, m = 0
          for (let i = 0; i < n; i++) {
            if ((weak[i] === truth[i]) !== right) continue
            m++
            if (student[i] === weak[i]) k++
          }
          return m ? k / m : 0
        }
        const checkpoints = (["final", "weak-val", "oracle-test"] as const).map((name) => {
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
          weakEpoch: inputs.weakReport.chosenEpoch,
          ceilingEpoch: inputs.ceilingReport.chosenEpoch,
          checkpoints,
          accByEpoch,
          pgrByEpoch: accByEpoch.map((a) => pgr(accWeak, a, accCeiling)),
          valByEpoch: byEpoch.map((c) => inputs.studentReport.epochs.find((e) => e.epoch === c.epoch)?.val ?? null),
          strongParams: parameters(arch(inputs.strongBase)),
          strongFlops: inputs.studentReport.totalFlops,
          weakParams: parameters(arch(inputs.weakBase))
        }
        const name = (i: number, k: number) => test[i]!.legal[k]!
        const student = (c: CheckpointName) => at(inputs.studentCurve, epochOf[c], "student")
        const [sf, sv, so] = [student("final"), student("weak-val"), student("oracle-test")]
        const predictions = test.map((pz, i) => ({
          fen: pz.fen,
          game: pz.game,
          truth: pz.best,
          weak: name(i, weak[i]!),
          ceiling: name(i, ceil[i]!),
          zeroShot: name(i, zero[i]!),
          studentFinal: name(i, sf[i]!),
          studentWeakVal: name(i, sv[i]!),
          studentOracleTest: name(i, so[i]!)
        }))
        return { metrics, predictions }
      },
      catch: (e) => e
    })
})
