/**
 * Families of claims: a set of comparisons read together (every method against naive, every
 * student's gain over max(weak, zero-shot), ...) is judged as one family, so that among a dozen
 * comparisons at 95% each a false "helps" is not expected. Each member gets its per-comparison
 * two-sided p-value (t on its own degrees of freedom), Holm's step-down adjustment over the family,
 * and a simultaneous interval (Bonferroni: all members' intervals cover at once with probability at
 * least the level). A member **survives** its family when its Holm-adjusted p-value is below
 * 1 - level; Holm's procedure controls the family-wise error rate at that level and never rejects
 * less than Bonferroni, so a survivor's simultaneous interval may still touch 0 at its edge.
 */
import { tPValue, tQuantile } from "./stats.ts"

/** A comparison: an estimate of a difference whose null value is 0, with its standard error. */
export interface Comparison {
  readonly est: number
  readonly se: number
  readonly df: number
}

export interface Adjusted {
  /** the per-comparison two-sided p-value */
  readonly p: number
  /** Holm's adjusted p-value over the family */
  readonly pHolm: number
  /** the simultaneous interval (Bonferroni over the family's members) */
  readonly lo: number
  readonly hi: number
  readonly survives: boolean
}

/** Holm's step-down adjustment of `ps` (NaN stays NaN and does not count as a member). */
export const holm = (ps: ReadonlyArray<number>): Array<number> => {
  const order = ps.map((p, i) => [p, i] as const).filter(([p]) => !Number.isNaN(p)).sort((a, b) => a[0] - b[0])
  const m = order.length
  const out = ps.map(() => Number.NaN)
  let running = 0
  order.forEach(([p, i], j) => {
    running = Math.max(running, Math.min(1, (m - j) * p))
    out[i] = running
  })
  return out
}

/** Adjusts one family's comparisons; `level` is the family-wise level (default 0.95). */
export const adjust = (family: ReadonlyArray<Comparison>, level = 0.95): Array<Adjusted> => {
  // a comparison without noise (every seed and puzzle alike) is certain: p 1 at 0, else 0
  const ps = family.map((c) => (!(c.df >= 1) || Number.isNaN(c.se) ? Number.NaN : c.se > 0 ? tPValue(c.est / c.se, c.df) : c.est === 0 ? 1 : 0))
  const adjusted = holm(ps)
  const m = ps.filter((p) => !Number.isNaN(p)).length
  return family.map((c, i) => {
    const t = m > 0 && c.df >= 1 ? tQuantile(1 - (1 - level) / m, c.df) : Number.NaN
    return { p: ps[i]!, pHolm: adjusted[i]!, lo: c.est - t * c.se, hi: c.est + t * c.se, survives: adjusted[i]! < 1 - level }
  })
}
