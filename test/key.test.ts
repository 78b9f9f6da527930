import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import fc from "fast-check"
import * as Artifact from "../src/Artifact.ts"
import { canonicalJson, canonicalStrings, type KeyInputs, nodeKey, nodeKeyFromText } from "../src/Key.ts"
import * as Stage from "../src/Stage.ts"

const shuffleKeys = (v: unknown, seed: number): unknown => {
  if (Array.isArray(v)) return v.map((x) => shuffleKeys(x, seed))
  if (v && typeof v === "object") {
    const entries = Object.entries(v)
    if (seed % 2) entries.reverse()
    return Object.fromEntries(entries.map(([k, x]) => [k, shuffleKeys(x, seed + 1)]))
  }
  return v
}

describe("canonical JSON", () => {
  it("is independent of key order", () =>
    fc.assert(fc.property(fc.jsonValue(), fc.nat(), (v, seed) => canonicalJson(v) === canonicalJson(shuffleKeys(v, seed)))))

  it("round-trips through JSON.parse and identifies equal values only", () =>
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const ta = canonicalJson(a)
        assert.strictEqual(canonicalJson(JSON.parse(ta)), ta)
        const equal = ta === canonicalJson(b)
        assert.strictEqual(equal, canonicalJson(JSON.parse(JSON.stringify(a))) === canonicalJson(JSON.parse(JSON.stringify(b))))
      })
    ))

  it("normalises -0 and integral floats, rejects what JSON cannot hold", () => {
    assert.strictEqual(canonicalJson({ b: -0, a: 1.0 }), '{"a":1,"b":0}')
    assert.throws(() => canonicalJson({ lr: Number.NaN }), /lr: number NaN/)
    assert.throws(() => canonicalJson({ x: new Date(0) }), /x: Date is not plain JSON/)
    assert.throws(() => canonicalJson({ f: () => 1 }), /f: function is not JSON/)
    assert.throws(() => canonicalJson({ a: [1, { b: Number.POSITIVE_INFINITY }] }), /^a\[1\]\.b: number Infinity has no JSON form$/)
    const loop: Record<string, unknown> = { x: [1] }
    ;(loop.x as Array<unknown>).push(loop)
    assert.throws(() => canonicalJson(loop), /^x\[1\]: circular structure$/)
    // the same object twice, not nested in itself, is no cycle
    const shared = { k: 1 }
    assert.strictEqual(canonicalJson({ a: shared, b: [shared] }), '{"a":{"k":1},"b":[{"k":1}]}')
  })

  it("of a record of strings is what the fast path for input hashes gives", () =>
    fc.assert(
      // keys: any code points; values: any UTF-16 code units, lone surrogates and controls included
      fc.property(fc.dictionary(fc.string({ unit: "binary" }), fc.string({ unit: fc.nat(0xffff).map((c) => String.fromCharCode(c)) })), (rec) => {
        assert.strictEqual(canonicalStrings(rec), canonicalJson(rec))
      }),
      { numRuns: 500 }
    ))
})

describe("node keys", () => {
  const base: KeyInputs = { stage: "s", version: 1, fingerprint: "f", params: { a: 1 }, inputs: { x: "h1" } }
  it("change when any ingredient changes, and only then", () => {
    const k = nodeKey(base)
    assert.strictEqual(nodeKey({ ...base, params: { a: 1 } }), k)
    const variants: Array<KeyInputs> = [
      { ...base, stage: "t" },
      { ...base, version: 2 },
      { ...base, fingerprint: "g" },
      { ...base, params: { a: 2 } },
      { ...base, inputs: { x: "h2" } },
      { ...base, inputs: { y: "h1" } }
    ]
    const keys = new Set(variants.map(nodeKey))
    assert.strictEqual(keys.size, variants.length)
    assert.isFalse(keys.has(k))
  })
})

describe("the planner's key path", () => {
  it("nodeKeyFromText gives exactly nodeKey's key for any params, inputs and version", () =>
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.dictionary(fc.string(), fc.string()),
        fc.oneof(fc.integer(), fc.string()),
        fc.string(),
        (params, inputs, version, stage) => {
          const k = { stage, version, fingerprint: "fp", inputs }
          assert.strictEqual(nodeKeyFromText({ ...k, paramsText: canonicalJson(params) }), nodeKey({ ...k, params: params as never }))
        }
      )
    ))
})

describe("codec versions in keys", () => {
  const T = Artifact.table("T", { x: Artifact.Column.int32 })
  const bumped = { ...T, codec: { ...T.codec, version: T.codec.version + 1 } }
  const J = Artifact.json("J", Schema.Number)
  const stages = (table: typeof T) => ({
    writer: Stage.make({ name: `codec-writer-${table.codec.version}`, version: 1, source: import.meta.url, params: Schema.Struct({}), inputs: {}, outputs: { t: table }, run: () => Effect.die("not run") }),
    reader: Stage.make({ name: `codec-reader-${table.codec.version}`, version: 1, source: import.meta.url, params: Schema.Struct({}), inputs: { ts: Artifact.many(table) }, outputs: { j: J }, run: () => Effect.die("not run") }),
    other: Stage.make({ name: `codec-other-${table.codec.version}`, version: 1, source: import.meta.url, params: Schema.Struct({}), inputs: { j: J }, outputs: { j: J }, run: () => Effect.die("not run") })
  })

  it("a codec's new version changes the fingerprint of every stage that writes or reads its kind, and of no other", () => {
    const before = stages(T)
    const after = stages(bumped)
    assert.notStrictEqual(after.writer.fingerprint(), before.writer.fingerprint())
    assert.notStrictEqual(after.reader.fingerprint(), before.reader.fingerprint())
    assert.strictEqual(after.other.fingerprint(), before.other.fingerprint())
    // and the fingerprint is what keys hash
    const key = (s: Stage.AnyStage) => nodeKey({ stage: "s", version: 1, fingerprint: s.fingerprint(), params: {}, inputs: {} })
    assert.notStrictEqual(key(after.writer), key(before.writer))
  })

  it("every port kind has a codec with a version", () => {
    for (const port of [T, J, Artifact.model("M"), Artifact.figure("F")]) {
      assert.isString(port.codec.name)
      assert.isAtLeast(port.codec.version, 1)
    }
  })
})
