import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import toy from "../pipelines/toy.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Targets from "../src/Targets.ts"

describe("target globs over node ids", () => {
  it("* and ? stay within a segment, ** spans segments, an exact id always matches", () => {
    const m = (glob: string, id: string) => Targets.matcher([glob])(id)
    assert.isTrue(m("puzzles/*", "puzzles/12"))
    assert.isFalse(m("puzzles/*", "puzzles/12/a"))
    assert.isFalse(m("train*", "train-weak/s0/s1"))
    assert.isTrue(m("train-weak/**", "train-weak/s0/s1"))
    assert.isTrue(m("label/s?/s1", "label/s0/s1"))
    assert.isTrue(m("part[0]", "part[0]"), "an id with glob characters, typed exactly")
    assert.isFalse(Targets.matcher([])("anything"))
  })

  it("nearest ranks by edit distance and leaves out what is far", () => {
    const ids = ["figure-pgr", "figure-accuracy", "puzzles/0", "split"]
    assert.deepStrictEqual(Targets.nearest("figure-pgx", ids), ["figure-pgr"])
    assert.deepStrictEqual(Targets.nearest("splt", ids), ["split"])
    assert.deepStrictEqual(Targets.nearest("qqqqqqqq", ids), [])
  })

  it("select keeps the graph's order and every upstream node; no match fails naming the glob", () => {
    const graph = Effect.runSync(Pipeline.graph(toy, undefined, []))
    const picked = Result.getOrThrow(Targets.select(graph, ["summary"]))
    assert.deepStrictEqual(picked.nodes.map((n) => n.id), graph.nodes.map((n) => n.id))
    const one = Result.getOrThrow(Targets.select(graph, ["clip/2"]))
    assert.deepStrictEqual(one.nodes.map((n) => n.id), ["numbers/2", "clip/2"])
    assert.deepStrictEqual([...one.byId.keys()], ["numbers/2", "clip/2"])
    const none = Targets.select(graph, ["clip/1", "sumary"])
    assert.isTrue(Result.isFailure(none))
    assert.strictEqual(Result.isFailure(none) && none.failure.message, "no node of toy matches 'sumary' (nearest: summary)")
  })
})
