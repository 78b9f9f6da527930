/**
 * `pretrain`: a member of the model ladder, initialised from a seed and (unless its budget is zero)
 * trained to predict the engine's move: in corpus positions (self-play, the analogue of a language
 * model's pretraining on chess games) and, for members given a `blunders` budget, in positions of
 * games with blunders in them (the puzzles' world; see stages/chess/blunders.ts). Larger members see
 * more positions for more epochs.
 */
import { Schema } from "effect"
import { Artifact, Stage } from "../../src/index.ts"
import { type Position, Positions } from "../chess/tables.ts"
import { BackendFields, corpusExamples, crossEntropy, fit, Training, withBackend } from "./common.ts"
import * as M from "./model.ts"
import { Model, TrainReport } from "./tables.ts"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const NO_MOVES: ReadonlyArray<string> = []

export const Arch = Schema.Struct({
  width: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  depth: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  /** the move head (see model.ts); absent: full, so existing params and keys are unchanged */
  head: Schema.optional(Schema.Literals(["full", "factored"])),
  /** the factored head's rank (absent: model.ts's DEFAULT_RANK) */
  rank: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)))
})

export const pretrain = Stage.make({
  name: "pretrain",
  version: 3,
  source: import.meta.url,
  description: "a ladder member: seeded init, then move prediction on the corpus (and blunder positions, given a budget)",
  heavy: true,
  params: Schema.Struct({ arch: Arch, positions: Count, blunders: Count, training: Training, seed: Schema.Int, ...BackendFields }),
  inputs: { corpus: Artifact.many(Positions), blunders: Artifact.many(Positions) },
  outputs: { model: Model, report: TrainReport },
  run: ({ params: p, inputs, progress, annotate, log }) =>
    withBackend(p, annotate, async (b) => {
      const model = M.init(b.tf, p.arch, p.seed)
      const train = p.training.epochs > 0
      // Training reads an example's features, legal moves and target only, so the examples keep just
      // those, and the decoded input tables (about 9 million move strings for s3) are let go: held
      // while training, they were marked at every major collection, on V8's helper threads, which
      // took about a third of the machine while s3 pretrained (perf, 2026-12-07). Same bytes.
      const sample = (shards: ReadonlyArray<ReadonlyArray<Position>>, n: number) =>
        corpusExamples(shards, n, p.seed).map((e) => ({ features: e.features, legal: e.legal, moves: NO_MOVES, target: e.target }))
      const corpus = train && p.positions > 0 ? sample(inputs.corpus, p.positions) : []
      const blunders = train && p.blunders > 0 ? sample(inputs.blunders, p.blunders) : []
      const mutable = inputs as { corpus: unknown; blunders: unknown }
      mutable.corpus = []
      mutable.blunders = []
      if (train && blunders.length < p.blunders) log(`asked for ${p.blunders} blunder positions, ${blunders.length} exist: all are used`)
      if (train && corpus.length < p.positions) log(`asked for ${p.positions} corpus positions, ${corpus.length} exist: all are used (add corpus shards)`)
      const data = [...corpus, ...blunders]
      log(`${M.parameters(p.arch)} parameters; pretraining on ${corpus.length} corpus and ${blunders.length} blunder positions for ${data.length ? p.training.epochs : 0} epochs on ${b.name}`)
      const t = data.length ? p.training : { ...p.training, epochs: 0 }
      const r = await fit(b, model, 0, data, t, p.seed, crossEntropy(b), progress)
      M.dispose(model)
      annotate(r.timing)
      return { model: r.weights, report: r.report }
    })
})
