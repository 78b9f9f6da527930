/**
 * `results`: every evaluation as one row per (weak size, strong size, method, seed), and a summary per
 * (weak, strong, method): medians over seeds with a 95% percentile-bootstrap interval of the median
 * (resampling the seeds 2000 times with a fixed seed; with 3 seeds it is coarse, and says so by its width).
 */
import { Effect, Schema } from "effect"
import { Artifact, Stage } from "../../src/index.ts"
import { rng } from "../chess/rng.ts"
import { Metrics, Results, Summary } from "./tables.ts"

/** The median (NaN for no values). */
export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** A 95% percentile-bootstrap interval of the median. */
export const medianInterval = (xs: ReadonlyArray<number>, seed = 1): [number, number] => {
  if (xs.length === 0) return [Number.NaN, Number.NaN]
  const r = rng(seed, "bootstrap")
  const meds = Array.from({ length: 2000 }, () => median(xs.map(() => xs[Math.floor(r() * xs.length)]!))).sort((a, b) => a - b)
  return [meds[Math.floor(0.025 * meds.length)]!, meds[Math.floor(0.975 * meds.length)]!]
}

export const results = Stage.make({
  name: "results",
  version: 1,
  source: import.meta.url,
  description: "all evaluations as rows, and medians with intervals over seeds",
  params: Schema.Struct({}),
  inputs: { metrics: Artifact.many(Metrics) },
  outputs: { rows: Results, summary: Summary },
  run: ({ inputs }) =>
    Effect.sync(() => {
      const rows = inputs.metrics.map((m) => ({
        weak: m.weak, strong: m.strong, method: m.method, seed: m.seed, n: m.n,
        accWeak: m.accWeak, accStudent: m.accStudent, accCeiling: m.accCeiling, accZeroShot: m.accZeroShot,
        pgr: m.pgr, strongParams: m.strongParams, strongFlops: m.strongFlops
      }))
      const groups = new Map<string, Array<(typeof rows)[number]>>()
      for (const r of rows) {
        const k = `${r.weak}\u0000${r.strong}\u0000${r.method}`
        groups.set(k, [...(groups.get(k) ?? []), r])
      }
      const summary = [...groups.values()].map((g) => {
        const pgrs = g.flatMap((r) => (r.pgr === null ? [] : [r.pgr]))
        const [lo, hi] = medianInterval(g.map((r) => r.accStudent))
        const [plo, phi] = pgrs.length ? medianInterval(pgrs) : [null, null]
        return {
          weak: g[0]!.weak, strong: g[0]!.strong, method: g[0]!.method, seeds: g.length,
          accWeak: median(g.map((r) => r.accWeak)),
          accStudent: median(g.map((r) => r.accStudent)), accStudentLo: lo, accStudentHi: hi,
          accCeiling: median(g.map((r) => r.accCeiling)),
          pgr: pgrs.length ? median(pgrs) : null, pgrLo: plo, pgrHi: phi
        }
      })
      return { rows, summary }
    })
})
