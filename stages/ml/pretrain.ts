/**
 * `pretrain`: a member of the model ladder, initialised from a seed and (unless its budget is zero)
 * trained to predict the move played in corpus positions: the analogue of a language model's
 * pretraining on chess games. Larger members see more positions for more epochs.
 */
import { Schema } from "effect"
import { Artifact, Stage } from "../../src/index.ts"
import { Positions } from "../chess/tables.ts"
import { BackendParam, corpusExamples, crossEntropy, fit, Training, withBackend } from "./common.ts"
import * as M from "./model.ts"
import { Model, TrainReport } from "./tables.ts"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const Arch = Schema.Struct({
  width: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  depth: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
})

export const pretrain = Stage.make({
  name: "pretrain",
  version: 2,
  source: import.meta.url,
  description: "a ladder member: seeded init, then move prediction on the corpus",
  heavy: true,
  params: Schema.Struct({ arch: Arch, positions: Count, training: Training, seed: Schema.Int, backend: BackendParam }),
  inputs: { corpus: Artifact.many(Positions) },
  outputs: { model: Model, report: TrainReport },
  run: ({ params: p, inputs, progress, annotate, log }) =>
    withBackend(p.backend, annotate, async (b) => {
      const model = M.init(b.tf, p.arch, p.seed)
      const data = p.positions > 0 && p.training.epochs > 0 ? corpusExamples(inputs.corpus, p.positions, p.seed) : []
      log(`${M.parameters(p.arch)} parameters; pretraining on ${data.length} positions for ${data.length ? p.training.epochs : 0} epochs on ${b.name}`)
      const t = data.length ? p.training : { ...p.training, epochs: 0 }
      const r = await fit(b, model, 0, data, t, p.seed, crossEntropy(b), progress)
      M.dispose(model)
      annotate(r.timing)
      return { model: r.weights, report: r.report }
    })
})
