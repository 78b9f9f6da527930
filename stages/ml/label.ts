/**
 * `label`: the weak supervisor's predictions on puzzles it never trained on: a soft label (its
 * probabilities over the legal moves), a hard label (its top move), and whether that was right.
 */
import { Schema } from "effect"
import { Stage } from "../../src/index.ts"
import { positionKey } from "../chess/board.ts"
import { unitHash } from "../chess/rng.ts"
import { Puzzles } from "../chess/tables.ts"
import { BackendParam, puzzleExamples, withBackend } from "./common.ts"
import * as M from "./model.ts"
import { Model, WeakLabels } from "./tables.ts"

export const label = Stage.make({
  name: "label",
  version: 1,
  source: import.meta.url,
  description: "weak labels (soft and hard) on the student split",
  heavy: true,
  params: Schema.Struct({
    backend: BackendParam,
    /** label only part `index` of `of` (by a seeded hash of the position): fresh data per bootstrapping step */
    part: Schema.Struct({ index: Schema.Int, of: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)) }),
    seed: Schema.Int
  }),
  inputs: { model: Model, puzzles: Puzzles },
  outputs: { labels: WeakLabels },
  run: ({ params: p, inputs, annotate, log }) =>
    withBackend(p.backend, annotate, async (b) => {
      const model = M.load(b.tf, inputs.model)
      const puzzles = inputs.puzzles.filter((pz) => Math.floor(unitHash(p.seed, "part", positionKey(pz.fen)) * p.part.of) === p.part.index)
      const data = puzzleExamples(puzzles)
      const probs = await M.predict(b.tf, model, data)
      M.dispose(model)
      const labels = puzzles.map((pz, i) => {
        const hard = pz.legal[M.argmax(probs[i]!)]!
        return { fen: pz.fen, legal: pz.legal, soft: Array.from(probs[i]!), hard, truth: pz.best, correct: hard === pz.best }
      })
      const right = labels.filter((l) => l.correct).length
      log(`weak labels: ${right}/${labels.length} correct (${((100 * right) / Math.max(1, labels.length)).toFixed(1)}%)`)
      annotate({ weakLabelAccuracy: right / Math.max(1, labels.length) })
      return { labels }
    })
})
