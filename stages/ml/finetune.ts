/**
 * The fine-tuning stages: `train-weak` (the weak supervisor: its base on the ground truth of the weak
 * split), `ceiling` (the strong base on the ground truth of the student split) and `train-strong`
 * (the strong base on the weak supervisor's labels of the student split: `naive` soft cross-entropy,
 * or `auxconf`, the paper's auxiliary confidence loss). Each records test accuracy per epoch, so the
 * overfitting-to-weak-labels curve and early stopping can be shown; the test split is only evaluated.
 */
import { Schema } from "effect"
import { Stage } from "../../src/index.ts"
import { Puzzles } from "../chess/tables.ts"
import { BackendParam, crossEntropy, fit, flopsOf, puzzleExamples, Training, withBackend } from "./common.ts"
import { example } from "./encode.ts"
import * as M from "./model.ts"
import { Model, TrainReport, WeakLabels } from "./tables.ts"

const FineTune = Schema.Struct({ training: Training, seed: Schema.Int, headOnly: Schema.Boolean, backend: BackendParam })

export const trainWeak = Stage.make({
  name: "train-weak",
  version: 1,
  source: import.meta.url,
  description: "the weak supervisor: its base model on the weak split's ground truth",
  heavy: true,
  params: FineTune,
  inputs: { base: Model, train: Puzzles, test: Puzzles },
  outputs: { model: Model, report: TrainReport },
  run: ({ params: p, inputs, progress, annotate }) =>
    withBackend(p.backend, annotate, async (b) => {
      const model = M.load(b.tf, inputs.base)
      const r = await fit(b, model, flopsOf(inputs.base), puzzleExamples(inputs.train), p.training, p.seed, crossEntropy(b), progress, puzzleExamples(inputs.test), p.headOnly)
      M.dispose(model)
      annotate(r.timing)
      return { model: r.weights, report: r.report }
    })
})

export const ceiling = Stage.make({
  name: "ceiling",
  version: 1,
  source: import.meta.url,
  description: "the strong ceiling: the strong base on the student split's ground truth",
  heavy: true,
  params: FineTune,
  inputs: { base: Model, train: Puzzles, test: Puzzles },
  outputs: { model: Model, report: TrainReport },
  run: trainWeak.run
})

export const Method = Schema.Literals(["naive", "auxconf"])

export const trainStrong = Stage.make({
  name: "train-strong",
  version: 1,
  source: import.meta.url,
  description: "a strong student on weak labels (naive soft cross-entropy, or the auxiliary confidence loss)",
  heavy: true,
  params: Schema.Struct({
    ...FineTune.fields,
    method: Method,
    /** the confidence weight reached after the warm-up (auxconf) */
    aMax: Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))
  }),
  inputs: { base: Model, labels: WeakLabels, test: Puzzles },
  outputs: { model: Model, report: TrainReport },
  run: ({ params: p, inputs, progress, annotate }) =>
    withBackend(p.backend, annotate, async (b) => {
      const model = M.load(b.tf, inputs.base)
      const data = inputs.labels.map((l) => example(l.fen, l.legal, undefined, Float32Array.from(l.soft)))
      const loss: M.Loss = p.method === "naive"
        ? crossEntropy(b)
        : (z, batch, step, total) =>
          b.tf.tidy(() => M.auxConfidence(b.tf, z, M.targetTensor(b.tf, batch), M.alphaAt(step, total, p.aMax)))
      annotate({ method: p.method })
      const r = await fit(b, model, flopsOf(inputs.base), data, p.training, p.seed, loss, progress, puzzleExamples(inputs.test), p.headOnly)
      M.dispose(model)
      annotate(r.timing)
      return { model: r.weights, report: r.report }
    })
})
