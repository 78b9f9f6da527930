// The factored move head (from-square x to-square): its scores against a hand computation from the
// last layer's outputs, masking, seeded init, the parameter count, save/load, training, and that
// params without a head keep their encoding (the params part of a key; model.ts and pretrain.ts are
// in every learning node's code fingerprint, so changing them re-keys those nodes anyway).
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { backend } from "../stages/ml/backend.ts"
import { example, MOVES } from "../stages/ml/encode.ts"
import * as M from "../stages/ml/model.ts"
import { Arch } from "../stages/ml/pretrain.ts"

const close = (a: number, b: number, tol = 1e-4) => assert.isBelow(Math.abs(a - b), tol, `${a} vs ${b}`)

const examples = [
  example("4k3/8/8/3q4/8/2N1N3/PPP5/4K3 w - - 0 1", ["c3d5", "e3d5", "e1d1"], "e3d5"),
  example("rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq - 0 1", ["e7e5", "c7c5"], "c7c5")
]
const arch: M.Architecture = { width: 8, depth: 2, head: "factored", rank: 3 }

const scores = async (m: M.Mlp, xs = examples) => {
  const { tf } = await backend("cpu")
  const { x, mask } = M.batchTensors(tf, xs)
  const z = M.logits(tf, m, x, mask)
  return { shape: z.shape, values: await z.data() }
}

