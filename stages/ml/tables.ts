/**
 * The learning half's artifact types: model weights, weak labels, training reports, evaluation
 * metrics and per-example predictions.
 */
import { Schema } from "effect"
import { Artifact } from "../../src/index.ts"

const C = Artifact.Column

export const Model = Artifact.model("Mlp")

/** The weak supervisor's labels on the student split: soft (over `legal`) and hard, and the truth. */
export const WeakLabels = Artifact.table("WeakLabels", {
  fen: C.utf8,
  legal: C.list(C.utf8),
  soft: C.list(C.float32),
  hard: C.utf8,
  truth: C.utf8,
  correct: C.bool
})

const Epoch = Schema.Struct({ epoch: Schema.Int, loss: Schema.Number, testAccuracy: Schema.NullOr(Schema.Number) })

/**
 * How a model was trained: size, compute, the loss and test accuracy per epoch. Deterministic, so
 * that equal training gives equal bytes (wall time and speed go to the node's record instead).
 */
export const TrainReport = Artifact.json("TrainReport", Schema.Struct({
  params: Schema.Int,
  examples: Schema.Int,
  epochs: Schema.Array(Epoch),
  /** FLOPs of this training, and including everything its base model was trained with */
  flops: Schema.Number,
  totalFlops: Schema.Number
}))

/** One (weak, strong, method, seed) evaluation on the test split. */
export const Metrics = Artifact.json("Metrics", Schema.Struct({
  weak: Schema.String,
  strong: Schema.String,
  method: Schema.String,
  seed: Schema.Int,
  n: Schema.Int,
  accWeak: Schema.Number,
  accStudent: Schema.Number,
  accCeiling: Schema.Number,
  accZeroShot: Schema.Number,
  /** null when the ceiling is not above the weak supervisor */
  pgr: Schema.NullOr(Schema.Number),
  pgrByEpoch: Schema.Array(Schema.NullOr(Schema.Number)),
  agreeWhenWeakRight: Schema.Number,
  agreeWhenWeakWrong: Schema.Number,
  strongParams: Schema.Int,
  strongFlops: Schema.Number,
  weakParams: Schema.Int
}))

export const Predictions = Artifact.table("Predictions", {
  fen: C.utf8,
  truth: C.utf8,
  weak: C.utf8,
  student: C.utf8,
  ceiling: C.utf8,
  zeroShot: C.utf8
})

export const Results = Artifact.table("Results", {
  weak: C.utf8,
  strong: C.utf8,
  method: C.utf8,
  seed: C.int32,
  n: C.int32,
  accWeak: C.float64,
  accStudent: C.float64,
  accCeiling: C.float64,
  accZeroShot: C.float64,
  pgr: C.nullable(C.float64),
  strongParams: C.int32,
  strongFlops: C.float64
})

/** Medians over seeds with a bootstrap 95% interval. */
export const Summary = Artifact.table("Summary", {
  weak: C.utf8,
  strong: C.utf8,
  method: C.utf8,
  seeds: C.int32,
  accWeak: C.float64,
  accStudent: C.float64,
  accStudentLo: C.float64,
  accStudentHi: C.float64,
  accCeiling: C.float64,
  pgr: C.nullable(C.float64),
  pgrLo: C.nullable(C.float64),
  pgrHi: C.nullable(C.float64)
})
