// Reach: what a preset's graph needs from the store, whatever state its inputs are in (gc's roots).
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import toy from "../pipelines/toy.ts"
import { canonicalJson } from "../src/Key.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Reach from "../src/Reach.ts"
import type { NodeRecord } from "../src/Record.ts"
import { damage, memoryStore, records, runPipeline } from "./helpers.ts"

/** The keys of the records `reach` keeps for the toy's default graph, out of those the store holds. */
const keptBy = (store: ReturnType<typeof memoryStore>["store"], all: ReadonlyArray<NodeRecord>) =>
  Effect.map(Pipeline.graph(toy, undefined, []), (graph) => {
    const reached = Reach.reach(graph, records(store))
    const match = Reach.matcher(reached.patterns)
    return all.filter((r) => reached.keys.includes(r.key) || match(r) !== undefined).map((r) => r.key).sort()
  })

const present = (store: ReturnType<typeof memoryStore>["store"]) =>
  Effect.map(records(store).list, (l) => l.flatMap((r) => (r.lookup._tag === "Present" ? [r.lookup.record] : [])))

describe("Reach", () => {
  it.effect("whichever record of a run is deleted, every other record of it is still reached", () =>
    Effect.gen(function*() {
      const { store } = memoryStore()
      yield* runPipeline(store, toy)
      const all = yield* present(store)
      assert.strictEqual(all.length, 11)
      for (const gone of all) {
        const { store: copy } = memoryStore()
        yield* runPipeline(copy, toy)
        yield* damage(copy).deleteRecord(gone.key)
        const left = yield* present(copy)
        assert.strictEqual(left.length, 10)
        assert.deepStrictEqual(yield* keptBy(copy, left), left.map((r) => r.key).sort(), `with ${gone.node}'s record deleted`)
      }
    }))

  it.effect("a record that differs in what the node can already see (params, a known input) is not reached", () =>
    Effect.gen(function*() {
      const { store } = memoryStore()
      const base = yield* runPipeline(store, toy)
      yield* runPipeline(store, toy, ["clip=40"])
      const numbers1 = base.summary.nodes.find((n) => n.id === "numbers/1")!.key!
      yield* damage(store).deleteRecord(numbers1)
      const all = yield* present(store)
      const kept = new Set(yield* keptBy(store, all))
      const sweep = all.filter((r) => !base.summary.nodes.some((n) => n.key === r.key))
      const node = (id: string) => sweep.find((r) => r.node === id)!
      // other params than the node's: clip/1 (max 40), and seed 2's clip (its input is known and cached)
      assert.isFalse(kept.has(node("clip/1").key))
      assert.isFalse(kept.has(node("clip/2").key))
      assert.isFalse(kept.has(node("square/2").key), "its input (seed 2's clip) is known and differs")
      // same stage and params as square/1, whose input is unknown: but another node
      assert.strictEqual(canonicalJson(node("square/2").params), canonicalJson(node("square/1").params))
      // square/1 of the sweep differs from the node only in its input, which is unknown: it may be
      // what the node needs (the rule leaves unknown input hashes open)
      assert.isTrue(kept.has(node("square/1").key))
      // the summary's input from seed 2 is known, and the sweep's differs
      assert.isFalse(kept.has(node("summary").key))
    }))
})
