/**
 * `evaluate`: test accuracy of the weak supervisor, the student, the ceiling and the strong base
 * zero-shot; the performance gap recovered, PGR = (student - weak) / (ceiling - weak), also per
 * fine-tuning epoch (undefined, reported as null, when the ceiling is not above the weak model);
 * how often the student agrees with its supervisor when the supervisor is right and when it is
 * wrong; and every test prediction as a table.
 */
import { Schema } from "effect"
import { Stage } from "../../src/index.ts"
import { Puzzles } from "../chess/tables.ts"
import { BackendParam, flopsOf, puzzleExamples, withBackend } from "./common.ts"
import * as M from "./model.ts"
import { Metrics, Model, Predictions, TrainReport } from "./tables.ts"

export const pgr = (weak: number, student: number, ceiling: number): number | null =>
  ceiling > weak ? (student - weak) / (ceiling - weak) : null

export const evaluate = Stage.make({
  name: "evaluate",
  version: 1,
  source: import.meta.url,
  description: "accuracies, PGR (also per epoch), student-supervisor agreement, predictions",
  heavy: true,
  params: Schema.Struct({ weak: Schema.String, strong: Schema.String, method: Schema.String, seed: Schema.Int, backend: BackendParam }),
  inputs: { weak: Model, student: Model, ceiling: Model, base: Model, test: Puzzles, studentReport: TrainReport },
  outputs: { metrics: Metrics, predictions: Predictions },
  run: ({ params: p, inputs, annotate }) =>
    withBackend(p.backend, annotate, async (b) => {
      const test = puzzleExamples(inputs.test)
      const top = async (w: typeof inputs.weak) => {
        const model = M.load(b.tf, w)
        const probs = await M.predict(b.tf, model, test)
        M.dispose(model)
        return probs.map(M.argmax)
      }
      const [weak, student, ceiling, zero] = [await top(inputs.weak), await top(inputs.student), await top(inputs.ceiling), await top(inputs.base)]
      const acc = (pred: Array<number>) => (test.length ? pred.filter((x, i) => x === test[i]!.target).length / test.length : 0)
      const accWeak = acc(weak)
      const accCeiling = acc(ceiling)
      const weakRight = test.map((e, i) => weak[i] === e.target)
      const agree = (right: boolean) => {
        const idx = test.map((_, i) => i).filter((i) => weakRight[i] === right)
        return idx.length ? idx.filter((i) => student[i] === weak[i]).length / idx.length : 0
      }
      const arch = (w: typeof inputs.weak) => (w.manifest as { arch: M.Architecture }).arch
      const metrics = {
        weak: p.weak,
        strong: p.strong,
        method: p.method,
        seed: p.seed,
        n: test.length,
        accWeak,
        accStudent: acc(student),
        accCeiling,
        accZeroShot: acc(zero),
        pgr: pgr(accWeak, acc(student), accCeiling),
        pgrByEpoch: inputs.studentReport.epochs.map((e) => (e.testAccuracy === null ? null : pgr(accWeak, e.testAccuracy, accCeiling))),
        agreeWhenWeakRight: agree(true),
        agreeWhenWeakWrong: agree(false),
        strongParams: M.parameters(arch(inputs.base)),
        strongFlops: flopsOf(inputs.student),
        weakParams: M.parameters(arch(inputs.weak))
      }
      const name = (i: number, k: number) => test[i]!.moves[k]!
      const predictions = inputs.test.map((pz, i) => ({
        fen: pz.fen,
        truth: pz.best,
        weak: name(i, weak[i]!),
        student: name(i, student[i]!),
        ceiling: name(i, ceiling[i]!),
        zeroShot: name(i, zero[i]!)
      }))
      return { metrics, predictions }
    })
})
