import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { canonicalJson, type KeyInputs, nodeKey, nodeKeyFromText } from "../src/Key.ts"

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
  })
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
