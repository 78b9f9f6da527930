/**
 * The model family: MLPs over the 772 board features with a 4096-way move head, scored over legal
 * moves only (illegal moves get -1e9 before the softmax). Sizes differ in width and depth; see the
 * ladder in pipelines/w2s-chess.ts for how pretraining grows with them. The head is `full` (the
 * last layer gives all 4096 (from, to) scores) or `factored`: the last layer gives, per square, a
 * from-score a, a to-score b and rank-k embeddings u (as a from-square) and v (as a to-square), and
 * move (f, t) scores a_f + b_t + <u_f, v_t> / sqrt(k): 128 + 128k outputs instead of 4096.
 * Weights initialise from a seed (He normal), and training batches are drawn by a seeded shuffle,
 * so a training node is deterministic on a backend.
 */
import type * as TF from "@tensorflow/tfjs-core"
import type { Artifact } from "../../src/index.ts"
import { rng } from "../chess/rng.ts"
import { type Example, INPUTS, MOVES } from "./encode.ts"

export interface Architecture {
  readonly width: number
  readonly depth: number
  /** absent: full */
  readonly head?: "full" | "factored" | undefined
  /** the factored head's rank k (absent: DEFAULT_RANK) */
  readonly rank?: number | undefined
}

export const DEFAULT_RANK = 8
const SQUARES = 64

const factored = (a: Architecture) => a.head === "factored"
const rankOf = (a: Architecture) => a.rank ?? DEFAULT_RANK
/** Outputs of the last layer: the 4096 move scores, or the factored head's per-square parts. */
const headOutputs = (a: Architecture) => (factored(a) ? 2 * SQUARES + 2 * SQUARES * rankOf(a) : MOVES)

export interface Mlp {
  readonly arch: Architecture
  readonly vars: ReadonlyArray<TF.Variable>
}

const layerShapes = (a: Architecture): Array<[number, number]> => {
  const dims = [INPUTS, ...Array.from({ length: a.depth }, () => a.width), headOutputs(a)]
  return dims.slice(1).map((d, i) => [dims[i]!, d])
}

/** Parameter count of an architecture. */
export const parameters = (a: Architecture): number => layerShapes(a).reduce((s, [i, o]) => s + i * o + o, 0)

/**
 * Multiply-adds x2 of one forward pass of one example (the factored head's u.v products included);
 * training costs about 3x this.
 */
export const forwardFlops = (a: Architecture): number =>
  layerShapes(a).reduce((s, [i, o]) => s + 2 * i * o, 0) + (factored(a) ? 2 * MOVES * rankOf(a) : 0)

/**
 * Seeded He-normal initialisation. TensorFlow.js treats a seed of 0 as "no seed" (random), so each
 * layer's seed is drawn from (seed, layer) and is never 0.
 */
export const init = (tf: typeof TF, arch: Architecture, seed: number): Mlp => {
  const vars = tf.tidy(() =>
    layerShapes(arch).flatMap(([i, o], l) => [
      tf.variable(tf.randomNormal([i, o], 0, Math.sqrt(2 / i), "float32", 1 + Math.floor(rng(seed, "init", l)() * 2 ** 31)), true),
      tf.variable(tf.zeros([o]), true)
    ])
  )
  return { arch, vars }
}

export const dispose = (m: Mlp) => m.vars.forEach((v) => v.dispose())

/**
 * A Float32Array of `length` filled with `fill`, for a batch tensor's values. On wasm, which copies
 * a tensor's values into its own memory when the tensor is made, one array per use is kept and
 * reused: a training step would otherwise leave about 9 MB of arrays behind (batch 256), and V8
 * answered that garbage with full collections that mark every example a stage holds. On Node 24,
 * pretraining s2 of `default` used 319 CPU-seconds before and 222 after, with the same model bytes.
 * Other backends may keep the array itself, so they get a new one each time.
 */
const scratch = new Map<string, Float32Array>()
const batchArray = (tf: typeof TF, use: "x" | "mask" | "target", length: number, fill: number): Float32Array => {
  if (tf.getBackend() !== "wasm") return new Float32Array(length).fill(fill)
  let kept = scratch.get(use)
  if (!kept || kept.length < length) scratch.set(use, (kept = new Float32Array(length)))
  return kept.subarray(0, length).fill(fill)
}

