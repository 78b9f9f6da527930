// A stage's `cpu`: `--jobs` counts cores, and a node takes its stage's share of them.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Artifact, Pipeline, Stage } from "../src/index.ts"
import { memoryStore, runPipeline } from "./helpers.ts"

const tag = `cpu-${process.pid}`
const Value = Artifact.json(`${tag}-value`, Schema.Struct({ n: Schema.Int }))

/** Nodes running now, per stage; the most seen at once, and the most cores they declared at once. */
const running = new Map<string, number>()
const cpuOf = new Map<string, number>()
let peakTotal = 0
let peakCores = 0

const stage = (name: string, cpu: number | undefined) => {
  cpuOf.set(name, cpu ?? 1)
  return Stage.make({
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
        peakTotal = Math.max(peakTotal, [...running.values()].reduce((a, b) => a + b, 0))
        peakCores = Math.max(peakCores, [...running].reduce((a, [n, k]) => a + k * cpuOf.get(n)!, 0))
        yield* Effect.sleep("120 millis")
        running.set(name, running.get(name)! - 1)
        return { value: { n: params.i } }
      })
  })
}

const third = stage("third", 1 / 3)
const twoThirds = stage("two-thirds", 2 / 3)
const odd = stage("odd", 0.7)
const whole = stage("whole", undefined)
const big = stage("big", 3)

/** `count` nodes of each stage given, interleaved. */
const pipeline = (makes: ReadonlyArray<ReturnType<typeof stage>>, count: number) =>
  Pipeline.make({
    name: `${tag}-${makes.map((m) => m.name).join("+")}`,
    description: "nodes that record how many of them run at once",
    params: Schema.Struct({}),
    presets: { default: {} },
    defaultPreset: "default",
    build: () => Array.from({ length: count }, (_, i) => makes.map((make) => make({ id: `${make.name}/${i}`, params: { i }, inputs: {} })))
  })

const peaksOf = (makes: ReadonlyArray<ReturnType<typeof stage>>, count: number, jobs: number) =>
  Effect.gen(function*() {
    running.clear()
    peakTotal = 0
    peakCores = 0
    const { tally, events } = yield* runPipeline(memoryStore().store, pipeline(makes, count), [], { jobs })
    assert.strictEqual(tally.ran, count * makes.length)
    const planned = events.find((e) => e._tag === "Planned")
    return { nodes: peakTotal, cores: peakCores, told: planned?._tag === "Planned" ? planned.cpu : undefined }
  })
const peakOf = (make: ReturnType<typeof stage>, count: number, jobs: number) => Effect.map(peaksOf([make], count, jobs), (p) => p.nodes)

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

  it.live("a cpu between twelfths is rounded up: the nodes running never declare more than --jobs", () =>
    Effect.gen(function*() {
      // 0.7 of a core: two fit in 2 (1.4), three would not (2.1)
      assert.strictEqual(yield* peakOf(odd, 6, 2), 2)
    }))

  it.live("stages of different cpu in one run: the cores declared at once stay within --jobs, and more than --jobs nodes run", () =>
    Effect.gen(function*() {
      const { nodes, cores, told } = yield* peaksOf([twoThirds, whole, third], 6, 2)
      assert.isAtMost(cores, 2 + 1e-9)
      assert.isAbove(nodes, 2)
      // the run's ETA is told each node's cores, except where they are 1
      const expected: Record<string, number> = {}
      for (let i = 0; i < 6; i++) Object.assign(expected, { [`${twoThirds.name}/${i}`]: 8 / 12, [`${third.name}/${i}`]: 4 / 12 })
      assert.deepStrictEqual(told, expected)
    }))

  it.live("the cores the ETA is told are the scheduler's: rounded up, and at most --jobs", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual((yield* peaksOf([odd], 1, 2)).told, { [`${odd.name}/0`]: 9 / 12 })
      assert.deepStrictEqual((yield* peaksOf([big], 1, 2)).told, { [`${big.name}/0`]: 2 })
    }))

  it("a cpu that is not a positive number is refused when the stage is made", () => {
    for (const cpu of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => stage(`bad-${String(cpu)}`, cpu), /cpu must be a positive number of cores/)
    }
  })
})
