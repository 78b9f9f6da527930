// Keys name the backend that will run: `auto` is resolved (from what is installed, loading nothing)
// when w2s-chess builds its graph, so a cache filled by one backend is never reused for another.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import w2sChess from "../pipelines/w2s-chess.ts"
import * as Pipeline from "../src/Pipeline.ts"
import { keyOf } from "../src/Planner.ts"
import { backend, installedHere, hasProbed, resolveChoice, type ResolvedChoice } from "../stages/ml/backend.ts"

const graphWith = (backend: string) => Effect.runSync(Pipeline.graph(w2sChess, "smoke", [`backend=${backend}`]))

/** Every node's key, with the same made-up hash fed into every input: keys that differ differ by the node itself. */
const keys = (backend: string) =>
  new Map(graphWith(backend).nodes.map((n) => [n.id, keyOf(n, Object.fromEntries(Object.keys(n.inputs).map((p) => [p, "0".repeat(64)])))]))

describe("the backend in keys", () => {
  it("auto resolves to the first installed of node-gpu, webgpu, node, wasm, cpu; explicit choices stay", () => {
    const only = (...have: Array<ResolvedChoice>) => (b: ResolvedChoice) => have.includes(b)
    assert.strictEqual(resolveChoice("auto", only("node-gpu", "webgpu", "node", "wasm")), "node-gpu")
    assert.strictEqual(resolveChoice("auto", only("webgpu", "node", "wasm")), "webgpu")
    assert.strictEqual(resolveChoice("auto", only("node", "wasm")), "node")
    assert.strictEqual(resolveChoice("auto", only("wasm")), "wasm")
    assert.strictEqual(resolveChoice("auto", only()), "cpu")
    assert.strictEqual(resolveChoice("wasm", only("node")), "wasm")
    // this machine: the wasm package and its binary are installed, cpu always is
    assert.isTrue(installedHere("wasm"))
    assert.isTrue(installedHere("cpu"))
  })

  it("auto never starts Dawn unless PIPELINE_WEBGPU_AUTO=1 asks for the probe (and then takes only a hardware adapter)", () => {
    const saved = process.env.PIPELINE_WEBGPU_AUTO
    delete process.env.PIPELINE_WEBGPU_AUTO
    try {
      assert.isFalse(installedHere("webgpu"))
      graphWith("auto")
      assert.isFalse(hasProbed())
    } finally {
      if (saved !== undefined) process.env.PIPELINE_WEBGPU_AUTO = saved
    }
  })

  it("two backends give two keys for every learning node and the same keys for the data", () => {
    const wasm = keys("wasm")
    const node = keys("node")
    const learning = [...wasm.keys()].filter((id) => /^(pretrain|train-weak|train-strong|ceiling|probe|label)\//.test(id))
    assert.isAbove(learning.length, 10)
    for (const id of learning) assert.notStrictEqual(node.get(id), wasm.get(id), id)
    for (const id of [...wasm.keys()].filter((id) => /^(corpus|puzzles)\//.test(id))) assert.strictEqual(node.get(id), wasm.get(id), id)
  })

  it("a graph built with auto holds the resolved backend, never auto, and keys as that backend", () => {
    const here = resolveChoice("auto")
    const auto = graphWith("auto")
    const backends = new Set(auto.nodes.flatMap((n) => {
      const b = (n.params as { backend?: unknown } | null)?.backend
      return b === undefined ? [] : [b]
    }))
    assert.deepStrictEqual([...backends], [here])
    assert.deepStrictEqual(keys("auto"), keys(here))
  })

  // `backend` loads one backend per process: each of the two cases below is this file's only call,
  // and which one runs depends on whether @tensorflow/tfjs-node is installed here.
  it.skipIf(installedHere("node"))("a backend that does not load fails, naming it, rather than another computing under its key (skipped where tfjs-node is installed: it loads)", async () => {
    const e = await backend("node").then(() => undefined, (e: unknown) => e as Error)
    assert.match(String(e?.message), /^backend node \(what auto means where @tensorflow\/tfjs-node is installed\) does not load here: .*; --set backend=wasm chooses another$/)
  })

  it.runIf(installedHere("node"))("where tfjs-node is installed, backend node is tfjs-node itself, never a stand-in under its key (runs only there)", async () => {
    const b = await backend("node")
    assert.strictEqual(b.via, "@tensorflow/tfjs-node")
    assert.strictEqual(b.name, "tensorflow")
  })
})
