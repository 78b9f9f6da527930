import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import toy from "../pipelines/toy.ts"
import { memoryStore, planPipeline, runPipeline } from "./helpers.ts"

describe("executor on the toy pipeline", () => {
  it.effect("a second run executes nothing and plans every node cached", () =>
    Effect.gen(function*() {
      const { store } = memoryStore()
      const first = yield* runPipeline(store, toy)
      assert.strictEqual(first.tally.ran, first.graph.nodes.length)
      const second = yield* runPipeline(store, toy)
      assert.strictEqual(second.tally.ran, 0)
      assert.strictEqual(second.tally.cached, second.graph.nodes.length)
      const plan = yield* planPipeline(store, toy)
      assert.isTrue(plan.nodes.every((n) => n.status === "cached"))
    }))
})
