import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import fc from "fast-check"
import * as Artifact from "../src/Artifact.ts"
import { AllColumns } from "./fixtures.ts"

const T = AllColumns

const rowArb = fc.record({
  s: fc.string(),
  f: fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
  i: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  b: fc.boolean(),
  l: fc.array(fc.string(), { maxLength: 4 }),
  n: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)), { nil: null })
})

describe("table ports", () => {
  it.effect("round-trip any rows through Arrow IPC, with equal bytes for equal rows", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(fc.array(rowArb, { maxLength: 20 }), async (rows) => {
          const bytes = await Effect.runPromise(T.encode(rows, "t"))
          const back = await Effect.runPromise(T.decode(bytes, "t"))
          assert.deepStrictEqual(back, rows)
          const again = await Effect.runPromise(T.encode(back, "t"))
          assert.deepStrictEqual(again, bytes)
        }),
        { numRuns: 50 }
      )
    ))

  it.effect("reject a row that breaks the schema, naming the row and the column", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(T.encode([{ s: "a", f: 1, i: 1.5, b: true, l: [], n: null }] as never, "out"))
      assert.isTrue(Exit.isFailure(exit))
      const msg = JSON.stringify(exit)
      assert.match(msg, /row 0 does not fit table T/)
      assert.match(msg, /\\"i\\"/)
    }))

  it.effect("refuse bytes that are not an Arrow file", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(T.decode(new TextEncoder().encode("hello"), "in"))
      assert.isTrue(Exit.isFailure(exit))
    }))
})

describe("json, model and figure ports", () => {
  const J = Artifact.json("Metrics", Schema.Struct({ acc: Schema.Number, name: Schema.String }))
  it.effect("json: canonical bytes, schema-checked both ways", () =>
    Effect.gen(function*() {
      const a = yield* J.encode({ name: "x", acc: 0.5 }, "m")
      assert.strictEqual(new TextDecoder().decode(a), '{"acc":0.5,"name":"x"}')
      assert.deepStrictEqual(yield* J.decode(a, "m"), { name: "x", acc: 0.5 })
      assert.isTrue(Exit.isFailure(yield* Effect.exit(J.encode({ acc: "high" } as never, "m"))))
      assert.isTrue(Exit.isFailure(yield* Effect.exit(J.decode(new TextEncoder().encode('{"acc":1}'), "m"))))
    }))

  it.effect("model weights and figures round-trip; truncation is detected", () =>
    Effect.gen(function*() {
      const M = Artifact.model("Mlp")
      const w = { manifest: { layers: [3, 2] }, weights: new Uint8Array([1, 2, 3, 4, 5]) }
      const bytes = yield* M.encode(w, "w")
      const back = yield* M.decode(bytes, "w")
      assert.deepStrictEqual(back.manifest, w.manifest)
      assert.deepStrictEqual([...back.weights], [...w.weights])
      assert.isTrue(Exit.isFailure(yield* Effect.exit(M.decode(bytes.subarray(0, bytes.length - 2), "w"))))
      const F = Artifact.figure("Plot")
      const fig = yield* F.decode(yield* F.encode({ title: "t", svg: "<svg/>", png: new Uint8Array([9]) }, "f"), "f")
      assert.strictEqual(fig.svg, "<svg/>")
      assert.deepStrictEqual([...fig.png!], [9])
    }))
})
