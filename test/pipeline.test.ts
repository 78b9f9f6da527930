import { assert, describe, it } from "@effect/vitest"
import { Effect, Result, Schema } from "effect"
import fc from "fast-check"
import * as Pipeline from "../src/Pipeline.ts"
import toyBroken from "../pipelines/toy-broken.ts"
import toy from "../pipelines/toy.ts"
import * as Bench from "../stages/bench/index.ts"

const failureOf = <A, E>(e: Effect.Effect<A, E>) =>
  Effect.map(Effect.result(e), (r) => (Result.isFailure(r) ? (r.failure as { _tag: string; message: string }) : undefined))

describe("pipeline validation names the culprit", () => {
  const cases: ReadonlyArray<readonly [string, string, RegExp]> = [
    ["cycle", "InvalidPipeline", /cycle: (clip -> square -> clip|square -> clip -> square)/],
    ["duplicate-id", "InvalidPipeline", /duplicate node id 'square'/],
    ["type-mismatch", "InvalidPipeline", /node 'report' input 'squares' wants table Numbers.*but 'stats.stats' is json Stats/],
    ["unknown-node", "InvalidPipeline", /node 'stats' input 'rows' refers to unknown node 'nowhere'/],
    ["bad-node-params", "InvalidParams", /node 'stats' \(stage toy-stats\).*greater than or equal to 0.*sleepMs/],
    ["build-throws", "InvalidPipeline", /build failed: the build function threw/]
  ]
  for (const [defect, tag, message] of cases) {
    it.effect(defect, () =>
      Effect.gen(function*() {
        const f = yield* failureOf(Pipeline.graph(toyBroken, undefined, [`defect=${defect}`]))
        assert.isDefined(f)
        assert.strictEqual(f!._tag, tag)
        assert.match(f!.message, message)
      }))
  }

  it.effect("the valid preset resolves", () =>
    Effect.gen(function*() {
      const g = yield* Pipeline.graph(toyBroken, undefined, [])
      assert.deepStrictEqual(g.nodes.map((n) => n.id), ["numbers", "clip", "square", "stats", "report"])
    }))
})

const pathText = fc.oneof(
  fc.constantFrom("n", "seeds", "seeds.0", "seeds.9", "clip", "sleepMs", "fail", "clip.x", "n.0", ".", "a..b", ""),
  fc.string({ maxLength: 8 })
)
const valueText = fc.oneof(fc.json(), fc.string({ maxLength: 8 }), fc.constantFrom("-1", "1e400", "[1,2]", "{}", "null", "none"))
const setText = fc.oneof(fc.string({ maxLength: 10 }), fc.tuple(pathText, valueText).map(([p, v]) => `${p}=${v}`))

describe("params: presets and --set", () => {
  it("parses values as JSON when they parse, else as strings", () => {
    const v = (t: string) => Result.getOrThrow(Pipeline.parseSet(t)).value
    assert.deepStrictEqual(v("a=4"), 4)
    assert.deepStrictEqual(v("a=[1,2]"), [1, 2])
    assert.deepStrictEqual(v("a=hello"), "hello")
    assert.deepStrictEqual(v('a="4"'), "4")
    assert.deepStrictEqual(Result.getOrThrow(Pipeline.parseSet("a.b.c=x=y")).path, ["a", "b", "c"])
  })

  it.effect("overrides reach nested params and lists, and the schema validates the result", () =>
    Effect.gen(function*() {
      const r = yield* Pipeline.resolveParams(toy, "default", ["seeds.1=7", "clip=12.5", "fail=throw"])
      assert.deepStrictEqual(r.params.seeds, [1, 7])
      assert.strictEqual(r.params.clip, 12.5)
      const bad = yield* failureOf(Pipeline.resolveParams(toy, "default", ["fail=sometimes"]))
      assert.strictEqual(bad!._tag, "InvalidParams")
      assert.match(bad!.message, /fail/)
    }))

  it.effect("any --set text is either accepted or rejected with a tagged error, never a crash", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(fc.array(setText, { maxLength: 3 }), fc.option(fc.constantFrom("default", "slow", "nope", "")), async (sets, preset) => {
          const exit = await Effect.runPromiseExit(Pipeline.graph(toy, preset ?? undefined, sets))
          if (exit._tag === "Failure") {
            const err = exit.cause.reasons[0]
            assert.strictEqual(err?._tag, "Fail", "a failure, not a defect")
            const e = (err as { error: { _tag: string; message: string } }).error
            assert.include(["InvalidParams", "UsageError", "NotFound"], e._tag)
            assert.isAbove(e.message.length, 0)
          }
        }),
        { numRuns: 300 }
      )
    ))
})

describe("duplicate stage names", () => {
  it("defining a second, different stage with an existing name throws", async () => {
    const { Stage } = await import("../src/index.ts")
    assert.throws(
      () =>
        Stage.make({
          name: "toy-numbers",
          version: 1,
          source: "file:///elsewhere.ts",
          params: Schema.Struct({}),
          inputs: {},
          outputs: {},
          run: () => Effect.succeed({})
        }),
      /two stages are named 'toy-numbers'/
    )
  })
})

describe("the node limit", () => {
  // Makes `count` nodes of one trivial stage, and catches the limit's throw when told to.
  const huge = (swallow: boolean) =>
    Pipeline.make({
      name: "huge",
      description: "as many nodes as asked",
      params: Schema.Struct({ count: Schema.Int, label: Schema.String }),
      presets: { default: { count: 3, label: "a" } },
      defaultPreset: "default",
      build: ({ count }) => {
        const made = []
        for (let i = 0; i < count; i++) {
          try {
            made.push(Bench.step({ id: `step/${i}`, params: { i }, inputs: { deps: [] } }))
          } catch (e) {
            if (!swallow) throw e
          }
        }
        return made
      }
    })

  it.effect("a build past MAX_NODES stops there with GraphTooLarge naming the overridden params", () =>
    Effect.gen(function*() {
      const f = yield* failureOf(Pipeline.graph(huge(false), undefined, ["count=1e9", "label=a"]))
      assert.strictEqual(f?._tag, "GraphTooLarge")
      assert.match(f!.message, /makes more than 250,000 nodes.*likely cause: count=1000000000$/)
      // A build that catches the limit's throw and goes on is stopped all the same.
      const caught = yield* failureOf(Pipeline.graph(huge(true), undefined, [`count=${Pipeline.MAX_NODES + 10}`]))
      assert.strictEqual(caught?._tag, "GraphTooLarge")
      assert.match(caught!.message, /likely cause: count=250010$/)
      const g = yield* Pipeline.graph(huge(false), undefined, [`count=${Pipeline.MAX_NODES}`])
      assert.strictEqual(g.nodes.length, Pipeline.MAX_NODES)
    }))

  it("changedParams lists the leaves that differ, lists whole, long values shortened", () => {
    const before = { a: { b: 1, c: [1, 2] }, d: "x" }
    assert.deepStrictEqual(Pipeline.changedParams(before, before), [])
    assert.deepStrictEqual(Pipeline.changedParams(before, { a: { b: 2, c: [1, 3] }, d: "x" }), ["a.b=2", "a.c=[1,3]"])
    assert.deepStrictEqual(Pipeline.changedParams(before, { a: { b: 1, c: [1, 2] }, d: "y".repeat(50) }), [`d="${"y".repeat(36)}...`])
  })
})
