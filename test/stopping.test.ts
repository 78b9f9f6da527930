// The label-free stopping rules on synthetic checkpoints whose right answer is known, and the
// fine-tuning schedule: where checkpoints fall, and the learning rate's warm-up and decay.
import { assert, describe, it } from "@effect/vitest"
import { checkpointSteps, epochAt, learningRate } from "../stages/ml/common.ts"
import { confidentDisagreement, disagreementPick, pool, poolAgreement, stoppingRules } from "../stages/ml/stopping.ts"

/** A distribution over `k` moves with `p` on `top` and the rest spread evenly. */
const peaked = (k: number, top: number, p: number) => Float32Array.from({ length: k }, (_, j) => (j === top ? p : (1 - p) / (k - 1)))

/**
 * A student that starts from a base right on 60 of 100 puzzles (the truth is move 0) and is trained
 * on a supervisor right on 40 (move 1 where it is wrong; it is right on the first 40, which the base
 * gets right too, and on none of the base's other ones). At checkpoint t the student has copied the
 * supervisor on 8 more of the base's right answers the supervisor gets wrong at each checkpoint
 * after the first (all 20 by the last), where it first gains 5 of the puzzles both got wrong and
 * swaps its own uncertain guesses for the supervisor's. Its accuracy peaks at checkpoint 1.
 */
const scenario = () => {
  const K = 5
  const n = 100
  const truth = 0
  const base = Array.from({ length: n }, (_, i) => peaked(K, i < 60 ? truth : 2, i < 60 ? 0.8 : 0.4))
  const supervisor = Array.from({ length: n }, (_, i) => peaked(K, i < 40 ? truth : 1, 0.6))
  const checkpoints = [0, 1, 2, 3, 4].map((t) =>
    Array.from({ length: n }, (_, i) => {
      if (i >= 60 && i < 65 && t >= 1) return peaked(K, truth, 0.7) // learned: right where both were wrong
      if (i >= 40 && i < 60 && i < 40 + 8 * (t - 1) && t >= 2) return peaked(K, 1, 0.7) // copied a supervisor mistake
      if (i >= 65) return t === 0 ? base[i]! : peaked(K, 1, 0.6) // gave up its own uncertain guess
      return t === 0 ? base[i]! : peaked(K, i < 60 ? truth : 2, 0.8)
    })
  )
  const acc = checkpoints.map((c) => c.filter((p) => p.indexOf(Math.max(...p)) === truth).length / n)
  return { base, supervisor, checkpoints, acc }
}

