/**
 * The learning half's artifact types: model weights, weak labels, training reports, evaluation
 * metrics and per-example predictions.
 */
import { Schema } from "effect"
import { Artifact } from "../../src/index.ts"

const C = Artifact.Column

export const Model = Artifact.model("Mlp")

/**
 * A supervisor's labels on puzzles it never trained on: soft (over `legal`) and hard. No ground
 * truth: this is all a student sees of its puzzles.
 */
export const WeakLabels = Artifact.table("WeakLabels", {
  fen: C.utf8,
  legal: C.list(C.utf8),
  soft: C.list(C.float32),
  hard: C.utf8
})

/**
 * The top move (index into the board's `legal`) on every test board at each checkpoint, epoch 0 (the
 * base) first; `epoch` is the checkpoint's position in epochs (fractions inside the first epoch).
 */
export const TestCurve = Artifact.table("TestCurve", {
  epoch: C.float64,
  top: C.list(C.int32)
})

const Epoch = Schema.Struct({ epoch: Schema.Number, loss: Schema.NullOr(Schema.Number), val: Schema.NullOr(Schema.Number) })

/**
 * A label-free stopping rule's scores at each checkpoint (aligned with `epochs`, epoch 0 first) and
 * the checkpoint it picked (stopping.ts).
 */
export const RulePick = Schema.Struct({ rule: Schema.String, epoch: Schema.Number, scores: Schema.Array(Schema.Number) })

/**
 * How a model was trained: size, compute, the loss and the validation score per epoch, and the
 * checkpoint chosen. Deterministic, so that equal training gives equal bytes (wall time and speed go
 * to the node's record instead).
 */
export const TrainReport = Artifact.json("TrainReport", Schema.Struct({
  params: Schema.Int,
  examples: Schema.Int,
  epochs: Schema.Array(Epoch),
  /**
   * how the output checkpoint was chosen: "val-accuracy" (ground truth), "val-weak-loss" or
   * "val-weak-auxconf" (the supervisor's labels), "none" (the last epoch: pretraining)
   */
  rule: Schema.String,
  chosenEpoch: Schema.Number,
  /** students only: every label-free stopping rule's scores and pick (the output is `rule`'s pick) */
  rules: Schema.optionalKey(Schema.Array(RulePick)),
  /** FLOPs of this training, and including everything its base model was trained with */
  flops: Schema.Number,
  totalFlops: Schema.Number
}))

/**
 * The student's checkpoints that results compare: the last one; those picked by the label-free
 * stopping rules (stopping.ts: `weak-val`, the loss against the supervisor's validation labels;
 * `disagreement`, the rate of confident disagreement with the supervisor; `pool-agreement`, the
 * expected accuracy under the pool of base and supervisor); and the test oracle's (the best test reading).
 */
export const CheckpointNames = ["final", "weak-val", "disagreement", "pool-agreement", "oracle-test"] as const
/** The checkpoints label-free rules pick (what a user without ground truth could ship). */
export const RuleNames = ["weak-val", "disagreement", "pool-agreement"] as const
export type CheckpointName = (typeof CheckpointNames)[number]

const Checkpoint = Schema.Struct({
  name: Schema.Literals(CheckpointNames),
  epoch: Schema.Number,
  accStudent: Schema.Number,
  /** null when the ceiling is not above the weak supervisor */
  pgr: Schema.NullOr(Schema.Number),
  agreeWhenWeakRight: Schema.Number,
  agreeWhenWeakWrong: Schema.Number
})

/** One (weak, strong, method, seed) evaluation on the test split. */
export const Metrics = Artifact.json("Metrics", Schema.Struct({
  weak: Schema.String,
  strong: Schema.String,
  method: Schema.String,
  seed: Schema.Int,
  n: Schema.Int,
  accWeak: Schema.Number,
  accCeiling: Schema.Number,
  accZeroShot: Schema.Number,
  /** the baseline that needs no labels: the log-linear pool of the student's base and the supervisor (pool.ts) */
  accPool: Schema.Number,
  /** the epochs ground-truth validation picked for the supervisor and the ceiling */
  weakEpoch: Schema.Number,
  ceilingEpoch: Schema.Number,
  checkpoints: Schema.Array(Checkpoint),
  /** the student's checkpoints' positions in epochs, 0 (its base) first: what `...ByEpoch` are aligned with */
  epochs: Schema.Array(Schema.Number),
  /** the student's test accuracy and PGR at each checkpoint, epoch 0 (its base, zero-shot) first */
  accByEpoch: Schema.Array(Schema.Number),
  pgrByEpoch: Schema.Array(Schema.NullOr(Schema.Number)),
  /** the student's loss against its supervisor's labels on the validation split, per epoch */
  valByEpoch: Schema.Array(Schema.NullOr(Schema.Number)),
  strongParams: Schema.Int,
  strongFlops: Schema.Number,
  weakParams: Schema.Int
}))

