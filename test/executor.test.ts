// The scheduler and rebuilder on the toy pipeline: what runs, what is cached, and why.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Pipeline from "../src/Pipeline.ts"
import * as Planner from "../src/Planner.ts"
import { reasonText } from "../src/Reason.ts"
import toy from "../pipelines/toy.ts"
import { damage, memoryStore, objects, outputsOf, planPipeline, records, runnerLayer, runPipeline } from "./helpers.ts"

const small = ["n=50"]

describe("scheduler", () => {
  it.effect("a second run executes nothing; the plan shows every node cached", () =>
    Effect.gen(function*() {
      const { store } = memoryStore()
      const first = yield* runPipeline(store, toy, small)
      assert.strictEqual(first.tally.ran, 11)
      const second = yield* runPipeline(store, toy, small)
      assert.deepStrictEqual([second.tally.ran, second.tally.cached], [0, 11])
      assert.isFalse(second.events.some((e) => e._tag === "Started"))
      const plan = yield* planPipeline(store, toy, small)
      assert.deepStrictEqual([...new Set(plan.nodes.map((n) => n.status))], ["cached"])
    }))

  it.effect("changing one param re-runs exactly the nodes that depend on it, with reasons", () =>
    Effect.gen(function*() {
      const { store } = memoryStore()
      yield* runPipeline(store, toy, small)
      const plan = yield* planPipeline(store, toy, [...small, "clip=40"])
      const status = Object.fromEntries(plan.nodes.map((n) => [n.id, `${n.status}: ${reasonText(n.reason)}`]))
      assert.deepStrictEqual(status, {
        "numbers/1": "cached: cached",
        "numbers/2": "cached: cached",
        "clip/1": "run: params changed (max: 90 -> 40)",
        "clip/2": "run: params changed (max: 90 -> 40)",
        "square/1": "run: upstream clip/1 re-runs",
        "stats/1": "run: upstream clip/1 re-runs",
        "report/1": "run: upstream square/1 re-runs",
        "square/2": "run: upstream clip/2 re-runs",
        "stats/2": "run: upstream clip/2 re-runs",
        "report/2": "run: upstream square/2 re-runs",
        "summary": "run: upstream report/1 re-runs"
      })
      const run = yield* runPipeline(store, toy, [...small, "clip=40"])
      const ran = run.summary.nodes.filter((n) => n.outcome === "ran").map((n) => n.id).sort()
      assert.deepStrictEqual(ran, plan.nodes.filter((n) => n.status === "run").map((n) => n.id).sort())
    }))

  it.effect("a param of one seed's branch leaves the other branch alone; a new seed adds only its nodes", () =>
    Effect.gen(function*() {
      const { store } = memoryStore()
      yield* runPipeline(store, toy, [...small, "seeds=[1,2]"])
      const grown = yield* runPipeline(store, toy, [...small, "seeds=[1,2,3]"])
      const ran = grown.summary.nodes.filter((n) => n.outcome === "ran").map((n) => n.id).sort()
      assert.deepStrictEqual(ran, ["clip/3", "numbers/3", "report/3", "square/3", "stats/3", "summary"])
      const shrunk = yield* runPipeline(store, toy, [...small, "seeds=[2]"])
      assert.deepStrictEqual(shrunk.summary.nodes.filter((n) => n.outcome === "ran").map((n) => n.id), ["summary"])
    }))

  it.effect("code reasons: a stage whose fingerprint changed is planned as 'code changed'", () =>
    Effect.gen(function*() {
      const { store } = memoryStore()
      const { graph } = yield* runPipeline(store, toy, small)
      const clip = graph.byId.get("clip/1")!
      const edited = { ...graph, nodes: graph.nodes.map((n) => n === clip ? { ...n, stage: Object.assign(Object.create(n.stage), { fingerprint: () => "edited" }) } : n) }
      const plan = Planner.plan({ ...edited, byId: new Map(edited.nodes.map((n) => [n.id, n])) }, records(store))
      assert.deepStrictEqual(plan.nodes.find((n) => n.id === "clip/1")!.reason, { _tag: "Changed", code: true, params: false, inputs: [] })
      assert.strictEqual(plan.nodes.find((n) => n.id === "clip/2")!.status, "cached")
    }))

  it.effect("early cutoff: an upstream that re-runs with identical output leaves downstream cached", () =>
    Effect.gen(function*() {
      const { store } = memoryStore()
      yield* runPipeline(store, toy, [...small, "clip=100"]) // every x is below 100: clipping changes nothing
      const again = yield* runPipeline(store, toy, [...small, "clip=500"])
      const byOutcome = (o: string) => again.summary.nodes.filter((n) => n.outcome === o).map((n) => n.id).sort()
      assert.deepStrictEqual(byOutcome("ran"), ["clip/1", "clip/2"])
      assert.strictEqual(byOutcome("cached").length, 9)
      assert.isTrue(again.events.some((e) => e._tag === "Cached" && e.node === "square/1" && e.early))
    }))

  it.effect("fail-fast: a failing stage fails the run, cancels what depends on it, commits nothing for it", () =>
    Effect.gen(function*() {
      const { store } = memoryStore()
      const r = yield* runPipeline(store, toy, [...small, "fail=throw"], { jobs: 1 })
      assert.isAtLeast(r.tally.failed, 1)
      const failed = r.summary.nodes.find((n) => n.outcome === "failed")!
      assert.match(failed.id, /^square\//)
      assert.match(failed.message!, /toy-square was told to fail/)
      assert.notInclude(r.summary.nodes.filter((n) => n.id === "summary").map((n) => n.outcome), "ran")
      const plan = yield* planPipeline(store, toy, [...small, "fail=throw"])
      assert.strictEqual(plan.nodes.find((n) => n.id === failed.id)!.status, "run")
    }))

  it.effect("--keep-going: independent nodes finish, dependents are skipped", () =>
    Effect.gen(function*() {
      const { store } = memoryStore()
      const r = yield* runPipeline(store, toy, [...small, "fail=throw"], { keepGoing: true })
      const outcome = Object.fromEntries(r.summary.nodes.map((n) => [n.id, n.outcome]))
      assert.strictEqual(outcome["square/1"], "failed")
      assert.strictEqual(outcome["square/2"], "failed")
      assert.strictEqual(outcome["stats/1"], "ran")
      assert.strictEqual(outcome["stats/2"], "ran")
      assert.strictEqual(outcome["report/1"], "skipped")
      assert.strictEqual(outcome["summary"], "skipped")
    }))

  it.effect("a stage returning an output that breaks its port's schema fails, naming the port and row", () =>
    Effect.gen(function*() {
      const { store } = memoryStore()
      const r = yield* runPipeline(store, toy, [...small, "fail=bad-output"], { keepGoing: true })
      const failed = r.summary.nodes.find((n) => n.id === "square/1")!
      assert.strictEqual(failed.outcome, "failed")
      assert.match(failed.message!, /output rows: row 0 does not fit table Numbers/)
    }))

  it.effect("a damaged input is never used: it is removed, its producer recomputes it, and the run succeeds", () =>
    Effect.gen(function*() {
      const mem = memoryStore()
      yield* runPipeline(mem.store, toy, small)
      const clip = (yield* planPipeline(mem.store, toy, small)).nodes.find((n) => n.id === "clip/1")!
      const object = clip.record!.outputs.rows!.hash
      yield* damage(mem.store).flipObjectByte(object)
      const expected = outputsOf(mem.store, yield* planPipeline(mem.store, toy, small))
      const again = yield* runPipeline(mem.store, toy, small, { force: (id) => id === "square/1" })
      assert.strictEqual(again.tally.failed, 0)
      assert.isTrue(again.events.some((e) => e._tag === "Repaired" && e.node === "square/1" && e.object === object))
      assert.isFalse(again.events.some((e) => e._tag === "Failed"))
      assert.strictEqual(again.summary.nodes.find((n) => n.id === "clip/1")!.outcome, "ran")
      assert.deepStrictEqual(outputsOf(mem.store, yield* planPipeline(mem.store, toy, small)), expected)
      assert.isUndefined(yield* objects(mem.store).check(object))
    }))

  it.live("a memory store runs heavy stages in worker threads, which reach its objects through this thread", () =>
    Effect.gen(function*() {
      const workers = { runner: runnerLayer("workers") }
      const inline = memoryStore()
      yield* runPipeline(inline.store, toy, small)
      const mem = memoryStore()
      const r = yield* runPipeline(mem.store, toy, small, {}, undefined, workers)
      assert.strictEqual(r.tally.ran, 11, JSON.stringify(r.summary.nodes.filter((n) => n.outcome === "failed")))
      assert.isTrue(r.events.some((e) => e._tag === "Log" && e.node === "square/1" && /squaring 50 rows/.test(e.line)))
      assert.deepStrictEqual(outputsOf(mem.store, yield* planPipeline(mem.store, toy, small)), outputsOf(inline.store, yield* planPipeline(inline.store, toy, small)))
      // and each worker ends once its node is done (its port to this thread does not keep it alive)
      const ports = () => process.getActiveResourcesInfo().filter((r) => r === "MessagePort").length
      for (let i = 0; i < 40 && ports() > 0; i++) yield* Effect.sleep(50)
      assert.strictEqual(ports(), 0, "worker threads left running")
      // it really is another thread: a stage that exits its thread fails only its own node
      const exited = yield* runPipeline(mem.store, toy, [...small, "fail=exit"], { keepGoing: true }, undefined, workers)
      const square = exited.summary.nodes.find((n) => n.id === "square/1")!
      assert.strictEqual(square.outcome, "failed")
      assert.match(square.message!, /worker exited \(code 3\) before finishing/)
      assert.strictEqual(exited.summary.nodes.find((n) => n.id === "stats/1")!.outcome, "cached")
    }), 60_000)

  it.effect("identical nodes collapse: one node per (stage, params, inputs)", () =>
    Effect.gen(function*() {
      const g = yield* Pipeline.graph(toy, undefined, [...small, "seeds=[1,1,2]"])
      assert.strictEqual(g.nodes.filter((n) => n.stage.name === "toy-numbers").length, 2)
      // the summary still sees three reports (two of them the same node)
      assert.deepStrictEqual(Object.keys(g.byId.get("summary")!.inputs), ["reports[0]", "reports[1]", "reports[2]"])
    }))
})