describe("label-free stopping rules", () => {
  it("the scenario's accuracy peaks at checkpoint 1 (what the rules are checked against)", () => {
    assert.deepStrictEqual(scenario().acc, [0.6, 0.65, 0.57, 0.49, 0.45])
  })

  it("confident disagreement: the share of top moves that are not the supervisor's and have probability >= 0.5", () => {
    const { checkpoints, supervisor } = scenario()
    // the base disagrees on puzzles 40-59 confidently (0.8) and on 60-99 unconfidently (0.4)
    assert.closeTo(confidentDisagreement(checkpoints[0]!, supervisor), 0.2, 1e-12)
    // checkpoint 1: 40-59 still (0.8), and 60-64 now right with 0.7 against the supervisor's move 1
    assert.closeTo(confidentDisagreement(checkpoints[1]!, supervisor), 0.25, 1e-12)
    // then 8 fewer of 40-59 at each checkpoint
    assert.closeTo(confidentDisagreement(checkpoints[2]!, supervisor), 0.17, 1e-12)
    assert.closeTo(confidentDisagreement(checkpoints[3]!, supervisor), 0.09, 1e-12)
    assert.closeTo(confidentDisagreement(checkpoints[4]!, supervisor), 0.05, 1e-12)
  })

  it("disagreement keeps the last checkpoint before the rate falls below half the base's", () => {
    assert.strictEqual(disagreementPick([0.2, 0.25, 0.17, 0.09, 0.05]), 2)
    assert.strictEqual(disagreementPick([0.2, 0.09, 0.3]), 0) // it falls at once: keep the base
    assert.strictEqual(disagreementPick([0.2, 0.2, 0.2]), 2) // it never falls: the last
    assert.strictEqual(disagreementPick([0, 0, 0]), 2) // nothing to watch: the last
  })

  it("pool: the log-linear pool is sqrt(a * b) renormalised, and agreement is its mass on the top moves", () => {
    const q = pool([0.5, 0.5, 0], [0.9, 0.1, 0])
    const z = Math.sqrt(0.45) + Math.sqrt(0.05)
    assert.closeTo(q[0]!, Math.sqrt(0.45) / z, 1e-12)
    assert.closeTo(q[1]!, Math.sqrt(0.05) / z, 1e-12)
    assert.strictEqual(q[2], 0)
    assert.closeTo(poolAgreement([Float32Array.of(0.6, 0.4, 0)], [[0.5, 0.5, 0]], [[0.9, 0.1, 0]]), q[0]!, 1e-12)
  })

  it("on the scenario: weak-val follows the supervisor to the end; disagreement and pool stop before the worst", () => {
    const { checkpoints, supervisor, acc } = scenario()
    // the loss against the supervisor's labels only falls as the student copies it
    const weakLoss = checkpoints.map((c) => c.reduce((s, p, i) => s - supervisor[i]!.reduce((t, q, j) => t + q * Math.log(p[j]!), 0), 0) / c.length)
    const picks = Object.fromEntries(stoppingRules(checkpoints, supervisor, weakLoss).map((r) => [r.rule, r.index]))
    assert.strictEqual(picks["weak-val"], 4)
    assert.strictEqual(acc[picks["weak-val"]!], 0.45, "the imitation rule ships the worst checkpoint")
    // the rate falls below half the base's at checkpoint 3: keep checkpoint 2
    assert.strictEqual(picks.disagreement, 2)
    assert.strictEqual(acc[picks.disagreement!], 0.57)
    // the pool of base and supervisor puts most mass on move 0 on the first 60 puzzles and on the
    // supervisor's move 1 on the rest, so checkpoint 1 scores highest under it
    assert.strictEqual(picks["pool-agreement"], 1)
    assert.strictEqual(acc[picks["pool-agreement"]!], 0.65, "the pool rule finds the best checkpoint here")
  })

  it("refuses checkpoints without scores", () => {
    assert.throws(() => stoppingRules([], [], []), /no checkpoints/)
    assert.throws(() => stoppingRules([[Float32Array.of(1)]], [[1]], [1, 2]), /2 validation scores for 1 checkpoints/)
  })
})

describe("the fine-tuning schedule", () => {
  it("checkpoints: k - 1 evenly spaced inside the first epoch, then every epoch's end", () => {
    assert.deepStrictEqual(checkpointSteps(40, 3, 8), [5, 10, 15, 20, 25, 30, 35, 40, 80, 120])
    assert.deepStrictEqual(checkpointSteps(40, 3), [40, 80, 120])
    // more checkpoints asked than steps: one per step
    assert.deepStrictEqual(checkpointSteps(3, 2, 8), [1, 2, 3, 6])
    assert.deepStrictEqual(checkpointSteps(39, 1, 8).map((s) => epochAt(s, 39)), [0.1282, 0.2564, 0.3846, 0.5128, 0.6154, 0.7436, 0.8718, 1])
  })

  it("learning rate: constant by default; a linear warm-up, then a cosine to 0", () => {
    assert.deepStrictEqual([0, 50, 99].map((s) => learningRate({ lr: 1e-3 }, s, 100)), [1e-3, 1e-3, 1e-3])
    const t = { lr: 1e-3, warmup: 0.1, decay: "cosine" as const }
    assert.closeTo(learningRate(t, 0, 100), 1e-4, 1e-15)
    assert.closeTo(learningRate(t, 9, 100), 1e-3, 1e-15)
    assert.closeTo(learningRate(t, 10, 100), 1e-3, 1e-15)
    assert.closeTo(learningRate(t, 55, 100), 5e-4, 1e-15)
    assert.isBelow(learningRate(t, 99, 100), 1e-5)
    // warm-up alone keeps the rate after it
    assert.closeTo(learningRate({ lr: 1e-3, warmup: 0.5 }, 80, 100), 1e-3, 1e-15)
  })
})
