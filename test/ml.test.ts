// The learning half: losses against hand-computed values, masking, encoding, the wasm matMul fix,
// label leakage and determinism of a training node (the smoke preset end to end: w2s-smoke.test.ts).
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Pipeline from "../src/Pipeline.ts"
import w2s from "../pipelines/w2s-chess.ts"
import { addWasm, backend, patchWasmMatMul } from "../stages/ml/backend.ts"
import { BLOCK, batchMatMul, simdAvailable } from "../stages/ml/bmm.ts"
import { crossEntropy, fit } from "../stages/ml/common.ts"
import { example, features, moveIndex } from "../stages/ml/encode.ts"
import { matchedNoise } from "../stages/ml/noise.ts"
import * as M from "../stages/ml/model.ts"
import { pretrain } from "../stages/ml/pretrain.ts"
import { Model } from "../stages/ml/tables.ts"
import { memoryStore, planPipeline } from "./helpers.ts"
import { pgr } from "../stages/ml/evaluate.ts"

const close = (a: number, b: number, tol = 1e-4) => assert.isBelow(Math.abs(a - b), tol, `${a} vs ${b}`)

describe("losses", () => {
  it("soft cross-entropy and the auxiliary confidence loss match hand-computed values", async () => {
    const { tf } = await backend("cpu")
    // logits (0, ln 3): softmax (0.25, 0.75)
    const z = tf.tensor2d([[0, Math.log(3)]])
    close((await M.softCrossEntropy(tf, z, tf.tensor2d([[1, 0]])).data())[0]!, -Math.log(0.25))
    close((await M.softCrossEntropy(tf, z, tf.tensor2d([[0.5, 0.5]])).data())[0]!, -(0.5 * Math.log(0.25) + 0.5 * Math.log(0.75)))
    // a = 0.5: half CE to the weak label (1, 0), half CE to the student's own argmax (0, 1)
    close((await M.auxConfidence(tf, z, tf.tensor2d([[1, 0]]), 0.5).data())[0]!, 0.5 * -Math.log(0.25) + 0.5 * -Math.log(0.75))
    close((await M.auxConfidence(tf, z, tf.tensor2d([[1, 0]]), 0).data())[0]!, -Math.log(0.25))
  })

  it("the confidence weight ramps linearly over the first 20% of steps, then holds", () => {
    assert.strictEqual(M.alphaAt(0, 100, 0.5), 0)
    close(M.alphaAt(10, 100, 0.5), 0.25)
    assert.strictEqual(M.alphaAt(20, 100, 0.5), 0.5)
    assert.strictEqual(M.alphaAt(99, 100, 0.75), 0.75)
  })

  it("PGR is undefined when the ceiling is not above the weak model", () => {
    close(pgr(0.2, 0.3, 0.4)!, 0.5)
    assert.isNull(pgr(0.4, 0.5, 0.4))
  })
})

describe("encoding and masking", () => {
  it("sees the board from the side to move: the mirrored position encodes the same", () => {
    const white = features("rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR w KQkq - 0 1")
    const black = features("rnbqkbnr/pppp1ppp/8/4p3/8/8/PPPPPPPP/RNBQKBNR b KQkq - 0 1")
    assert.deepStrictEqual([...white].sort(), [...black].sort())
    assert.strictEqual(moveIndex("e7e5", true), moveIndex("e2e4", false))
  })

  it("puts all probability on legal moves", async () => {
    const { tf } = await backend("cpu")
    const m = M.init(tf, { width: 8, depth: 1 }, 3)
    const e = example("4k3/8/8/3q4/8/2N1N3/PPP5/4K3 w - - 0 1", ["c3d5", "e3d5", "e1d1"], "c3d5")
    const { x, mask } = M.batchTensors(tf, [e])
    const probs = await tf.softmax(M.logits(tf, m, x, mask)).data()
    const legalMass = [...e.legal].reduce((s, i) => s + probs[i]!, 0)
    close(legalMass, 1, 1e-6)
    const p = (await M.predict(tf, m, [e]))[0]!
    close(p.reduce((a, b) => a + b, 0), 1, 1e-5)
    assert.strictEqual(p.length, 3)
  })
})

