// A stage's `cpu`: `--jobs` counts cores, and a node takes its stage's share of them.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Artifact, Pipeline, Stage } from "../src/index.ts"
import { memoryStore, runPipeline } from "./helpers.ts"

const tag = `cpu-${process.pid}`
const Value = Artifact.json(`${tag}-value`, Schema.Struct({ n: Schema.Int }))

/** Nodes running now and the most seen at once, per stage. */
const running = new Map<string, number>()
const peak = new Map<string, number>()
let peakTotal = 0

const stage = (name: string, cpu: number | undefined) =>
  Stage.make({
    name: `${tag}-${name}`,
    version: 1,
    source: import.meta.url,
    params: Schema.Struct({ i: Schema.Int }),
    inputs: {},
    outputs: { value: Value },
    ...(cpu === undefined ? {} : { cpu }),
    run: ({ params }) =>
      Effect.gen(function*() {
        running.set(name, (running.get(name) ?? 0) + 1)
        peak.set(name, Math.max(peak.get(name) ?? 0, running.get(name)!))
        peakTotal = Math.max(peakTotal, [...running.values()].reduce((a, b) => a + b, 0))
        yield* Effect.sleep("30 millis")
        running.set(name, running.get(name)! - 1)
        return { value: { n: params.i } }
      })
  })

const third = stage("third", 1 / 3)
const whole = stage("whole", undefined)
const big = stage("big", 3)

const pipeline = (make: ReturnType<typeof stage>, count: number) =>
  Pipeline.make({
    name: `${tag}-${make.name}`,
    description: "nodes that record how many of them run at once",
    params: Schema.Struct({}),
    presets: { default: {} },
    defaultPreset: "default",
    build: () => Array.from({ length: count }, (_, i) => make({ id: `n/${i}`, params: { i }, inputs: {} }))
  })

const peakOf = (make: ReturnType<typeof stage>, count: number, jobs: number) =>
  Effect.gen(function*() {
    running.clear()
    peak.clear()
    peakTotal = 0
    const { tally } = yield* runPipeline(memoryStore().store, pipeline(make, count), [], { jobs })
    assert.strictEqual(tally.ran, count)
    return peakTotal
  })

describe("a stage's cpu", () => {
  it.live("a third of a core: three nodes share each of --jobs' cores", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* peakOf(third, 12, 1), 3)
      assert.strictEqual(yield* peakOf(third, 12, 2), 6)
    }))

  it.live("a whole core (the default): --jobs nodes at once", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* peakOf(whole, 6, 1), 1)
      assert.strictEqual(yield* peakOf(whole, 6, 2), 2)
    }))

  it.live("more cores than --jobs: the nodes still run, one at a time", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* peakOf(big, 3, 2), 1)
    }))

  it("a cpu that is not a positive number is refused when the stage is made", () => {
    for (const cpu of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => stage(`bad-${String(cpu)}`, cpu), /cpu must be a positive number of cores/)
    }
  })
})
