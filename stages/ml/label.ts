/**
 * `label`: a supervisor's predictions on puzzles it never trained on: a soft label (its probabilities
 * over the legal moves) and a hard label (its top move). The output carries no ground truth (a
 * student reads nothing else of its puzzles); how often the supervisor was right goes to the log
 * and the record.
 */
import { Schema } from "effect"
import { Stage } from "../../src/index.ts"
import { unitHash } from "../chess/rng.ts"
import { Puzzles } from "../chess/tables.ts"
import { BackendFields, puzzleExamples, withBackend } from "./common.ts"
import * as M from "./model.ts"
import { Model, WeakLabels } from "./tables.ts"

export const label = Stage.make({
  name: "label",
  version: 2,
  source: import.meta.url,
  description: "a supervisor's labels (soft and hard, no ground truth) on puzzles it never trained on",
  heavy: true,
  params: Schema.Struct({
    ...BackendFields,
    /**
     * label only the `index`-th slice, a `share` of the puzzles wide, by a seeded hash of the game:
     * disjoint fresh data per bootstrapping step ({ index: 0, share: 1 }: all)
     */
    part: Schema.Struct({
      index: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
      share: Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1, exclusiveMinimum: true }))
    }),
    seed: Schema.Int
  }),
  inputs: { model: Model, puzzles: Puzzles },
  outputs: { labels: WeakLabels },
  run: ({ params: p, inputs, annotate, log }) =>
    withBackend(p, annotate, async (b) => {
      if ((p.part.index + 1) * p.part.share > 1 + 1e-9) throw new Error(`label part ${p.part.index} of share ${p.part.share} lies past the end of the puzzles`)
      const model = M.load(b.tf, inputs.model)
      const [from, to] = [p.part.index * p.part.share, (p.part.index + 1) * p.part.share]
      const puzzles = p.part.share >= 1
        ? inputs.puzzles
        : inputs.puzzles.filter((pz) => {
          const u = unitHash(p.seed, "part", pz.game)
          return u >= from && u < to
        })
      const data = puzzleExamples(puzzles)
      const probs = await M.predict(b.tf, model, data)
      M.dispose(model)
      const labels = puzzles.map((pz, i) => {
        const hard = pz.legal[M.argmax(probs[i]!)]!
        return { fen: pz.fen, legal: pz.legal, soft: Array.from(probs[i]!), hard }
      })
      const right = labels.filter((l, i) => l.hard === puzzles[i]!.best).length
      log(`weak labels: ${right}/${labels.length} correct (${((100 * right) / Math.max(1, labels.length)).toFixed(1)}%)`)
      annotate({ weakLabelAccuracy: right / Math.max(1, labels.length) })
      return { labels }
    })
})
