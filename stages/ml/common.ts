/**
 * What the learning stages share: params schemas, turning tables into examples, loading the backend,
 * and fine-tuning a base model with a report of its compute and per-epoch test accuracy.
 */
import { Effect, Schema } from "effect"
import type { Artifact } from "../../src/index.ts"
import type { Stage } from "../../src/index.ts"
import { unitHash } from "../chess/rng.ts"
import type { Board, Position, Puzzle } from "../chess/tables.ts"
import { adapterName, type Backend, backend, BackendChoices, type BackendChoice } from "./backend.ts"
import { type Example, example } from "./encode.ts"
import * as M from "./model.ts"

export const BackendParam = Schema.Literals(BackendChoices)

/**
 * A learning node's backend fields: the backend, and on webgpu the adapter (`adapterName`), since
 * bytes differ by device. Absent on other backends, so their params are what they were.
 */
export const BackendFields = { backend: BackendParam, adapter: Schema.optionalKey(Schema.String) }
const Positive = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/**
 * How a model is trained. The optional fields are absent from older params (so their keys are
 * unchanged) and mean: no warm-up, a constant learning rate, checkpoints at epoch ends only.
 */
export const Training = Schema.Struct({
  epochs: Count,
  lr: Schema.Number.check(Schema.isGreaterThan(0)),
  batch: Positive,
  /** the share of all steps over which the learning rate rises linearly from 0 to `lr` */
  warmup: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))),
  /** after the warm-up: `lr` throughout (constant), or a cosine from `lr` towards 0 over the remaining steps */
  decay: Schema.optionalKey(Schema.Literals(["constant", "cosine"])),
  /** checkpoints evaluated within the first epoch, evenly spaced in steps, besides every epoch's end */
  firstEpochCheckpoints: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)))
})
export type Training = typeof Training.Type

/** The learning rate at `step` (0-based) of `total`: linear warm-up, then constant or cosine decay. */
export const learningRate = (t: Pick<Training, "lr" | "warmup" | "decay">, step: number, total: number): number => {
  const warm = Math.floor((t.warmup ?? 0) * total)
  if (step < warm) return (t.lr * (step + 1)) / warm
  if (t.decay !== "cosine") return t.lr
  const span = Math.max(1, total - warm)
  return 0.5 * t.lr * (1 + Math.cos((Math.PI * (step - warm)) / span))
}

/**
 * The steps (1-based counts of steps done) after which a checkpoint is evaluated: `k - 1` evenly
 * spaced steps inside the first epoch when `k` first-epoch checkpoints are asked for (its end is the
 * k-th), then every epoch's end.
 */
export const checkpointSteps = (stepsPerEpoch: number, epochs: number, firstEpoch = 1): Array<number> => {
  const inside = Array.from({ length: Math.max(0, Math.min(firstEpoch, stepsPerEpoch) - 1) }, (_, i) => Math.round(((i + 1) * stepsPerEpoch) / Math.min(firstEpoch, stepsPerEpoch)))
  const ends = Array.from({ length: epochs }, (_, e) => (e + 1) * stepsPerEpoch)
  return [...new Set([...inside.filter((s) => s > 0 && s < stepsPerEpoch), ...ends])].sort((a, b) => a - b)
}

/** A checkpoint's position in epochs (steps done / steps per epoch), to 4 decimals. */
export const epochAt = (step: number, stepsPerEpoch: number): number => Math.round((step / stepsPerEpoch) * 1e4) / 1e4

export const puzzleExamples = (rows: ReadonlyArray<Puzzle>): Array<Example> => rows.map((p) => example(p.fen, p.legal, p.best))

/** Boards without answers: what students are scored on after each epoch (the scoring is elsewhere). */
export const boardExamples = (rows: ReadonlyArray<Board>): Array<Example> => rows.map((p) => example(p.fen, p.legal))

/** A supervisor's labels as training examples: the soft label, no ground truth. */
export const labelExamples = (rows: ReadonlyArray<{ fen: string; legal: ReadonlyArray<string>; soft: ReadonlyArray<number> }>): Array<Example> =>
  rows.map((l) => example(l.fen, l.legal, undefined, Float32Array.from(l.soft)))

/** The first `n` corpus positions in the order of a seeded hash (never the first n as generated). */
export const corpusExamples = (shards: ReadonlyArray<ReadonlyArray<Position>>, n: number, seed: number): Array<Example> =>
  shards.flat()
    .map((p) => ({ p, u: unitHash(seed, "corpus-sample", p.fen, p.game, p.ply) }))
    .sort((a, b) => a.u - b.u)
    .slice(0, n)
    .map(({ p }) => example(p.fen, p.legal, p.move))

