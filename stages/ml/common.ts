/**
 * What the learning stages share: params schemas, turning tables into examples, loading the backend,
 * and fine-tuning a base model with a report of its compute and per-epoch test accuracy.
 */
import { Effect, Schema } from "effect"
import type { Artifact } from "../../src/index.ts"
import type { Stage } from "../../src/index.ts"
import { unitHash } from "../chess/rng.ts"
import type { Position, Puzzle } from "../chess/tables.ts"
import { type Backend, backend, BackendChoices, type BackendChoice } from "./backend.ts"
import { type Example, example } from "./encode.ts"
import * as M from "./model.ts"

export const BackendParam = Schema.Literals(BackendChoices)
const Positive = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/** How a model is trained. */
export const Training = Schema.Struct({
  epochs: Count,
  lr: Schema.Number.check(Schema.isGreaterThan(0)),
  batch: Positive
})

export const puzzleExamples = (rows: ReadonlyArray<Puzzle>): Array<Example> => rows.map((p) => example(p.fen, p.legal, p.best))

/** The first `n` corpus positions in the order of a seeded hash (never the first n as generated). */
export const corpusExamples = (shards: ReadonlyArray<ReadonlyArray<Position>>, n: number, seed: number): Array<Example> =>
  shards.flat()
    .map((p) => ({ p, u: unitHash(seed, "corpus-sample", p.fen, p.game, p.ply) }))
    .sort((a, b) => a.u - b.u)
    .slice(0, n)
    .map(({ p }) => example(p.fen, p.legal, p.move))

/** Runs ML work on the chosen backend and records which backend it was. */
export const withBackend = <A>(
  choice: BackendChoice,
  annotate: Stage.StageContext<unknown, {}>["annotate"],
  work: (b: Backend) => Promise<A>
) =>
  Effect.tryPromise({
    try: async () => {
      const b = await backend(choice)
      annotate({ backend: b.name, backendPackage: b.via })
      return work(b)
    },
    catch: (e) => e
  })

export interface FineTuneResult {
  readonly weights: Artifact.ModelWeights
  readonly report: {
    params: number
    examples: number
    epochs: Array<{ epoch: number; loss: number; testAccuracy: number | null }>
    flops: number
    totalFlops: number
  }
  /** wall-clock facts for the node's record (not part of the output: they differ run to run) */
  readonly timing: { seconds: number; examplesPerSecond: number }
}

/** FLOPs already spent on a model (recorded in its manifest). */
export const flopsOf = (w: Artifact.ModelWeights): number => Number((w.manifest as { totalFlops?: number }).totalFlops ?? 0)

/**
 * Trains `model` (in place) on `data` and reports per-epoch loss and, when `test` is given, test
 * accuracy after each epoch (evaluation only: the test split never enters a gradient).
 */
export const fit = async (
  b: Backend,
  model: M.Mlp,
  baseFlops: number,
  data: ReadonlyArray<Example>,
  t: { epochs: number; lr: number; batch: number },
  seed: number,
  loss: M.Loss,
  progress: Stage.StageContext<unknown, {}>["progress"],
  test?: ReadonlyArray<Example>,
  headOnly = false
): Promise<FineTuneResult> => {
  const started = Date.now()
  const epochs: FineTuneResult["report"]["epochs"] = []
  let last = 0
  await M.train(b.tf, model, data, {
    ...t,
    seed,
    loss,
    headOnly,
    onBatch: (done, total, l) => {
      const now = Date.now()
      if (now - last > 500 || done === total) {
        last = now
        progress({ done, total, unit: "steps", note: `loss ${l.toFixed(3)}` })
      }
    },
    onEpoch: async (epoch, meanLoss) => {
      const testAccuracy = test ? M.accuracy(await M.predict(b.tf, model, test), test) : null
      epochs.push({ epoch, loss: meanLoss, testAccuracy })
    }
  })
  const seconds = (Date.now() - started) / 1000
  const flops = 3 * M.forwardFlops(model.arch) * data.length * t.epochs
  const weights = await M.save(model, { totalFlops: baseFlops + flops })
  return {
    weights,
    report: {
      params: M.parameters(model.arch),
      examples: data.length,
      epochs,
      flops,
      totalFlops: baseFlops + flops
    },
    timing: { seconds, examplesPerSecond: seconds > 0 ? Math.round((data.length * t.epochs) / seconds) : 0 }
  }
}

/** Cross-entropy against each example's target (hard) or soft label. */
export const crossEntropy = (b: Backend): M.Loss => (z, batch) =>
  b.tf.tidy(() => M.softCrossEntropy(b.tf, z, M.targetTensor(b.tf, batch)))