/** Dense input and legal-move mask for a batch of examples. */
export function batchTensors(tf: typeof TF, xs: ReadonlyArray<Example>): { x: TF.Tensor2D; mask: TF.Tensor2D }
export function batchTensors(tf: typeof TF, xs: ReadonlyArray<Example>, withMask: false): { x: TF.Tensor2D; mask: undefined }
export function batchTensors(tf: typeof TF, xs: ReadonlyArray<Example>, withMask = true) {
  const x = batchArray(tf, "x", xs.length * INPUTS, 0)
  xs.forEach((e, i) => {
    for (const f of e.features) x[i * INPUTS + f] = 1
  })
  return { x: tf.tensor2d(x, [xs.length, INPUTS]), mask: withMask ? maskTensor(tf, xs) : undefined }
}

/** The legal-move mask of a batch: 0 on each example's legal moves, -1e9 elsewhere. */
export const maskTensor = (tf: typeof TF, xs: ReadonlyArray<Example>): TF.Tensor2D => {
  const mask = batchArray(tf, "mask", xs.length * MOVES, -1e9)
  xs.forEach((e, i) => {
    for (const m of e.legal) mask[i * MOVES + m] = 0
  })
  return tf.tensor2d(mask, [xs.length, MOVES])
}

/** A dense target distribution over the 4096 moves: the soft label, else one-hot on the target. */
export const targetTensor = (tf: typeof TF, xs: ReadonlyArray<Example>) => {
  const t = batchArray(tf, "target", xs.length * MOVES, 0)
  xs.forEach((e, i) => {
    if (e.soft) e.soft.forEach((p, j) => (t[i * MOVES + e.legal[j]!] = t[i * MOVES + e.legal[j]!]! + p))
    else t[i * MOVES + e.legal[e.target]!] = 1
  })
  return tf.tensor2d(t, [xs.length, MOVES])
}

/** The factored head's 4096 scores from its outputs [n, 128 + 128k]: a_f + b_t + <u_f, v_t> / sqrt(k), at index f * 64 + t. */
const factoredScores = (tf: typeof TF, h: TF.Tensor2D, k: number): TF.Tensor2D => {
  const n = h.shape[0]
  const [a, b, u, v] = tf.split(h, [SQUARES, SQUARES, SQUARES * k, SQUARES * k], 1)
  const uv = tf.matMul(tf.reshape(u!, [n, SQUARES, k]) as TF.Tensor3D, tf.reshape(v!, [n, k, SQUARES]) as TF.Tensor3D)
  const scores = tf.add(tf.add(tf.mul(uv, 1 / Math.sqrt(k)), tf.reshape(a!, [n, SQUARES, 1])), tf.reshape(b!, [n, 1, SQUARES]))
  return tf.reshape(scores, [n, MOVES])
}

/** The body: every layer but the last, each followed by a ReLU (the input itself for a model of one layer). */
export const body = (tf: typeof TF, m: Mlp, x: TF.Tensor2D): TF.Tensor2D => {
  let h: TF.Tensor2D = x
  for (let l = 0; l + 2 < m.vars.length; l += 2) h = tf.relu(tf.add<TF.Tensor2D>(tf.matMul(h, m.vars[l] as TF.Tensor2D), m.vars[l + 1]!))
  return h
}

/** Masked logits from the body's output `h`: the last layer, then scores of illegal moves pushed to -1e9. */
export const headLogits = (tf: typeof TF, m: Mlp, h: TF.Tensor2D, mask: TF.Tensor2D): TF.Tensor2D => {
  const l = m.vars.length - 2
  const out: TF.Tensor2D = tf.add(tf.matMul(h, m.vars[l] as TF.Tensor2D), m.vars[l + 1]!)
  return tf.add(factored(m.arch) ? factoredScores(tf, out, rankOf(m.arch)) : out, mask)
}

/** Masked logits: scores of illegal moves pushed to -1e9. */
export const logits = (tf: typeof TF, m: Mlp, x: TF.Tensor2D, mask: TF.Tensor2D): TF.Tensor2D => headLogits(tf, m, body(tf, m, x), mask)

/**
 * The body's outputs for `data`, one row per example (computed in batches of `batch`), to stand in
 * for the examples while the body is frozen (`train` and `predict` with `features`): the same
 * numbers the body gives inside a training or prediction batch, computed once instead of at every
 * step. The caller disposes the tensor.
 */