/**
 * Runs ML work on the chosen backend and records which backend it was, and on webgpu which adapter
 * (vendor, architecture, device, driver, software or hardware). Fails where the adapter here is not
 * the one the node's params (and so its key) name.
 */
export const withBackend = <A>(
  p: { readonly backend: BackendChoice; readonly adapter?: string },
  annotate: Stage.StageContext<unknown, {}>["annotate"],
  work: (b: Backend) => Promise<A>
) =>
  Effect.tryPromise({
    try: async () => {
      const b = await backend(p.backend)
      if (b.adapter && p.adapter !== undefined && adapterName(b.adapter) !== p.adapter) {
        throw new Error(`backend webgpu: this node's key names the adapter ${p.adapter}, but here it is ${adapterName(b.adapter)}`)
      }
      const { vendor, architecture, device, description, dawn, software } = b.adapter ?? {}
      annotate({
        backend: b.name,
        backendPackage: b.via,
        ...(b.adapter ? { adapter: { vendor, architecture, device, description, dawn, kind: software ? "software" : "hardware" } as { [k: string]: string } } : {})
      })
      return work(b)
    },
    catch: (e) => e
  })

/** How a fine-tuning run picks the checkpoint it outputs: among epochs 0 (the base) to the last. */
export type Selection =
  /** highest top-1 accuracy on ground-truth validation puzzles (weak supervisors and ceilings) */
  | { readonly rule: "val-accuracy"; readonly val: ReadonlyArray<Example> }
  /** lowest cross-entropy against the supervisor's soft labels on validation puzzles (students: no ground truth) */
  | { readonly rule: "val-weak-loss"; readonly val: ReadonlyArray<Example> }
  /**
   * lowest auxiliary confidence loss at its final weight on the same labels (auxconf students: plain
   * cross-entropy to the supervisor would penalise the very disagreement that loss asks for)
   */
  | { readonly rule: "val-weak-auxconf"; readonly val: ReadonlyArray<Example>; readonly aMax: number }

export interface EpochReport {
  /** the checkpoint's position in epochs: 0 (the base), fractions inside the first epoch, then each epoch's end */
  epoch: number
  /** mean training loss since the previous checkpoint (null for epoch 0, the base before any step) */
  loss: number | null
  /** the selection rule's validation score at the checkpoint (null without a rule: pretraining) */
  val: number | null
}

export interface FineTuneResult {
  /** the checkpoint the selection rule picked */
  readonly weights: Artifact.ModelWeights
  readonly report: {
    params: number
    examples: number
    epochs: Array<EpochReport>
    /** how the output checkpoint was chosen; "none": no rule, the last epoch (pretraining) */
    rule: Selection["rule"] | "none"
    /** the position (in epochs) of the checkpoint that is output (0 = the base unchanged) */
    chosenEpoch: number
    flops: number
    totalFlops: number
  }
  /** the top move (index into `legal`) on every test board at each checkpoint, epoch 0 first */
  readonly curve: Array<{ epoch: number; top: Array<number> }>
  /** the predictions on the selection rule's validation examples at each checkpoint, epoch 0 first */
  readonly valProbs: Array<{ epoch: number; probs: Array<Float32Array> }>
  /** wall-clock facts for the node's record (not part of the output: they differ run to run) */
  readonly timing: { seconds: number; examplesPerSecond: number }
}

/** FLOPs already spent on a model (recorded in its manifest). */
export const flopsOf = (w: Artifact.ModelWeights): number => Number((w.manifest as { totalFlops?: number }).totalFlops ?? 0)

/** Mean cross-entropy of predictions against each example's soft label (or its hard target). */
export const meanCrossEntropy = (probs: ReadonlyArray<Float32Array>, data: ReadonlyArray<Example>): number => {
  let sum = 0
  probs.forEach((p, i) => {
    const e = data[i]!
    if (e.soft) e.soft.forEach((q, j) => (sum -= q > 0 ? q * Math.log(Math.max(p[j]!, 1e-12)) : 0))
    else sum -= Math.log(Math.max(p[e.target]!, 1e-12))
  })
  return probs.length ? sum / probs.length : 0
}

/** Mean cross-entropy of predictions against their own argmax: -log of the top probability. */
export const meanSelfEntropy = (probs: ReadonlyArray<Float32Array>): number =>
  probs.length ? probs.reduce((s, p) => s - Math.log(Math.max(p[M.argmax(p)]!, 1e-12)), 0) / probs.length : 0

const better = (rule: Selection["rule"], a: number, b: number) => (rule === "val-accuracy" ? a > b : a < b)

/**
 * Trains `model` (in place) on `data`, scoring the selection rule on its validation examples before
 * training and at each checkpoint (`t.firstEpochCheckpoints` inside the first epoch, then every
 * epoch's end), and keeping the best checkpoint (the earliest on ties). `test` holds boards only (no
 * answers): their top moves at each checkpoint are recorded for evaluation elsewhere; they never
 * enter a gradient or a choice. The learning rate follows `learningRate` (warm-up, decay).
 */
