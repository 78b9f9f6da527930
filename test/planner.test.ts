// The planner on its own, over a fake record view (no store): statuses, keys and reasons, the
// reasons' words (the `plan --json` contract), and that it asks the view once per keyed node.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { sha256 } from "../src/Key.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Planner from "../src/Planner.ts"
import { type Reason, reasonText } from "../src/Reason.ts"
import type { Committed, NodeRecord } from "../src/Record.ts"
import type { Lookup, RecordView } from "../src/Store.ts"
import toy from "../pipelines/toy.ts"

/** Outputs of a fake record: any port's object is named after the key and port. */
const outputsOf = (key: string): Committed["outputs"] =>
  new Proxy({}, { get: (_, port) => ({ hash: sha256(`${key}.${String(port)}`), size: 1, kind: "json" }) })

/** A record view over plain maps; counts lookups. */
const fakeView = (entries: { present?: ReadonlySet<string>; damaged?: ReadonlyMap<string, string>; previous?: ReadonlyMap<string, NodeRecord> } = {}) => {
  const asked: Array<string> = []
  const view: RecordView = {
    lookup: (key): Lookup => {
      asked.push(key)
      if (entries.present?.has(key)) return { _tag: "Present", record: { key, outputs: outputsOf(key) } }
      const why = entries.damaged?.get(key)
      return why ? { _tag: "Damaged", reason: why } : { _tag: "Absent" }
    },
    read: (key) => {
      const r = [...(entries.previous?.values() ?? [])].find((x) => x.key === key)
      return r ? { _tag: "Present", record: r } : { _tag: "Absent" }
    },
    previousKey: (_pipeline, node) => entries.previous?.get(node)?.key
  }
  return { view, asked }
}

const graph = Pipeline.graph(toy, undefined, ["n=50", "seeds=[1]"])
const byId = (p: Planner.Plan) => new Map(p.nodes.map((n) => [n.id, n]))

/** Every key of the graph when all of it is committed. */
const allKeys = (g: Pipeline.Graph): Map<string, string> => {
  const everything = { lookup: (key: string): Lookup => ({ _tag: "Present", record: { key, outputs: outputsOf(key) } }), read: () => ({ _tag: "Absent" }) as const, previousKey: () => undefined }
  return new Map(Planner.plan(g, everything).nodes.map((n) => [n.id, n.key!]))
}

describe("planner (over a fake record view)", () => {
  it.effect("an empty view: sources are new, the rest wait on their first upstream and have no key yet", () =>
    Effect.gen(function*() {
      const g = yield* graph
      const { view, asked } = fakeView()
      const p = byId(Planner.plan(g, view))
      assert.deepStrictEqual(p.get("numbers/1")!.reason, { _tag: "New" })
      assert.strictEqual(p.get("numbers/1")!.status, "run")
      assert.match(p.get("numbers/1")!.key!, /^[0-9a-f]{64}$/)
      assert.deepStrictEqual(p.get("clip/1")!.reason, { _tag: "UpstreamReruns", upstream: "numbers/1" })
      assert.strictEqual(p.get("clip/1")!.key, undefined)
      assert.deepStrictEqual(p.get("report/1")!.needs, ["square/1", "stats/1"])
      assert.deepStrictEqual(asked, [p.get("numbers/1")!.key], "only keyed nodes are looked up")
    }))

  it.effect("a fully committed view: every node cached with its record; each key looked up once", () =>
    Effect.gen(function*() {
      const g = yield* graph
      const keys = allKeys(g)
      const { view, asked } = fakeView({ present: new Set(keys.values()) })
      const p = Planner.plan(g, view)
      assert.isTrue(p.nodes.every((n) => n.status === "cached" && n.reason._tag === "Cached" && n.record?.key === n.key))
      assert.deepStrictEqual(asked.sort(), [...keys.values()].sort())
    }))

  it.effect("forced, damaged and changed nodes say why; their downstream re-runs", () =>
    Effect.gen(function*() {
      const g = yield* graph
      const keys = allKeys(g)
      const present = new Set(keys.values())
      present.delete(keys.get("stats/1")!)
      present.delete(keys.get("square/1")!)
      const old: NodeRecord = {
        format: 1, key: sha256("old"), pipeline: "toy", node: "stats/1", stage: "toy-stats", version: 1,
        fingerprint: g.byId.get("stats/1")!.stage.fingerprint(), params: { sleepMs: 5 }, inputs: { rows: sha256("other") }, outputs: {},
        startedAt: "", finishedAt: "", durationMs: 0, facts: {}, log: [], host: { hostname: "h", pid: 1, node: "v" }
      }
      const { view } = fakeView({ present, damaged: new Map([[keys.get("square/1")!, "output 'rows' has 3 bytes, the record says 4"]]), previous: new Map([["stats/1", old]]) })
      const p = byId(Planner.plan(g, view, { force: (id) => id === "clip/1" }))
      assert.deepStrictEqual(p.get("numbers/1")!.reason, { _tag: "Cached" })
      assert.deepStrictEqual(p.get("clip/1")!.reason, { _tag: "Forced" })
      assert.deepStrictEqual(p.get("square/1")!.reason, { _tag: "UpstreamReruns", upstream: "clip/1" })
      const unforced = byId(Planner.plan(g, view))
      assert.deepStrictEqual(unforced.get("square/1")!.reason, { _tag: "Damaged", detail: "output 'rows' has 3 bytes, the record says 4" })
      assert.deepStrictEqual(unforced.get("stats/1")!.reason, { _tag: "Changed", code: false, params: true, inputs: ["rows"], paramChanges: ["sleepMs: 5 -> 0"] })
      assert.deepStrictEqual(unforced.get("report/1")!.reason, { _tag: "UpstreamReruns", upstream: "square/1" })
    }))

  it("reasons in words, as plan --json and the run log print them", () => {
    const words = (r: Reason) => reasonText(r)
    assert.strictEqual(words({ _tag: "Cached" }), "cached")
    assert.strictEqual(words({ _tag: "New" }), "new")
    assert.strictEqual(words({ _tag: "Forced" }), "forced")
    assert.strictEqual(words({ _tag: "Changed", code: true, params: true, inputs: ["a", "b"] }), "code changed, params changed, input a changed, input b changed")
    assert.strictEqual(words({ _tag: "Changed", code: false, params: false, inputs: [] }), "new")
    assert.strictEqual(words({ _tag: "Changed", code: false, params: true, inputs: [], paramChanges: ["max: 90 -> 40"] }), "params changed (max: 90 -> 40)")
    assert.strictEqual(words({ _tag: "Damaged", detail: "record digest mismatch" }), "output missing or damaged (record digest mismatch)")
    assert.strictEqual(words({ _tag: "UpstreamReruns", upstream: "clip/1" }), "upstream clip/1 re-runs")
  })
})
