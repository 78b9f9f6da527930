// Wiring an output into an input of another artifact type is a compile error. `npm test` type-checks
// this file first: were a wrong wiring accepted, the @ts-expect-error lines would fail the check.
import { assert, describe, it } from "@effect/vitest"
import * as Toy from "../stages/toy/index.ts"

describe("port types at compile time", () => {
  it("accepts matching ports and rejects mismatched ones", () => {
    const numbers = Toy.numbers({ params: { n: 1, seed: 1, sleepMs: 0 } })
    const clip = Toy.clip({ params: { max: 1, sleepMs: 0 }, inputs: { rows: numbers.outputs.rows } })
    const stats = Toy.stats({ params: { sleepMs: 0 }, inputs: { rows: clip.outputs.rows } })
    // @ts-expect-error a JSON Stats output is not a Numbers table
    Toy.clip({ params: { max: 1, sleepMs: 0 }, inputs: { rows: stats.outputs.stats } })
    // @ts-expect-error a Numbers table is not a JSON Stats
    Toy.report({ params: { seed: 1, sleepMs: 0 }, inputs: { squares: clip.outputs.rows, stats: clip.outputs.rows } })
    // @ts-expect-error a required input is missing
    Toy.report({ params: { seed: 1, sleepMs: 0 }, inputs: { squares: clip.outputs.rows } })
    // @ts-expect-error params are typed too
    Toy.clip({ params: { max: "high", sleepMs: 0 }, inputs: { rows: numbers.outputs.rows } })
    assert.strictEqual(stats.stage.name, "toy-stats")
  })
})