export const fit = async (
  b: Backend,
  model: M.Mlp,
  baseFlops: number,
  data: ReadonlyArray<Example>,
  t: Training,
  seed: number,
  loss: M.Loss,
  progress: Stage.StageContext<unknown, {}>["progress"],
  select?: Selection,
  test: ReadonlyArray<Example> = [],
  headOnly = false
): Promise<FineTuneResult> => {
  const started = Date.now()
  const epochs: Array<EpochReport> = []
  const curve: FineTuneResult["curve"] = []
  const valProbs: FineTuneResult["valProbs"] = []
  const rule = select?.rule ?? "none"
  const stepsPerEpoch = Math.max(1, Math.ceil(data.length / t.batch))
  const at = new Set(checkpointSteps(stepsPerEpoch, t.epochs, t.firstEpochCheckpoints ?? 1))
  let best: { epoch: number; score: number; weights: Artifact.ModelWeights } | undefined
  // With the body frozen, its outputs never change: computed once here for the training, validation
  // and test examples, they stand in for the body at every step and checkpoint, without running the
  // body again each time (the same numbers on cpu and wasm, tested; on other backends a row's result
  // may depend on its batch, so equal up to rounding).
  const frozen: { train?: ReturnType<typeof M.features>; val?: ReturnType<typeof M.features>; test?: ReturnType<typeof M.features> } = {}
  const checkpoint = async (epoch: number, meanLoss: number | null) => {
    if (test.length) curve.push({ epoch, top: (await M.predict(b.tf, model, test, undefined, frozen.test)).map(M.argmax) })
    if (!select) {
      if (epoch > 0) epochs.push({ epoch, loss: meanLoss, val: null })
      return
    }
    const probs = await M.predict(b.tf, model, select.val, undefined, frozen.val)
    valProbs.push({ epoch, probs })
    const score = select.rule === "val-accuracy"
      ? M.accuracy(probs, select.val)
      : select.rule === "val-weak-loss"
      ? meanCrossEntropy(probs, select.val)
      : (1 - select.aMax) * meanCrossEntropy(probs, select.val) + select.aMax * meanSelfEntropy(probs)
    epochs.push({ epoch, loss: meanLoss, val: score })
    if (!best || better(select.rule, score, best.score)) best = { epoch, score, weights: await M.save(model) }
  }
  let last = 0
  let sum = 0
  let batches = 0
  const evaluate = (select !== undefined || test.length > 0) && t.epochs > 0
  try {
    if (headOnly) {
      frozen.train = M.features(b.tf, model, data)
      if (select) frozen.val = M.features(b.tf, model, select.val)
      frozen.test = M.features(b.tf, model, test)
    }
    if (select || test.length) await checkpoint(0, null)
    await M.train(b.tf, model, data, {
      ...t,
      seed,
      loss,
      headOnly,
      features: frozen.train,
      lrAt: (step, total) => learningRate(t, step, total),
      onBatch: async (done, total, l) => {
        sum += l
        batches++
        const now = Date.now()
        if (now - last > 500 || done === total) {
          last = now
          progress({ done, total, unit: "steps", note: `loss ${l.toFixed(3)}` })
        }
        if (at.has(done) && (evaluate || done % stepsPerEpoch === 0)) {
          const mean = sum / Math.max(1, batches)
          sum = 0
          batches = 0
          await checkpoint(epochAt(done, stepsPerEpoch), mean)
        }
      }
    })
  } finally {
    b.tf.dispose(Object.values(frozen))
  }
  const seconds = (Date.now() - started) / 1000
  const flops = 3 * M.forwardFlops(model.arch) * data.length * t.epochs
  const chosen = best ?? { epoch: t.epochs, weights: await M.save(model) }
  const weights: Artifact.ModelWeights = { ...chosen.weights, manifest: { ...(chosen.weights.manifest as Record<string, unknown>), totalFlops: baseFlops + flops } }
  return {
    weights,
    report: {
      params: M.parameters(model.arch),
      examples: data.length,
      epochs,
      rule,
      chosenEpoch: chosen.epoch,
      flops,
      totalFlops: baseFlops + flops
    },
    curve,
    valProbs,
    timing: { seconds, examplesPerSecond: seconds > 0 ? Math.round((data.length * t.epochs) / seconds) : 0 }
  }
}

/** Cross-entropy against each example's target (hard) or soft label. */
export const crossEntropy = (b: Backend): M.Loss => (z, batch) =>
  b.tf.tidy(() => M.softCrossEntropy(b.tf, z, M.targetTensor(b.tf, batch)))