describe("the factored move head", () => {
  it("scores move (f, t) as a_f + b_t + <u_f, v_t> / sqrt(k) at index f * 64 + t, illegal moves masked", async () => {
    const { tf } = await backend("cpu")
    const m = M.init(tf, arch, 4)
    const k = arch.rank!
    const { x, mask } = M.batchTensors(tf, examples)
    // the last layer's outputs, computed here without the head
    let h = x
    for (let l = 0; l < m.vars.length; l += 2) {
      h = tf.add(tf.matMul(h, m.vars[l] as never), m.vars[l + 1]!)
      if (l + 2 < m.vars.length) h = tf.relu(h)
    }
    assert.deepStrictEqual(h.shape, [2, 128 + 128 * k])
    const out = await h.data()
    const raw = await M.logits(tf, m, x, tf.zerosLike(mask)).data()
    const { shape, values } = await scores(m)
    assert.deepStrictEqual(shape, [2, MOVES])
    const o = 128 + 128 * k
    for (let n = 0; n < 2; n++) {
      for (const [f, t] of [[0, 0], [18, 35], [63, 1], [5, 63]] as const) {
        let dot = 0
        for (let j = 0; j < k; j++) dot += out[n * o + 128 + f * k + j]! * out[n * o + 128 + 64 * k + j * 64 + t]!
        close(raw[n * MOVES + f * 64 + t]!, out[n * o + f]! + out[n * o + 64 + t]! + dot / Math.sqrt(k))
      }
      const legal = new Set(examples[n]!.legal)
      for (let i = 0; i < MOVES; i++) {
        if (legal.has(i)) assert.isAbove(values[n * MOVES + i]!, -1e3)
        else assert.isBelow(values[n * MOVES + i]!, -1e8)
      }
    }
    const p = await M.predict(tf, m, examples)
    close(p[0]!.reduce((a, b) => a + b, 0), 1, 1e-5)
  })

  it("initialises from its seed", async () => {
    const { tf } = await backend("cpu")
    const a = (await scores(M.init(tf, arch, 4))).values
    const b = (await scores(M.init(tf, arch, 4))).values
    const c = (await scores(M.init(tf, arch, 5))).values
    assert.deepStrictEqual(a, b)
    assert.notDeepEqual(a, c)
  })

  it("counts its parameters and FLOPs: the last layer has 128 + 128k outputs, the u.v products 2 x 4096k FLOPs", async () => {
    const { tf } = await backend("cpu")
    const [w, d, k] = [8, 2, 3]
    const o = 128 + 128 * k
    assert.strictEqual(M.parameters(arch), 772 * w + w + (d - 1) * (w * w + w) + w * o + o)
    assert.strictEqual(M.init(tf, arch, 1).vars.reduce((s, v) => s + v.size, 0), M.parameters(arch))
    assert.strictEqual(M.forwardFlops(arch), 2 * (772 * w + w * w + w * o) + 2 * MOVES * k)
    // the full head as before; the rank defaults
    assert.strictEqual(M.parameters({ width: w, depth: d }), 772 * w + w + w * w + w + w * MOVES + MOVES)
    assert.strictEqual(M.parameters({ width: w, depth: d, head: "factored" }), M.parameters({ ...arch, rank: M.DEFAULT_RANK }))
  })

  it("saves and loads with its architecture", async () => {
    const { tf } = await backend("cpu")
    const m = M.init(tf, arch, 4)
    const saved = await M.save(m)
    const back = M.load(tf, saved)
    assert.deepStrictEqual(back.arch, arch)
    assert.deepStrictEqual((await scores(back)).values, (await scores(m)).values)
  })

  it("trains: a few steps, whole or head only, raise the target moves' probability", async () => {
    const { tf } = await backend("cpu")
    const loss: M.Loss = (z, batch) => tf.tidy(() => M.softCrossEntropy(tf, z, M.targetTensor(tf, batch)))
    const target = async (m: M.Mlp) => (await M.predict(tf, m, examples)).map((p, i) => p[examples[i]!.target]!)
    for (const headOnly of [false, true]) {
      const m = M.init(tf, arch, 4)
      const before = await target(m)
      const body = await m.vars[0]!.data()
      await M.train(tf, m, examples, { epochs: 20, batch: 2, lr: 1e-2, seed: 1, loss, headOnly })
      const after = await target(m)
      after.forEach((p, i) => assert.isAbove(p, before[i]!))
      assert.strictEqual((await m.vars[0]!.data()).every((v, i) => v === body[i]), headOnly)
    }
  })

  it("head-only training and prediction on the frozen body's features (computed once) give the same numbers, bit for bit, as running the body each time", async () => {
    for (const name of ["cpu", "wasm"] as const) {
      const { tf } = await backend(name)
      const loss: M.Loss = (z, batch) => tf.tidy(() => M.softCrossEntropy(tf, z, M.targetTensor(tf, batch)))
      // 7 distinct positions, uneven batches (batch 3), features computed in batches of another size
      // (4) and predictions in a third (5)
      const data = [
        ...examples,
        example("r1bqkbnr/pppp1ppp/2n5/4p3/4P3/5N2/PPPP1PPP/RNBQKB1R w KQkq - 2 3", ["f1b5", "f1c4", "d2d4"], "f1b5"),
        example("6k1/5ppp/8/8/8/8/5PPP/R5K1 w - - 0 1", ["a1a8", "g1f1", "h2h3"], "a1a8"),
        example("r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1", ["e1g1", "e1c1", "a1a8"], "e1c1"),
        example("8/8/8/4k3/8/8/4P3/4K3 w - - 0 1", ["e2e4", "e2e3", "e1d2"], "e2e4"),
        example("rnbqkb1r/pppp1ppp/5n2/4p3/2B1P3/8/PPPP1PPP/RNBQK1NR w KQkq - 2 3", ["d1h5", "d1f3", "g1f3"], "d1f3")
      ]
      const run = async (withFeatures: boolean) => {
        const m = M.init(tf, arch, 9)
        const feats = withFeatures ? M.features(tf, m, data, 4) : undefined
        await M.train(tf, m, data, { epochs: 3, batch: 3, lr: 1e-2, seed: 2, loss, headOnly: true, features: feats })
        const probs = await M.predict(tf, m, data, 5, feats)
        const weights = (await M.save(m)).weights
        feats?.dispose()
        M.dispose(m)
        return { probs: probs.map((p) => [...p]), weights: [...weights] }
      }
      const plain = await run(false)
      const frozen = await run(true)
      assert.deepStrictEqual(frozen.weights, plain.weights, name)
      assert.deepStrictEqual(frozen.probs, plain.probs, name)
    }
  })

  it("batch tensors keep their own values when the next batch reuses the arrays (wasm copies at creation)", async () => {
    for (const name of ["cpu", "wasm"] as const) {
      const { tf } = await backend(name)
      const first = { ...M.batchTensors(tf, [examples[0]!]), target: M.targetTensor(tf, [examples[0]!]) }
      const before = await Promise.all([first.x.data(), first.mask.data(), first.target.data()]).then((a) => a.map((v) => [...v]))
      const second = { ...M.batchTensors(tf, [examples[1]!]), target: M.targetTensor(tf, [examples[1]!]) }
      const after = await Promise.all([first.x.data(), first.mask.data(), first.target.data()]).then((a) => a.map((v) => [...v]))
      assert.deepStrictEqual(after, before, name)
      assert.notDeepEqual([...(await second.mask.data())], before[1], name)
      tf.dispose([first.x, first.mask, first.target, second.x, second.mask, second.target])
    }
  })

  it("features stand in only for a frozen body, one row per example", async () => {
    const { tf } = await backend("cpu")
    const loss: M.Loss = (z, batch) => tf.tidy(() => M.softCrossEntropy(tf, z, M.targetTensor(tf, batch)))
    const m = M.init(tf, arch, 9)
    const feats = M.features(tf, m, examples)
    assert.deepStrictEqual(feats.shape, [examples.length, arch.width])
    const failure = (p: Promise<unknown>) => p.then(() => "no error", (e: Error) => e.message)
    assert.match(await failure(M.train(tf, m, examples, { epochs: 1, batch: 2, lr: 1e-2, seed: 2, loss, features: feats })), /need headOnly/)
    assert.match(await failure(M.train(tf, m, examples.slice(1), { epochs: 1, batch: 2, lr: 1e-2, seed: 2, loss, headOnly: true, features: feats })), /2 feature rows for 1 examples/)
    assert.match(await failure(M.predict(tf, m, examples.slice(1), 512, feats)), /2 feature rows for 1 examples/)
    feats.dispose()
    M.dispose(m)
  })

  it("params without a head encode as before (no head field is added)", () => {
    const decode = Schema.decodeUnknownSync(Arch)
    const encode = Schema.encodeSync(Arch)
    assert.deepStrictEqual(encode(decode({ width: 64, depth: 1 })), { width: 64, depth: 1 })
    assert.deepStrictEqual(encode(decode({ width: 64, depth: 1, head: "factored", rank: 16 })), { width: 64, depth: 1, head: "factored", rank: 16 })
    assert.throws(() => decode({ width: 64, depth: 1, head: "conv" }))
  })
})
