/**
 * Label-free stopping rules: which checkpoint of a student to ship, from its predictions on the
 * validation puzzles, its supervisor's soft labels of them and its untouched base (checkpoint 0).
 * None reads a ground-truth answer. Each was fixed before any test number of this design was read
 * (docs/experiment.md, "Stopping rules"):
 *
 * - `weak-val`: the lowest loss against the supervisor's labels (the stage's own selection rule).
 *   It can only reward imitation, so it cannot see overfitting to the supervisor's mistakes.
 * - `disagreement`: the rate of confident disagreement with the supervisor, the share of puzzles on
 *   which the checkpoint's top move is not the supervisor's and has probability at least 0.5. The
 *   base disagrees where it believes it knows better; fitting weak labels erodes that. The rule keeps
 *   the last checkpoint before the rate first falls below half of the base's (the final one when the
 *   base never disagrees confidently: there is nothing to watch).
 * - `pool-agreement`: the expected accuracy of the checkpoint's top moves under the log-linear pool of the base
 *   and the supervisor (each puzzle's move probabilities proportional to sqrt(p_base * p_supervisor)),
 *   a label-free estimate that counts agreement with the pool's confident moves; the highest wins
 *   (the earliest on ties).
 */
import * as M from "./model.ts"

/** The rate of confident disagreement: top move not the supervisor's, with probability >= `confident`. */
export const confidentDisagreement = (probs: ReadonlyArray<Float32Array>, supervisor: ReadonlyArray<ArrayLike<number>>, confident = 0.5): number => {
  let k = 0
  probs.forEach((p, i) => {
    const top = M.argmax(p)
    if (top !== M.argmax(supervisor[i]!) && p[top]! >= confident) k++
  })
  return probs.length ? k / probs.length : 0
}

/** Each puzzle's log-linear pool of two distributions over the same moves: sqrt(a * b), renormalised. */
export const pool = (a: ArrayLike<number>, b: ArrayLike<number>): Float64Array => {
  const q = Float64Array.from({ length: a.length }, (_, j) => Math.sqrt(Math.max(a[j]!, 0) * Math.max(b[j]!, 0)))
  const z = q.reduce((s, x) => s + x, 0)
  return z > 0 ? q.map((x) => x / z) : q.fill(1 / Math.max(1, q.length))
}

/** Expected accuracy of `probs`' top moves under the pools of `base` and `supervisor`. */
export const poolAgreement = (probs: ReadonlyArray<ArrayLike<number>>, base: ReadonlyArray<ArrayLike<number>>, supervisor: ReadonlyArray<ArrayLike<number>>): number =>
  probs.length ? probs.reduce((s, p, i) => s + pool(base[i]!, supervisor[i]!)[M.argmax(p)]!, 0) / probs.length : 0

/** Index of the best score (the earliest on ties). */
const pickBy = (scores: ReadonlyArray<number>, higher: boolean): number =>
  scores.reduce((best, x, i) => ((higher ? x > scores[best]! : x < scores[best]!) ? i : best), 0)

/** The `disagreement` rule's pick: the last checkpoint before the rate first falls below half the base's. */
export const disagreementPick = (rates: ReadonlyArray<number>): number => {
  const floor = rates[0]! / 2
  if (rates[0]! <= 0) return rates.length - 1
  const below = rates.findIndex((r) => r < floor)
  return below === -1 ? rates.length - 1 : below - 1
}

export interface RuleResult {
  readonly rule: string
  /** the picked checkpoint's index (0 = the base) */
  readonly index: number
  /** the rule's score at every checkpoint */
  readonly scores: ReadonlyArray<number>
}

/**
 * Every label-free rule over a student's checkpoints. `probs[t]`: its validation predictions at
 * checkpoint t (t = 0: the untouched base); `supervisor`: the supervisor's soft labels of the same
 * puzzles; `weakVal`: the stage's own selection scores (lower is better) at each checkpoint.
 */
export const stoppingRules = (
  probs: ReadonlyArray<ReadonlyArray<Float32Array>>,
  supervisor: ReadonlyArray<ArrayLike<number>>,
  weakVal: ReadonlyArray<number>
): Array<RuleResult> => {
  if (probs.length === 0) throw new Error("no checkpoints to choose from")
  if (weakVal.length !== probs.length) throw new Error(`${weakVal.length} validation scores for ${probs.length} checkpoints`)
  const base = probs[0]!
  const rates = probs.map((p) => confidentDisagreement(p, supervisor))
  const pooled = probs.map((p) => poolAgreement(p, base, supervisor))
  return [
    { rule: "weak-val", index: pickBy(weakVal, false), scores: weakVal },
    { rule: "disagreement", index: disagreementPick(rates), scores: rates },
    { rule: "pool-agreement", index: pickBy(pooled, true), scores: pooled }
  ]
}
