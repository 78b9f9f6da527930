/**
 * The fine-tuning stages: `train-weak` (the weak supervisor: its base on the ground truth of the weak
 * split), `ceiling` (the strong base on the ground truth of the student split) and `train-strong`
 * (the strong base on a supervisor's labels of the student split: `naive` soft cross-entropy, or
 * `auxconf`, the paper's auxiliary confidence loss), and `probe` (a ladder member's frozen base with
 * only its head trained on the student split's ground truth: what the member already knows).
 *
 * Each outputs the checkpoint (epoch 0, the base, to the last; `firstEpochCheckpoints` inside the
 * first epoch too) that its validation rule picks:
 * supervisors and ceilings, which train on ground truth anyway, by accuracy on the ground-truth
 * validation split; students by their loss against their own supervisor's labels of the validation
 * split, so that no student ever sees a ground-truth answer (its inputs hold none: weak labels
 * without the truth, test boards without answers); a student also records what every label-free
 * stopping rule picks (stopping.ts). Each records its top moves on the test boards at every
 * checkpoint, which `evaluate` scores: the final and the test-oracle checkpoints are read from
 * there, never chosen here.
 */
import { Schema } from "effect"
import { Stage } from "../../src/index.ts"
import { Boards, Puzzles } from "../chess/tables.ts"
import { BackendFields, boardExamples, crossEntropy, fit, flopsOf, labelExamples, puzzleExamples, Training, withBackend } from "./common.ts"
import * as M from "./model.ts"
import { stoppingRules } from "./stopping.ts"
import { Model, TestCurve, TrainReport, WeakLabels } from "./tables.ts"

const FineTune = Schema.Struct({ training: Training, seed: Schema.Int, headOnly: Schema.Boolean, ...BackendFields })

const outputs = { model: Model, report: TrainReport, curve: TestCurve }

export const trainWeak = Stage.make({
  name: "train-weak",
  version: 3,
  source: import.meta.url,
  description: "the weak supervisor: its base model on the weak split's ground truth, stopped on ground-truth validation",
  heavy: true,
  params: FineTune,
  inputs: { base: Model, train: Puzzles, val: Puzzles, test: Boards },
  outputs,
  run: ({ params: p, inputs, progress, annotate }) =>
    withBackend(p, annotate, async (b) => {
      const model = M.load(b.tf, inputs.base)
      const select = { rule: "val-accuracy" as const, val: puzzleExamples(inputs.val) }
      const r = await fit(b, model, flopsOf(inputs.base), puzzleExamples(inputs.train), p.training, p.seed, crossEntropy(b), progress, select, boardExamples(inputs.test), p.headOnly)
      M.dispose(model)
      annotate({ ...r.timing, chosenEpoch: r.report.chosenEpoch })
      return { model: r.weights, report: r.report, curve: r.curve }
    })
})

export const ceiling = Stage.make({
  name: "ceiling",
  version: 3,
  source: import.meta.url,
  description: "the strong ceiling: the strong base on the student split's ground truth, stopped on ground-truth validation",
  heavy: true,
  params: FineTune,
  inputs: { base: Model, train: Puzzles, val: Puzzles, test: Boards },
  outputs,
  run: trainWeak.run
})

export const probe = Stage.make({
  name: "probe",
  version: 2,
  source: import.meta.url,
  description: "a linear probe: a frozen base, its move head trained on the student split's ground truth, stopped on ground-truth validation",
  heavy: true,
  params: FineTune,
  inputs: { base: Model, train: Puzzles, val: Puzzles, test: Boards },
  outputs,
  run: (ctx) => trainWeak.run({ ...ctx, params: { ...ctx.params, headOnly: true } })
})

export const Method = Schema.Literals(["naive", "auxconf"])

export const trainStrong = Stage.make({
  name: "train-strong",
  version: 3,
  source: import.meta.url,
  description: "a strong student on weak labels (naive soft cross-entropy, or the auxiliary confidence loss), stopped on weak-labelled validation",
  heavy: true,
  params: Schema.Struct({
    ...FineTune.fields,
    method: Method,
    /** auxconf only (naive students do not read it, so it is not in their params or keys): the confidence weight reached after the warm-up */
    aMax: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 })))
  }),
  inputs: { base: Model, labels: WeakLabels, valLabels: WeakLabels, test: Boards },
  /** valCurve: the top move on every validation puzzle at each checkpoint (no answers: for `npm run val-score -- --curve`) */
  outputs: { ...outputs, valCurve: TestCurve },
  run: ({ params: p, inputs, progress, annotate }) =>
    withBackend(p, annotate, async (b) => {
      if (p.method === "auxconf" && p.aMax === undefined) throw new Error("an auxconf student needs aMax, the confidence weight")
      const aMax = p.aMax ?? 0
      const model = M.load(b.tf, inputs.base)
      const loss: M.Loss = p.method === "naive"
        ? crossEntropy(b)
        : (z, batch, step, total) =>
          b.tf.tidy(() => M.auxConfidence(b.tf, z, M.targetTensor(b.tf, batch), M.alphaAt(step, total, aMax)))
      annotate({ method: p.method })
      const val = labelExamples(inputs.valLabels)
      const select = p.method === "auxconf" ? { rule: "val-weak-auxconf" as const, val, aMax } : { rule: "val-weak-loss" as const, val }
      const r = await fit(b, model, flopsOf(inputs.base), labelExamples(inputs.labels), p.training, p.seed, loss, progress, select, boardExamples(inputs.test), p.headOnly)
      M.dispose(model)
      // every label-free stopping rule's pick, from the validation predictions alone (stopping.ts)
      const rules = stoppingRules(r.valProbs.map((v) => v.probs), val.map((e) => e.soft!), r.report.epochs.map((e) => e.val!))
        .map((x) => ({ rule: x.rule, epoch: r.valProbs[x.index]!.epoch, scores: [...x.scores] }))
      annotate({ ...r.timing, chosenEpoch: r.report.chosenEpoch, picks: Object.fromEntries(rules.map((x) => [x.rule, x.epoch])) })
      return { model: r.weights, report: { ...r.report, rules }, curve: r.curve, valCurve: r.valProbs.map((v) => ({ epoch: v.epoch, top: v.probs.map(M.argmax) })) }
    })
})
