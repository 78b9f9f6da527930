/**
 * A trend across the settings of the latent-knowledge dial, with an interval built on the unit the
 * experiment replicates: the pretraining run.
 *
 * At each setting b the dial's experiment pretrains every member `R` times (runs 0..R-1), and seed s
 * uses run s mod R; so a statistic (a student's gain over max(weak, zero-shot), say) has one value
 * per (run, setting), the mean of the run's seeds. The trend of run r is the least-squares slope of
 * its values against x, the settings' measured knowledge gap (probe - zero-shot of the student's
 * base): a fixed linear combination of its values. Runs differ in everything a seed draws (their
 * seeds, so their splits and batch orders) and in their pretraining seed; run r is the same at
 * every setting in those (the same seeds, the same pretraining seed, another data mix), which
 * correlates its values across settings but not its slope with another run's. So the R slopes are
 * independent and alike, and their mean has Student's t interval on R - 1 degrees of freedom, as a
 * single setting's statistic has (stats.ts). x is itself measured, on the same runs (its zero-shot
 * part is the zero-shot in a gain taken over the base): test/stats.test.ts simulates exactly that and
 * finds the slopes covered in 93-97% of experiments. The change from the lowest x to the highest is
 * read the same way.
 */
import { overSeeds } from "./stats.ts"

export interface Trend {
  /** the mean of the runs' slopes: change of the statistic per unit of x */
  readonly slope: ReturnType<typeof overSeeds>
  /** the statistic at the highest setting minus at the lowest (by x), over the same runs */
  readonly change: ReturnType<typeof overSeeds>
}

/** Least-squares slope of `ys` on `xs`. */
export const slope = (xs: ReadonlyArray<number>, ys: ReadonlyArray<number>): number => {
  const mx = xs.reduce((a, x) => a + x, 0) / xs.length
  let sxx = 0
  let sxy = 0
  xs.forEach((x, i) => {
    sxx += (x - mx) ** 2
    sxy += (x - mx) * ys[i]!
  })
  return sxy / sxx
}

/**
 * The trend of a statistic over the dial's settings: `xs[b]` the x of setting b, `byRun[r][b]` run
 * r's value at setting b. Needs at least two distinct x and two runs (else NaN intervals).
 */
export const trendOverRuns = (xs: ReadonlyArray<number>, byRun: ReadonlyArray<ReadonlyArray<number>>, level = 0.95): Trend => {
  if (byRun.some((ys) => ys.length !== xs.length)) throw new Error(`trend: ${xs.length} settings, but a run has ${byRun.find((ys) => ys.length !== xs.length)!.length} values`)
  if (new Set(xs).size < 2) throw new Error("trend: the settings' x values are all the same")
  const lo = xs.indexOf(Math.min(...xs))
  const hi = xs.indexOf(Math.max(...xs))
  return {
    slope: overSeeds(byRun.map((ys) => slope(xs, ys)), level),
    change: overSeeds(byRun.map((ys) => ys[hi]! - ys[lo]!), level)
  }
}