export const features = (tf: typeof TF, m: Mlp, data: ReadonlyArray<Example>, batch = 512): TF.Tensor2D =>
  tf.tidy(() => {
    const parts: Array<TF.Tensor2D> = []
    for (let at = 0; at < data.length; at += batch) {
      parts.push(body(tf, m, batchTensors(tf, data.slice(at, at + batch), false).x))
    }
    return parts.length === 1 ? parts[0]! : parts.length ? tf.concat(parts, 0) : tf.zeros([0, m.vars[m.vars.length - 2]!.shape[0]!]) as TF.Tensor2D
  })

/** Mean over the batch of -sum_j target_j log softmax(logits)_j. */
export const softCrossEntropy = (tf: typeof TF, z: TF.Tensor2D, target: TF.Tensor2D): TF.Scalar =>
  tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(z)), 1))) as TF.Scalar

/**
 * The paper's auxiliary confidence loss: (1 - a) CE(f(x), f_w(x)) + a CE(f(x), hard(f(x))), with the
 * student's own prediction hardened by argmax (the paper thresholds per batch for binary tasks;
 * for moves the argmax is the natural hardening). No gradient flows through the hardening.
 */
export const auxConfidence = (tf: typeof TF, z: TF.Tensor2D, weak: TF.Tensor2D, alpha: number): TF.Scalar => {
  const hard = tf.cast(tf.oneHot(tf.argMax(z, 1) as TF.Tensor1D, z.shape[1]), "float32") as TF.Tensor2D
  return tf.add(tf.mul(1 - alpha, softCrossEntropy(tf, z, weak)), tf.mul(alpha, softCrossEntropy(tf, z, hard))) as TF.Scalar
}

/** The weight of the confidence term: linear from 0 to aMax over the first 20% of steps, then aMax. */
export const alphaAt = (step: number, totalSteps: number, aMax: number): number =>
  aMax * Math.min(1, step / Math.max(1, 0.2 * totalSteps))

export type Loss = (z: TF.Tensor2D, batch: ReadonlyArray<Example>, step: number, totalSteps: number) => TF.Scalar

export interface TrainOptions {
  readonly epochs: number
  readonly batch: number
  readonly lr: number
  readonly seed: number
  readonly loss: Loss
  /** Train only the head (the last layer, which the factored head's parts come from), the body frozen. */
  readonly headOnly?: boolean
  /**
   * With `headOnly`: the frozen body's outputs for `data` (`features`), row i for example i, used
   * in place of running the body at every step.
   */
  readonly features?: TF.Tensor2D | undefined
  /** the learning rate of step `step` (0-based) of `total` (absent: `lr` throughout) */
  readonly lrAt?: (step: number, total: number) => number
  /** after each step: steps done, of all, and the step's loss (awaited: a checkpoint may be taken here) */
  readonly onBatch?: (done: number, total: number, loss: number) => void | Promise<void>
  readonly onEpoch?: (epoch: number, meanLoss: number) => void | Promise<void>
}

/** Trains in place with Adam on seeded shuffled batches; returns the mean loss of each epoch. */
export const train = async (tf: typeof TF, m: Mlp, data: ReadonlyArray<Example>, o: TrainOptions): Promise<Array<number>> => {
  if (o.features && !o.headOnly) throw new Error("train: features stand in for a frozen body, so they need headOnly")
  if (o.features && o.features.shape[0] !== data.length) throw new Error(`train: ${o.features.shape[0]} feature rows for ${data.length} examples`)
  const opt = tf.train.adam(o.lr)
  const steps = Math.ceil(data.length / o.batch) * o.epochs
  const vars = o.headOnly ? m.vars.slice(-2) : m.vars
  const losses: Array<number> = []
  let step = 0
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const r = rng(o.seed, "shuffle", epoch)
    const order = data.map((_, i) => i)
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1))
      ;[order[i], order[j]] = [order[j]!, order[i]!]
    }
    let sum = 0
    let batches = 0
    for (let at = 0; at < order.length; at += o.batch) {
      const rows = order.slice(at, at + o.batch)
      const batch = rows.map((i) => data[i]!)
      const { x, mask } = o.features
        ? { x: tf.tidy(() => tf.gather(o.features!, tf.tensor1d(rows, "int32"))) as TF.Tensor2D, mask: maskTensor(tf, batch) }
        : batchTensors(tf, batch)
      const z = o.features ? (h: TF.Tensor2D) => headLogits(tf, m, h, mask) : (h: TF.Tensor2D) => logits(tf, m, h, mask)
      if (o.lrAt) (opt as unknown as { learningRate: number }).learningRate = o.lrAt(step, steps)
      const cost = opt.minimize(() => o.loss(z(x), batch, step, steps), true, vars as Array<TF.Variable>)!
      const value = (await cost.data())[0]!
      tf.dispose([x, mask, cost])
      sum += value
      batches++
      step++
      await o.onBatch?.(step, steps, value)
    }
    losses.push(sum / Math.max(1, batches))
    await o.onEpoch?.(epoch, losses[epoch]!)
  }
  opt.dispose()
  return losses
}