describe("the SIMD batched product (bmm.ts)", () => {
  type TFCore = typeof import("@tensorflow/tfjs-core")
  const wasmTf = async (): Promise<TFCore> => {
    const tf = (await import("@tensorflow/tfjs")) as unknown as TFCore
    await addWasm(tf as never)
    return tf
  }
  const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length)
  /** Equal bit for bit; on failure, how many differ and the first (a diff of the arrays would take minutes). */
  const sameBits = (x: Float32Array, y: Float32Array, what: string) => {
    assert.strictEqual(x.length, y.length, `${what}: lengths`)
    const [bx, by] = [bits(x), bits(y)]
    let differ = 0
    let first = -1
    for (let i = 0; i < bx.length; i++) {
      if (bx[i] !== by[i]) {
        differ++
        if (first < 0) first = i
      }
    }
    assert.strictEqual(differ, 0, `${what}: ${differ} of ${x.length} differ, the first at ${first} (${x[first]} against ${y[first]})`)
  }
  /** The backend's batched loop as its source states it, in float32 (Math.fround at every step). */
  const reference = (a: Float32Array, b: Float32Array, batch: number, m: number, k: number, n: number) => {
    const out = new Float32Array(batch * m * n)
    for (let p = 0; p < batch; p++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let cur = 0
          for (let k0 = 0; k0 < k; k0 += BLOCK) {
            let sum = 0
            for (let q = k0; q < Math.min(k, k0 + BLOCK); q++) sum = Math.fround(sum + Math.fround(a[(p * m + i) * k + q]! * b[(p * k + q) * n + j]!))
            cur = Math.fround(Math.fround(cur + sum) + 0)
          }
          out[(p * m + i) * n + j] = cur
        }
      }
    }
    return out
  }

  it("gives the bits of the backend's own loop, on the factored head's shapes and on several blocks of the shared dimension", async () => {
    const tf = await wasmTf()
    assert.isTrue(simdAvailable(), "WebAssembly SIMD compiles here")
    const registered = tf.getKernel("BatchMatMul", "wasm") as { patched?: { original: import("@tensorflow/tfjs-core").KernelConfig } } & import("@tensorflow/tfjs-core").KernelConfig
    const own = registered.patched?.original ?? registered
    const be = tf.backend()
    let seed = 1
    const shapes: Array<[Array<number>, Array<number>]> = [
      [[9, 64, 8], [9, 8, 64]], // the factored head's u.v, and its two gradients
      [[9, 64, 64], [9, 64, 8]],
      [[9, 8, 64], [9, 64, 64]],
      [[3, 5, 2 * BLOCK + 4], [3, 2 * BLOCK + 4, 12]], // three blocks
      [[2, 3, 7, 49], [2, 3, 49, 4]] // two batch dimensions
    ]
    for (const [sa, sb] of shapes) {
      for (const scale of [1, 1e-3, 1e4]) {
        const a = tf.mul(tf.randomNormal(sa, 0, 1, "float32", seed++), scale)
        // exact zeros of both signs in b, whose products' signs the two must treat alike
        const b = tf.mul(tf.relu(tf.randomNormal(sb, 0, 1, "float32", seed++)), tf.sign(tf.randomNormal(sb, 0, 1, "float32", seed++)))
        const mine = batchMatMul(be, a, b)
        assert.isDefined(mine, `applies to ${sa} x ${sb}`)
        const theirs = own.kernelFunc({ inputs: { a, b }, backend: be, attrs: { transposeA: false, transposeB: false } }) as import("@tensorflow/tfjs-core").TensorInfo
        const x = tf.engine().makeTensorFromTensorInfo(mine!).dataSync() as Float32Array
        const y = tf.engine().makeTensorFromTensorInfo(theirs).dataSync() as Float32Array
        const ref = reference(a.dataSync() as Float32Array, b.dataSync() as Float32Array, sa.slice(0, -2).reduce((s, d) => s * d, 1), sa.at(-2)!, sa.at(-1)!, sb.at(-1)!)
        sameBits(x, y, `${sa} x ${sb}, scale ${scale}: against the backend's kernel`)
        sameBits(x, ref, `${sa} x ${sb}, scale ${scale}: against the loop as written`)
      }
    }
    // where it does not apply, the backend's kernel runs
    assert.isUndefined(batchMatMul(be, tf.zeros([4, 3]), tf.zeros([3, 8])))
    assert.isUndefined(batchMatMul(be, tf.zeros([2, 4, 3]), tf.zeros([2, 3, 6])))
    assert.isUndefined(batchMatMul(be, tf.zeros([1, 4, 3]), tf.zeros([1, 3, 8])))
  })

  it("trains a factored-head model to the same weights, bit for bit, as the backend's kernel", async () => {
    const tf = await wasmTf()
    const train = async (simd: boolean) => {
      patchWasmMatMul(tf as never, simd)
      const r = (i: number) => Math.abs(Math.sin(i * 12.9898) * 43758.5453) % 1
      const data = Array.from({ length: 40 }, (_, i) => {
        const legal = Int16Array.from(new Set(Array.from({ length: 12 }, (_, j) => Math.floor(r(i * 31 + j) * 4096))))
        return { features: Int16Array.from(new Set(Array.from({ length: 20 }, (_, j) => Math.floor(r(i * 17 + j + 999) * 772)))), legal, moves: [...legal].map(String), target: i % legal.length }
      })
      const m = M.init(tf as never, { width: 32, depth: 2, head: "factored" }, 3)
      const loss: M.Loss = (z, batch) => tf.tidy(() => M.softCrossEntropy(tf as never, z, M.targetTensor(tf as never, batch)))
      await M.train(tf as never, m, data, { epochs: 2, batch: 16, lr: 1e-2, seed: 1, loss })
      const w = (await M.save(m)).weights
      M.dispose(m)
      return Float32Array.from(w)
    }
    const without = await train(false)
    const withSimd = await train(true)
    sameBits(withSimd, without, "the weights")
    await tf.setBackend("cpu")
  })
})

