/**
 * The experiment's statistics: a hierarchical, paired bootstrap over seeds and test puzzles.
 *
 * Each seed contributes one outcome per test puzzle, packed as bits: the weak supervisor right, the
 * student right, the ceiling right, the strong base zero-shot right, the student agreeing with the
 * supervisor. A replicate resamples the seeds with replacement, then, within each drawn seed, its
 * puzzles with replacement; the same drawn puzzles score weak, student, ceiling and zero-shot
 * (paired), so their differences keep only the noise of the puzzles on which they disagree. Every
 * statistic is a function of the seed-averaged accuracies, computed on the data for the estimate and
 * on each replicate for its 95% percentile interval.
 *
 * What the interval covers is checked by simulation (test/stats.test.ts): puzzle sampling and
 * moderate seed-to-seed variation are covered at about the nominal rate; with few seeds and
 * seed-to-seed variation much larger than the puzzle noise, no resampling of three seeds can
 * cover it, and the docs say so.
 */
import { rng } from "../chess/rng.ts"

export const WEAK = 1
export const STUDENT = 2
export const CEILING = 4
export const ZERO = 8
/** the student's top move equals the supervisor's */
export const AGREE = 16
const CELLS = 32

/** One seed's test outcomes: a bit pattern per puzzle. */
export type Outcomes = Uint8Array

/** Packs one puzzle's outcome. */
export const outcome = (o: { weak: boolean; student: boolean; ceiling: boolean; zero: boolean; agree: boolean }): number =>
  (o.weak ? WEAK : 0) | (o.student ? STUDENT : 0) | (o.ceiling ? CEILING : 0) | (o.zero ? ZERO : 0) | (o.agree ? AGREE : 0)

/** The seed-averaged statistics of one (weak, strong, method). */
export interface Estimates {
  readonly accWeak: number
  readonly accStudent: number
  readonly accCeiling: number
  readonly accZeroShot: number
  /** student - weak */
  readonly gain: number
  /** ceiling - weak: the gap PGR divides by */
  readonly gap: number
  /** (student - weak) / (ceiling - weak) of the seed means; +-Infinity or NaN where the gap is not positive */
  readonly pgr: number
  /** student - max(weak, zero-shot): what the student adds beyond both its supervisor and its own base */
  readonly gainOverBest: number
  readonly agreeWhenWeakRight: number
  readonly agreeWhenWeakWrong: number
}

export type Statistic = keyof Estimates
export const STATISTICS: ReadonlyArray<Statistic> = [
  "accWeak", "accStudent", "accCeiling", "accZeroShot", "gain", "gap", "pgr", "gainOverBest", "agreeWhenWeakRight", "agreeWhenWeakWrong"
]

/** An estimate with its 95% interval. */
export interface Interval {
  readonly est: number
  readonly lo: number
  readonly hi: number
}

/** Statistics from per-seed cell counts (counts[s * 32 + pattern]). */
const estimates = (counts: Int32Array, seeds: number): Estimates => {
  let w = 0, s = 0, c = 0, z = 0, agreeR = 0, agreeW = 0, nR = 0, nW = 0
  for (let k = 0; k < seeds; k++) {
    let n = 0, cw = 0, cs = 0, cc = 0, cz = 0, ar = 0, aw = 0
    for (let p = 0; p < CELLS; p++) {
      const m = counts[k * CELLS + p]!
      if (m === 0) continue
      n += m
      if (p & WEAK) cw += m
      if (p & STUDENT) cs += m
      if (p & CEILING) cc += m
      if (p & ZERO) cz += m
      if (p & AGREE) {
        if (p & WEAK) ar += m
        else aw += m
      }
    }
    const d = Math.max(1, n)
    w += cw / d
    s += cs / d
    c += cc / d
    z += cz / d
    if (cw > 0) {
      agreeR += ar / cw
      nR++
    }
    if (n - cw > 0) {
      agreeW += aw / (n - cw)
      nW++
    }
  }
  w /= seeds
  s /= seeds
  c /= seeds
  z /= seeds
  const gap = c - w
  const gain = s - w
  return {
    accWeak: w,
    accStudent: s,
    accCeiling: c,
    accZeroShot: z,
    gain,
    gap,
    pgr: gain / gap,
    gainOverBest: s - Math.max(w, z),
    agreeWhenWeakRight: nR ? agreeR / nR : Number.NaN,
    agreeWhenWeakWrong: nW ? agreeW / nW : Number.NaN
  }
}

/** A fast seeded generator for the resampling loop (mulberry32, seeded from the project's rng). */
const fast = (seed: number) => {
  let a = Math.floor(rng(seed, "bootstrap")() * 4294967296) >>> 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const quantile = (sorted: Float64Array, q: number): number => {
  // linear interpolation between order statistics (type 7)
  const h = (sorted.length - 1) * q
  const lo = Math.floor(h)
  const hi = Math.min(sorted.length - 1, lo + 1)
  const a = sorted[lo]!
  const b = sorted[hi]!
  return a === b ? a : a + (h - lo) * (b - a)
}

export interface BootstrapOptions {
  /** replicates (default 2000) */
  readonly replicates?: number
  readonly seed?: number
  /** interval level (default 0.95) */
  readonly level?: number
}

/**
 * The estimates of one (weak, strong, method) with hierarchical paired-bootstrap intervals: seeds
 * resampled, then puzzles within each drawn seed. With one seed only puzzles are resampled.
 */
export const bootstrap = (seeds: ReadonlyArray<Outcomes>, options: BootstrapOptions = {}): Record<Statistic, Interval> => {
  const S = seeds.length
  const B = options.replicates ?? 2000
  const alpha = (1 - (options.level ?? 0.95)) / 2
  const counts = new Int32Array(S * CELLS)
  seeds.forEach((o, k) => {
    for (let i = 0; i < o.length; i++) counts[k * CELLS + o[i]!]!++
  })
  const point = estimates(counts, S)
  const draws = Object.fromEntries(STATISTICS.map((k) => [k, new Float64Array(B)])) as Record<Statistic, Float64Array>
  const r = fast(options.seed ?? 1)
  const rep = new Int32Array(S * CELLS)
  for (let b = 0; b < B; b++) {
    rep.fill(0)
    for (let k = 0; k < S; k++) {
      const o = seeds[S === 1 ? 0 : Math.floor(r() * S)]!
      const n = o.length
      const base = k * CELLS
      for (let i = 0; i < n; i++) rep[base + o[Math.floor(r() * n)]!]!++
    }
    const e = estimates(rep, S)
    for (const k of STATISTICS) draws[k][b] = e[k]
  }
  const out = {} as Record<Statistic, Interval>
  for (const k of STATISTICS) {
    // NaN (no puzzle of a kind) sorts last and is left out of the quantiles
    const xs = draws[k].filter((x) => !Number.isNaN(x)).sort()
    out[k] = xs.length
      ? { est: point[k], lo: quantile(xs, alpha), hi: quantile(xs, 1 - alpha) }
      : { est: point[k], lo: Number.NaN, hi: Number.NaN }
  }
  return out
}