/**
 * Probabilities over each example's legal moves (aligned with `legal`). `features`: the body's
 * outputs for `data` (`features`), when the body has not changed since they were computed.
 */
export const predict = async (tf: typeof TF, m: Mlp, data: ReadonlyArray<Example>, batch = 512, features?: TF.Tensor2D): Promise<Array<Float32Array>> => {
  if (features && features.shape[0] !== data.length) throw new Error(`predict: ${features.shape[0]} feature rows for ${data.length} examples`)
  const out: Array<Float32Array> = []
  for (let at = 0; at < data.length; at += batch) {
    const xs = data.slice(at, at + batch)
    const probs = tf.tidy(() => {
      if (features) return tf.softmax(headLogits(tf, m, tf.slice(features, [at, 0], [xs.length, -1]), maskTensor(tf, xs)))
      const { x, mask } = batchTensors(tf, xs)
      return tf.softmax(logits(tf, m, x, mask))
    })
    const flat = await probs.data()
    probs.dispose()
    xs.forEach((e, i) => {
      const p = new Float32Array(e.legal.length)
      // promotions share an index: the first of them (the queen, in our move order) takes the mass
      const seen = new Set<number>()
      e.legal.forEach((idx, j) => {
        if (!seen.has(idx)) p[j] = flat[i * MOVES + idx]!
        seen.add(idx)
      })
      out.push(p)
    })
  }
  return out
}

/** Index of the largest entry. */
export const argmax = (p: ArrayLike<number>): number => {
  let best = 0
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i
  return best
}

/** Test accuracy: the share of examples whose most probable legal move is the target. */
export const accuracy = (probs: ReadonlyArray<Float32Array>, data: ReadonlyArray<Example>): number =>
  data.length === 0 ? 0 : probs.filter((p, i) => argmax(p) === data[i]!.target).length / data.length

/** Model weights as an artifact value: the architecture and shapes in the manifest, float32 bytes after. */
export const save = async (m: Mlp, extra: Record<string, unknown> = {}): Promise<Artifact.ModelWeights> => {
  const arrays = await Promise.all(m.vars.map((v) => v.data() as Promise<Float32Array>))
  const total = arrays.reduce((s, a) => s + a.length, 0)
  const flat = new Float32Array(total)
  let at = 0
  for (const a of arrays) {
    flat.set(a, at)
    at += a.length
  }
  return {
    manifest: { kind: "mlp", arch: m.arch, shapes: m.vars.map((v) => v.shape), dtype: "float32", ...extra },
    weights: new Uint8Array(flat.buffer)
  }
}

export const load = (tf: typeof TF, w: Artifact.ModelWeights): Mlp => {
  const man = w.manifest as { kind: string; arch: Architecture; shapes: Array<Array<number>> }
  if (man.kind !== "mlp") throw new Error(`model weights of kind ${man.kind}, expected mlp`)
  const flat = new Float32Array(w.weights.buffer.slice(w.weights.byteOffset, w.weights.byteOffset + w.weights.byteLength))
  let at = 0
  const vars = tf.tidy(() =>
    man.shapes.map((shape) => {
      const n = shape.reduce((a, b) => a * b, 1)
      const v = tf.variable(tf.tensor(flat.subarray(at, at + n), shape), true)
      at += n
      return v
    })
  )
  if (at !== flat.length) throw new Error(`model weights hold ${flat.length} floats, the shapes ${at}`)
  return { arch: man.arch, vars }
}