/** Every test puzzle's answer and each model's top move: what the summary's intervals are computed from. */
export const Predictions = Artifact.table("Predictions", {
  fen: C.utf8,
  game: C.int32,
  truth: C.utf8,
  weak: C.utf8,
  ceiling: C.utf8,
  zeroShot: C.utf8,
  /** the log-linear pool of the student's base and the supervisor */
  pool: C.utf8,
  studentFinal: C.utf8,
  studentWeakVal: C.utf8,
  studentDisagreement: C.utf8,
  studentPoolAgreement: C.utf8,
  studentOracleTest: C.utf8
})

/** One row per (weak, strong, method, seed, student checkpoint). */
export const Results = Artifact.table("Results", {
  weak: C.utf8,
  strong: C.utf8,
  method: C.utf8,
  seed: C.int32,
  checkpoint: C.utf8,
  epoch: C.float64,
  n: C.int32,
  accWeak: C.float64,
  accStudent: C.float64,
  accCeiling: C.float64,
  accZeroShot: C.float64,
  pgr: C.nullable(C.float64),
  strongParams: C.int32,
  strongFlops: C.float64
})

/** The summary's statistics, each with the bounds of its 95% interval (`...Lo95`, `...Hi95`). */
export const SummaryStatistics = [
  "accWeak",
  "accStudent",
  "accCeiling",
  "accZeroShot",
  "studentMinusWeak",
  "ceilingMinusWeak",
  "pgr",
  "studentMinusMaxWeakZeroShot",
  "agreeWhenWeakRight",
  "agreeWhenWeakWrong"
] as const

const nullableFloat = () => C.nullable(C.float64)

/** The columns of one family-adjusted comparison `prefix` (families.ts). */
const familyColumns = <P extends string>(prefix: P) => ({
  [`${prefix}Family`]: C.utf8,
  [`${prefix}P`]: nullableFloat(),
  [`${prefix}PHolm`]: nullableFloat(),
  [`${prefix}LoFamily`]: nullableFloat(),
  [`${prefix}HiFamily`]: nullableFloat(),
  [`${prefix}Survives`]: C.bool
}) as Record<`${P}${"Family"}`, typeof C.utf8> & Record<`${P}${"P" | "PHolm" | "LoFamily" | "HiFamily"}`, ReturnType<typeof nullableFloat>> & Record<`${P}Survives`, typeof C.bool>

/** The statistics whose variance the summary splits into test puzzles and seeds. */
const Components = ["studentMinusWeak", "ceilingMinusWeak", "studentMinusMaxWeakZeroShot"] as const

/**
 * Per (weak, strong, method, student checkpoint): seed means of every statistic with its
 * per-comparison 95% interval (stats.ts: t over seeds, Fieller's for PGR). `pgrReadable`: the
 * (ceiling - weak) interval lies above 0, so PGR has a denominator known to be positive.
 * `...VarPuzzles` / `...VarSeeds` / `...VarPretraining`: the variance of the estimate explained by
 * test puzzles (by games), added by seeds, and added by pretraining runs (where runs serve several seeds). `studentMinusMaxWeakZeroShot...`: that gain as a member of its family (every
 * cell at this checkpoint): p-value, Holm-adjusted p-value, simultaneous interval, and whether it
 * survives the family.
 */