describe("the wasm BatchMatMul fix", () => {
  it("gives the same gradients as the cpu backend", async () => {
    const tf = (await import("@tensorflow/tfjs")) as unknown as typeof import("@tensorflow/tfjs-core")
    const wasm = await import("@tensorflow/tfjs-backend-wasm")
    const { createRequire } = await import("node:module")
    const { dirname, join } = await import("node:path")
    wasm.setWasmPaths(join(dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/")
    const grads = async (name: string) => {
      await tf.setBackend(name)
      if (name === "wasm") patchWasmMatMul(tf as never)
      const a = tf.tensor2d(Array.from({ length: 12 }, (_, i) => Math.sin(i)), [3, 4])
      const b = tf.tensor2d(Array.from({ length: 20 }, (_, i) => Math.cos(i)), [4, 5])
      const [ga, gb] = tf.grads((x: import("@tensorflow/tfjs-core").Tensor, y: import("@tensorflow/tfjs-core").Tensor) =>
        tf.sum(tf.square(tf.matMul(x as never, y as never))))([a, b])
      return [...(await ga!.data()), ...(await gb!.data())]
    }
    const cpu = await grads("cpu")
    const fixed = await grads("wasm")
    assert.isDefined((tf.getKernel("BatchMatMul", "wasm") as { patched?: object }).patched)
    cpu.forEach((g, i) => close(g, fixed[i]!, 1e-3))
    await tf.setBackend("cpu")
  })
})

describe("training", () => {
  const corpus = [[
    { fen: "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", legal: ["e2e4", "d2d4", "g1f3"], move: "e2e4", ply: 0, game: 0 },
    { fen: "rnbqkbnr/pppppppp/8/8/4P3/8/PPPP1PPP/RNBQKBNR b KQkq - 0 1", legal: ["e7e5", "c7c5"], move: "c7c5", ply: 1, game: 0 },
    { fen: "4k3/8/8/3q4/8/2N1N3/PPP5/4K3 w - - 0 1", legal: ["c3d5", "e3d5", "e1d1"], move: "e3d5", ply: 9, game: 1 }
  ]]
  const run = () =>
    pretrain.run({
      node: "t",
      params: { arch: { width: 8, depth: 2 }, positions: 3, blunders: 0, training: { epochs: 3, lr: 1e-2, batch: 2 }, seed: 5, backend: "cpu" },
      inputs: { corpus, blunders: [] },
      log: () => {},
      progress: () => {},
      annotate: () => {}
    }).pipe(Effect.flatMap((o) => Model.encode(o.model, "model")))

  it.effect("a training node is deterministic on one backend", () =>
    Effect.gen(function*() {
      const a = yield* run()
      const b = yield* run()
      assert.deepStrictEqual(a, b)
    }), { timeout: 30_000 })
})

describe("the matched-noise control's labels", () => {
  it("have exactly the supervisor's accuracy, errors at other places, and each soft label's confidence profile", () => {
    const legal = ["a1a2", "a1a3", "a1a4", "a1a5"]
    const puzzles = Array.from({ length: 400 }, (_, i) => ({
      fen: `fen ${i}`, side: "w", legal, best: legal[i % 4]!, bestCp: 300, secondCp: 0, engine: "t", depth: 1, game: i, ply: 0, phase: "opening", pieces: 3
    }))
    // a systematic supervisor: always plays a1a2 with 70% confidence (right on a quarter of the puzzles)
    const labels = puzzles.map((p) => ({ fen: p.fen, legal, soft: [0.7, 0.1, 0.1, 0.1], hard: "a1a2" }))
    const control = matchedNoise(labels, puzzles, 1, "train")
    const right = (ls: ReadonlyArray<{ hard: string }>) => ls.filter((l, i) => l.hard === puzzles[i]!.best).length
    assert.strictEqual(right(control), right(labels))
    assert.strictEqual(right(labels), 100)
    for (const [i, l] of control.entries()) {
      assert.strictEqual(l.legal[M.argmax(l.soft)], l.hard)
      assert.deepStrictEqual([...l.soft].sort(), [0.1, 0.1, 0.1, 0.7])
      assert.strictEqual(l.fen, puzzles[i]!.fen)
    }
    // the right ones are spread over every answer, not only where the supervisor was right
    const rightAt = control.flatMap((l, i) => (l.hard === puzzles[i]!.best ? [puzzles[i]!.best] : []))
    for (const m of legal) assert.isAbove(rightAt.filter((x) => x === m).length, 10, m)
    assert.deepStrictEqual(matchedNoise(labels, puzzles, 1, "train"), control)
  })

  it("count promotions of one pawn move as one answer, as the model does: an underpromotion of the answer is not an error", () => {
    // White to move, a7 pawn promotes: a7a8q/r/b/n share one model output; the king has three other moves
    const fen = "8/P6k/8/8/8/8/8/K7 w - - 0 1"
    const legal = ["a7a8q", "a7a8r", "a7a8b", "a7a8n", "a1a2", "a1b1", "a1b2"]
    const puzzles = Array.from({ length: 200 }, (_, i) => ({
      fen: fen.replace(" 0 1", ` 0 ${i + 1}`), side: "w", legal, best: "a7a8q", bestCp: 900, secondCp: 0, engine: "t", depth: 1, game: i, ply: 0, phase: "endgame", pieces: 3
    }))
    // the supervisor: right (the queen promotion's output) on half the puzzles, a king move on the rest;
    // predict() puts an output's mass on its first move, so underpromotions hold 0
    const labels = puzzles.map((p, i) => i % 2
      ? { fen: p.fen, legal, soft: [0.6, 0, 0, 0, 0.2, 0.1, 0.1], hard: "a7a8q" }
      : { fen: p.fen, legal, soft: [0.1, 0, 0, 0, 0.7, 0.1, 0.1], hard: "a1a2" })
    const control = matchedNoise(labels, puzzles, 3, "train")
    assert.strictEqual(control.filter((l) => l.hard.startsWith("a7a8")).length, 100)
    // every wrong label is a king move, never an underpromotion; every right one is the queen promotion
    assert.sameMembers([...new Set(control.map((l) => l.hard))].filter((m) => m.startsWith("a7a8")), ["a7a8q"])
    for (const l of control) {
      assert.strictEqual(l.legal[M.argmax(l.soft)], l.hard)
      assert.deepStrictEqual(l.soft.slice(1, 4), [0, 0, 0], "the underpromotions keep no mass")
    }
  })
})

describe("the plausible-error control's labels", () => {
  it("put their errors on the same puzzles as the uniform control, each wrong move drawn by the supervisor's own probabilities", () => {
    const legal = ["a1a2", "a1a3", "a1a4", "a1a5"]
    const puzzles = Array.from({ length: 2000 }, (_, i) => ({
      fen: `fen ${i}`, side: "w", legal, best: legal[i % 4]!, bestCp: 300, secondCp: 0, engine: "t", depth: 1, game: i, ply: 0, phase: "opening", pieces: 3
    }))
    // the supervisor finds a1a3 tempting (0.5), a1a4 less (0.3), the rest little; its top move is a1a3
    const labels = puzzles.map((p) => ({ fen: p.fen, legal, soft: [0.1, 0.5, 0.3, 0.1], hard: "a1a3" }))
    const uniform = matchedNoise(labels, puzzles, 5, "train", "uniform")
    const plausible = matchedNoise(labels, puzzles, 5, "train", "plausible")
    const wrongAt = (ls: ReadonlyArray<{ hard: string }>) => ls.flatMap((l, i) => (l.hard === puzzles[i]!.best ? [] : [i]))
    // the same places, so the same accuracy as the supervisor (a quarter right)
    assert.deepStrictEqual(wrongAt(plausible), wrongAt(uniform))
    assert.strictEqual(wrongAt(plausible).length, 1500)
    // among the wrong moves, how often each is drawn follows the supervisor's probabilities over the
    // wrong ones: where the answer is a1a2, the wrong moves a1a3, a1a4, a1a5 weigh 0.5, 0.3, 0.1
    const share = (ls: ReadonlyArray<{ hard: string }>, move: string) => {
      const at = wrongAt(ls).filter((i) => puzzles[i]!.best === "a1a2")
      return at.filter((i) => ls[i]!.hard === move).length / at.length
    }
    assert.closeTo(share(plausible, "a1a3"), 5 / 9, 0.08)
    assert.closeTo(share(plausible, "a1a5"), 1 / 9, 0.06)
    assert.closeTo(share(uniform, "a1a3"), 1 / 3, 0.08)
    // the uniform draw is the control as it was before the plausible one existed (the default draw)
    assert.deepStrictEqual(matchedNoise(labels, puzzles, 5, "train"), uniform)
  })
})

describe("initialisation", () => {
  it.effect("is deterministic for every seed, 0 included (TensorFlow.js reads a seed of 0 as none)", () =>
    Effect.gen(function*() {
      const b = yield* Effect.promise(() => backend("cpu"))
      for (const seed of [0, 1]) {
        const bytes = () => Effect.promise(async () => {
          const m = M.init(b.tf, { width: 8, depth: 1 }, seed)
          const w = await M.save(m)
          M.dispose(m)
          return Buffer.from(w.weights).toString("base64")
        })
        assert.strictEqual(yield* bytes(), yield* bytes(), `seed ${seed}`)
      }
    }))
})

describe("w2s-chess wiring", () => {
  const wire = (n: { inputs: Readonly<Record<string, { node: string; port: string }>> }, port: string) => {
    const w = n.inputs[port]!
    return `${w.node.replace(/\/s\d+$/, "/sN")}.${w.port}`
  }
  const typeOf = (n: Pipeline.GraphNode, port: string) => {
    const p = n.stage.inputs[port] as { name?: string; item?: { name: string } }
    return p.item?.name ?? p.name
  }

  for (const preset of ["default", "smoke", "paper"]) {
    // where each preset's models are scored: its seeds' test splits, or their confirmatory parts
    const scored = preset === "smoke" ? "split/sN.testBoards" : "confirm/sN.testBoards"
    it.effect(`${preset}: no label leakage: the weak model never sees the split it labels, nor does any model train on test`, () =>
      Effect.gen(function*() {
        const g = yield* Pipeline.graph(w2s, preset, [])
        let checked = 0
        for (const n of g.nodes) {
          if (n.stage.name === "train-weak") assert.strictEqual(wire(n, "train"), "split/sN.weak")
          if (n.stage.name === "ceiling") assert.strictEqual(wire(n, "train"), "split/sN.strong")
          if (n.stage.name === "label") {
            assert.include(["split/sN.strong", "split/sN.fresh", "split/sN.val"], wire(n, "puzzles"))
            checked++
          }
          for (const [port, w] of Object.entries(n.inputs)) {
            // only the scorers read the test answers; nothing that trains does
            if ((w.node.startsWith("split/") || w.node.startsWith("confirm/")) && w.port === "test") assert.include(["evaluate", "ladder-knowledge"], n.stage.name, `${n.id} reads the test split as ${port}`)
            if ((w.node.startsWith("split/") || w.node.startsWith("confirm/")) && w.port === "testBoards") assert.strictEqual(port, "test", `${n.id} reads test boards as ${port}`)
            // a seed's nodes read only that seed's split
            const seed = n.id.match(/\/s(\d+)(\/val)?$/)?.[1]
            if (w.node.startsWith("split/") && seed !== undefined) assert.strictEqual(w.node, `split/s${seed}`, n.id)
            if (w.node.startsWith("confirm/") && seed !== undefined) assert.strictEqual(w.node, `confirm/s${seed}`, n.id)
          }
        }
        assert.isAbove(checked, 0)
      }))

    it.effect(`${preset}: students never see ground truth, in training or in early stopping`, () =>
      Effect.gen(function*() {
        const g = yield* Pipeline.graph(w2s, preset, [])
        const students = g.nodes.filter((n) => n.stage.name === "train-strong")
        assert.isAbove(students.length, 0)
        let noise = 0
        for (const n of students) {
          // no input of a student holds an answer: a model, labels without the truth, boards without answers
          assert.deepStrictEqual(Object.keys(n.inputs).sort(), ["base", "labels", "test", "valLabels"], n.id)
          assert.deepStrictEqual(["base", "labels", "valLabels", "test"].map((p) => typeOf(n, p)), ["Mlp", "WeakLabels", "WeakLabels", "Boards"], n.id)
          assert.deepStrictEqual(Object.keys((n.stage.inputs.labels as unknown as { columns: object }).columns), ["fen", "legal", "soft", "hard"])
          assert.strictEqual(g.byId.get(n.inputs.base!.node)!.stage.name, "pretrain", n.id)
          // boards without answers, from where the preset scores (scoreOn)
          assert.strictEqual(wire(n, "test"), scored, n.id)
          // both label sets come from a supervisor (a weak model or a student), never from the ceiling,
          // and from the same supervisor; the early-stopping set is the validation split
          let labeller = (port: string) => g.byId.get(n.inputs[port]!.node)!
          if (labeller("labels").stage.name === "noisy-labels") {
            // the matched-noise control: labels remade from a supervisor's (it places errors knowing the
            // truth; the student sees only the remade labels), both sets from one node of this seed
            const control = labeller("labels")
            assert.strictEqual(n.inputs.valLabels!.node, control.id)
            assert.deepStrictEqual([n.inputs.labels!.port, n.inputs.valLabels!.port], ["labels", "valLabels"])
            assert.match(n.id, /\/noise(-plausible)?\//)
            labeller = (port: string) => g.byId.get(control.inputs[port]!.node)!
            noise++
          }
          const [train, val] = [labeller("labels"), labeller("valLabels")]
          assert.strictEqual(train.stage.name, "label")
          assert.strictEqual(val.stage.name, "label")
          assert.strictEqual(val.inputs.model!.node, train.inputs.model!.node, n.id)
          assert.include(["train-weak", "train-strong"], g.byId.get(train.inputs.model!.node)!.stage.name, n.id)
          assert.strictEqual(wire(val, "puzzles"), "split/sN.val")
          assert.notStrictEqual(wire(train, "puzzles"), "split/sN.val")
        }
        assert.isAbove(noise, 0, "the control is in the preset")
        // every label-free stopping rule runs inside the student node (stopping.ts), on the inputs above;
        // the label-free baseline pools two models on boards without answers
        const pools = g.nodes.filter((n) => n.stage.name === "pool")
        assert.isAbove(pools.length, 0)
        for (const n of pools) {
          assert.deepStrictEqual(["base", "supervisor", "test"].map((p) => typeOf(n, p)), ["Mlp", "Mlp", "Boards"], n.id)
          // boards without answers, from where the preset scores (scoreOn)
          assert.strictEqual(wire(n, "test"), scored, n.id)
          assert.strictEqual(g.byId.get(n.inputs.supervisor!.node)!.stage.name, "train-weak", n.id)
        }
      }))
  }

  it.effect("strong.aMax reaches only the auxconf students: no other node's params (so key) change with it", () =>
    Effect.gen(function*() {
      for (const preset of ["default", "smoke", "paper"]) {
        const [a, b] = [yield* Pipeline.graph(w2s, preset, []), yield* Pipeline.graph(w2s, preset, ["strong.aMax=0.3"])]
        const changed = a.nodes.filter((n) => b.byId.get(n.id)!.paramsText !== n.paramsText).map((n) => n.id)
        const auxconf = a.nodes.filter((n) => n.stage.name === "train-strong" && (n.params as { method: string }).method === "auxconf").map((n) => n.id)
        assert.isAbove(auxconf.length, 0)
        assert.sameMembers(changed, auxconf, preset)
        // naive students' params hold no aMax at all
        for (const n of a.nodes.filter((x) => x.stage.name === "train-strong" && (x.params as { method: string }).method === "naive")) assert.notProperty(n.params, "aMax")
      }
    }))

  it.effect("gtTuned (the setting chosen with ground truth) reaches only the naive-gt students, which read what naive ones read", () =>
    Effect.gen(function*() {
      // a setting of its own (with the naive students' setting the two students are one node, the naive-gt id an alias)
      const sets = ["methods=[\"naive\",\"naive-gt\"]", "gtTuned.training.lr=0.00003"]
      const [a, b] = [yield* Pipeline.graph(w2s, "default", sets), yield* Pipeline.graph(w2s, "default", [...sets, "gtTuned.training.lr=0.00002"])]
      const changed = a.nodes.filter((n) => b.byId.get(n.id)!.paramsText !== n.paramsText).map((n) => n.id)
      const gt = a.nodes.filter((n) => n.id.includes("/naive-gt/")).map((n) => n.id)
      assert.isAbove(gt.filter((id) => id.startsWith("train-strong/")).length, 0)
      // the students and, downstream, their evaluations, results and figures: no supervisor, ceiling or naive student
      assert.includeMembers(changed, gt.filter((id) => id.startsWith("train-strong/")))
      assert.isFalse(changed.some((id) => /^(train-weak|ceiling|label|pool|pretrain)\//.test(id) || id.includes("/naive/")), changed.join(", "))
      for (const id of gt.filter((x) => x.startsWith("train-strong/"))) {
        const n = b.byId.get(id)!
        const naive = b.byId.get(id.replace("/naive-gt/", "/naive/"))!
        assert.deepStrictEqual(n.inputs, naive.inputs, id)
        assert.strictEqual((n.params as { training: { lr: number } }).training.lr, 0.00002)
        assert.strictEqual((n.params as { method: string }).method, "naive")
      }
      // at the naive students' own setting (default's gtTuned) the two students are one node, naive-gt an alias,
      // while each keeps its own evaluation (and so its rows in the results)
      const same = yield* Pipeline.graph(w2s, "default", [sets[0]!])
      const student = same.byId.get("train-strong/s0-s3/naive/s0")!
      assert.include(student.aliases, "train-strong/s0-s3/naive-gt/s0")
      assert.isFalse(same.byId.has("train-strong/s0-s3/naive-gt/s0"))
      const ev = same.byId.get("evaluate/s0-s3/naive-gt/s0")!
      assert.strictEqual(ev.inputs.studentCurve!.node, student.id)
      assert.notStrictEqual(ev.paramsText, same.byId.get("evaluate/s0-s3/naive/s0")!.paramsText)
    }))

  it.effect("bootstrapping chains pass only through bootstrap.through, each step on its own fresh slice", () =>
    Effect.gen(function*() {
      const chains = (sets: ReadonlyArray<string>) =>
        Effect.map(Pipeline.graph(w2s, "default", ["seeds=[0]", "replicates=1", ...sets]), (g) => {
          const steps = new Map<string, Array<string>>()
          for (const n of g.nodes.filter((x) => /^train-strong\/.*\/bootstrap\//.test(x.id))) {
            // walk the supervisors back to the weak model: each step's labels come from the step before
            const path: Array<string> = []
            // the last step labels the student split; every step before it a fresh slice of its own
            let label = g.byId.get(n.inputs.labels!.node)!
            assert.strictEqual(wire(label, "puzzles"), "split/sN.strong")
            const parts = new Set<number>()
            for (;;) {
              const model = g.byId.get(label.inputs.model!.node)!
              if (model.stage.name === "train-weak") break
              path.unshift(model.inputs.base!.node)
              label = g.byId.get(model.inputs.labels!.node)!
              assert.strictEqual(wire(label, "puzzles"), "split/sN.fresh")
              parts.add((label.params as { part: { index: number } }).part.index)
            }
            assert.strictEqual(parts.size, path.length, n.id)
            steps.set(n.id.split("/")[1]!, path)
          }
          return Object.fromEntries(steps)
        })
      // the default: through s2 only, so s0 -> s2 is not bootstrapped and neither chain meets s1
      assert.deepStrictEqual(yield* chains([]), { "s0-s3": ["pretrain/s2"], "s1-s3": ["pretrain/s2"] })
      assert.deepStrictEqual(yield* chains(['bootstrap.through=["s1","s2"]']), {
        "s0-s2": ["pretrain/s1"],
        "s0-s3": ["pretrain/s1", "pretrain/s2"],
        "s1-s3": ["pretrain/s2"]
      })
      assert.deepStrictEqual(yield* chains(["bootstrap.through=[]"]), {})
    }))

  it.effect("seeds are replications: each has its own split and unpretrained members; pretrained bases are shared by the seeds of a pretraining run", () =>
    Effect.gen(function*() {
      const g = yield* Pipeline.graph(w2s, "default", [])
      const ids = g.nodes.map((n) => n.id)
      assert.includeMembers(ids, ["split/s0", "split/s1", "split/s2", "pretrain/s0/s0", "pretrain/s0/s1", "pretrain/s0/s2", "pretrain/s1/r0", "pretrain/s3/r2"])
      assert.notInclude(ids, "pretrain/s1/s0")
      const seedOf = (id: string) => (g.byId.get(id)!.params as { seed: number }).seed
      assert.deepStrictEqual([seedOf("split/s0"), seedOf("split/s1"), seedOf("pretrain/s0/s0"), seedOf("pretrain/s0/s2")], [0, 1, 0, 2])
      // seed s uses pretraining run s mod 3
      const basesOf = (seed: number) => new Set(g.nodes.filter((n) => n.id.startsWith("train-strong/s0-s3/") && n.id.endsWith(`/s${seed}`)).map((n) => n.inputs.base!.node))
      assert.deepStrictEqual([0, 1, 2, 3, 4, 5].map((s) => [...basesOf(s)]), [["pretrain/s3/r0"], ["pretrain/s3/r1"], ["pretrain/s3/r2"], ["pretrain/s3/r0"], ["pretrain/s3/r1"], ["pretrain/s3/r2"]])
    }))

  it.effect("pretraining replicates: R runs per pretrained member with their own seeds (so keys); run 0 is the single run's node", () =>
    Effect.gen(function*() {
      const g = yield* Pipeline.graph(w2s, "default", ["data.engine=wasm", "backend=wasm"])
      const seedOf = (graph: typeof g, id: string) => (graph.byId.get(id)!.params as { seed: number }).seed
      for (const m of ["s1", "s2", "s3"]) {
        const runs = g.nodes.filter((n) => n.id.startsWith(`pretrain/${m}/r`)).map((n) => n.id).sort()
        assert.deepStrictEqual(runs, [0, 1, 2].map((r) => `pretrain/${m}/r${r}`))
        assert.strictEqual(new Set(runs.map((id) => seedOf(g, id))).size, 3, `${m}: three seeds`)
      }
      assert.isFalse(g.nodes.some((n) => /^pretrain\/s0\/r/.test(n.id)), "an unpretrained member has no runs")
      // run 0 is the node a single run makes: same stage, params and inputs, so the same key
      const single = yield* Pipeline.graph(w2s, "default", ["data.engine=wasm", "backend=wasm", "replicates=1"])
      const r0 = g.byId.get("pretrain/s3/r0")!, one = single.byId.get("pretrain/s3")!
      assert.deepStrictEqual(r0.params, one.params)
      assert.deepStrictEqual(Object.values(r0.inputs).map((i) => i.node), Object.values(one.inputs).map((i) => i.node))
      // in a plan, once the inputs are committed, the three runs have three keys: shown on the toy-sized smoke ladder
      const plan = yield* planPipeline(memoryStore().store, w2s, ["replicates=3", "seeds=[0,1,2]"], "smoke")
      const smokeRuns = plan.nodes.filter((n) => /^pretrain\/s[12]\/r\d$/.test(n.id))
      assert.strictEqual(smokeRuns.length, 6)
    }))
})

describe("fit: checkpoints and the learning-rate schedule", () => {
  // 24 examples of 3 positions, batch 3: 8 steps an epoch
  const positions = [
    example("4k3/8/8/3q4/8/2N1N3/PPP5/4K3 w - - 0 1", ["c3d5", "e3d5", "e1d1"], "c3d5"),
    example("6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1", ["a1a8", "a1a2", "g1f1"], "a1a8"),
    example("7k/8/8/8/8/8/6q1/7K w - - 0 1", ["h1g2"], "h1g2")
  ]
  const data = Array.from({ length: 24 }, (_, i) => positions[i % 3]!)
  const run = (t: Parameters<typeof fit>[4], seed = 1) =>
    Effect.promise(async () => {
      const b = await backend("cpu")
      const m = M.init(b.tf, { width: 8, depth: 1 }, 3)
      const r = await fit(b, m, 0, data, t, seed, crossEntropy(b), () => {}, { rule: "val-accuracy", val: positions }, positions)
      const w = await M.save(m)
      M.dispose(m)
      return { r, weights: Buffer.from(w.weights).toString("base64") }
    })

  it.effect("4 first-epoch checkpoints over 2 epochs: the curve, the report and the validation predictions at 0, .25, .5, .75, 1, 2", () =>
    Effect.gen(function*() {
      const { r } = yield* run({ epochs: 2, lr: 1e-2, batch: 3, firstEpochCheckpoints: 4 })
      const at = [0, 0.25, 0.5, 0.75, 1, 2]
      assert.deepStrictEqual(r.curve.map((c) => c.epoch), at)
      assert.deepStrictEqual(r.report.epochs.map((e) => e.epoch), at)
      assert.deepStrictEqual(r.valProbs.map((v) => v.epoch), at)
      assert.isTrue(r.report.epochs[0]!.loss === null && r.report.epochs.slice(1).every((e) => typeof e.loss === "number" && e.loss > 0))
      assert.include(at, r.report.chosenEpoch)
      // without first-epoch checkpoints: epoch ends only, as before
      const plain = yield* run({ epochs: 2, lr: 1e-2, batch: 3 })
      assert.deepStrictEqual(plain.r.curve.map((c) => c.epoch), [0, 1, 2])
    }))

  it.effect("the schedule reaches the optimizer: warm-up or cosine decay train other weights than a constant rate; constant is unchanged by the option's absence", () =>
    Effect.gen(function*() {
      const t = { epochs: 2, lr: 1e-2, batch: 3 }
      const constant = (yield* run(t)).weights
      assert.strictEqual((yield* run({ ...t, decay: "constant" })).weights, constant)
      assert.notStrictEqual((yield* run({ ...t, decay: "cosine" })).weights, constant)
      assert.notStrictEqual((yield* run({ ...t, warmup: 0.5 })).weights, constant)
    }))
})