export const Summary = Artifact.table("Summary", {
  weak: C.utf8,
  strong: C.utf8,
  method: C.utf8,
  checkpoint: C.utf8,
  seeds: C.int32,
  puzzles: C.int32,
  meanEpoch: C.float64,
  ...Object.fromEntries(SummaryStatistics.flatMap((k) => [[k, nullableFloat()], [`${k}Lo95`, nullableFloat()], [`${k}Hi95`, nullableFloat()]])) as Record<
    `${(typeof SummaryStatistics)[number]}${"" | "Lo95" | "Hi95"}`,
    ReturnType<typeof nullableFloat>
  >,
  ...Object.fromEntries(Components.flatMap((k) => [[`${k}VarPuzzles`, nullableFloat()], [`${k}VarSeeds`, nullableFloat()], [`${k}VarPretraining`, nullableFloat()]])) as Record<
    `${(typeof Components)[number]}${"VarPuzzles" | "VarSeeds" | "VarPretraining"}`,
    ReturnType<typeof nullableFloat>
  >,
  ...familyColumns("studentMinusMaxWeakZeroShot"),
  pgrReadable: C.bool,
  interval: C.utf8
})

const suffix = { final: "Final", "weak-val": "WeakVal", disagreement: "Disagreement", "pool-agreement": "PoolAgreement", "oracle-test": "OracleTest" } as const
export const checkpointSuffix = suffix

/** The regret columns: per stopping rule (and the final checkpoint, no stopping), oracle-test - that checkpoint. */
export const RegretOf = { final: "regretFinal", "weak-val": "regretWeakVal", disagreement: "regretDisagreement", "pool-agreement": "regretPoolAgreement" } as const
const regretColumns = <P extends string>(prefix: P) => ({
  [prefix]: nullableFloat(),
  [`${prefix}Lo95`]: nullableFloat(),
  [`${prefix}Hi95`]: nullableFloat(),
  ...familyColumns(prefix)
}) as Record<`${P}${"" | "Lo95" | "Hi95"}`, ReturnType<typeof nullableFloat>> & ReturnType<typeof familyColumns<P>>

/**
 * The student checkpoints side by side per (weak, strong, method): student accuracy and PGR at the
 * final checkpoint, at each label-free rule's pick and at the test oracle's, each with its 95%
 * interval (the same numbers as `Summary`, rearranged for reading); the baselines that need no
 * labels (the untouched base, zero-shot, and the pool of base and supervisor) with theirs; and per
 * rule (and the final checkpoint) the regret, the oracle's accuracy less that checkpoint's (paired),
 * as a member of that rule's family (every cell). The oracle picks the best of the test readings, so
 * a regret is biased upward.
 */
export const Checkpoints = Artifact.table("Checkpoints", {
  weak: C.utf8,
  strong: C.utf8,
  method: C.utf8,
  seeds: C.int32,
  accWeak: nullableFloat(),
  accCeiling: nullableFloat(),
  accZeroShot: nullableFloat(),
  accZeroShotLo95: nullableFloat(),
  accZeroShotHi95: nullableFloat(),
  accPool: nullableFloat(),
  accPoolLo95: nullableFloat(),
  accPoolHi95: nullableFloat(),
  ...Object.fromEntries(Object.values(suffix).flatMap((sfx) =>
    ["accStudent", "pgr"].flatMap((k) => [[`${k}${sfx}`, nullableFloat()], [`${k}${sfx}Lo95`, nullableFloat()], [`${k}${sfx}Hi95`, nullableFloat()]])
  )) as Record<`${"accStudent" | "pgr"}${(typeof suffix)[keyof typeof suffix]}${"" | "Lo95" | "Hi95"}`, ReturnType<typeof nullableFloat>>,
  pgrReadable: C.bool,
  ...regretColumns("regretFinal"),
  ...regretColumns("regretWeakVal"),
  ...regretColumns("regretDisagreement"),
  ...regretColumns("regretPoolAgreement")
})

/**
 * Each method against naive fine-tuning on the same supervisor, student size and seeds: the paired
 * difference of their students' test accuracy (method - naive) at each checkpoint, with the same
 * intervals (the same puzzles score both students), and as a member of the family of every method
 * comparison at that checkpoint (`methodMinusVersus...`, families.ts).
 */
export const MethodComparisons = Artifact.table("MethodComparisons", {
  weak: C.utf8,
  strong: C.utf8,
  method: C.utf8,
  versus: C.utf8,
  checkpoint: C.utf8,
  seeds: C.int32,
  accMethod: nullableFloat(),
  accVersus: nullableFloat(),
  methodMinusVersus: nullableFloat(),
  methodMinusVersusLo95: nullableFloat(),
  methodMinusVersusHi95: nullableFloat(),
  ...familyColumns("methodMinusVersus")
})
