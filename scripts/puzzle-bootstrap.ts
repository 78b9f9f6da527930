/**
 * The previous interval scheme, kept only to be compared with the current one (`npm run coverage`,
 * test/stats.test.ts): a hierarchical, paired bootstrap over seeds and then single test puzzles,
 * with the seed level shrunk as in Davison & Hinkley (1997, section 3.8). It resamples puzzles one
 * by one, so where puzzles come in games (and share a tactical sequence) it understates the noise
 * within a seed; and with few seeds its percentile interval under-covers a seed effect. The
 * experiment's intervals are `stages/ml/stats.ts`.
 */
import { rng } from "../stages/chess/rng.ts"
import { AGREE, CEILING, type Interval, type Outcomes, type Statistic, STATISTICS, STUDENT, WEAK, ZERO } from "../stages/ml/stats.ts"


/** The seed-averaged statistics of one (weak, strong, method). */
interface Estimates {
  readonly accWeak: number
  readonly accStudent: number
  readonly accCeiling: number
  readonly accZeroShot: number
  readonly gain: number
  readonly gap: number
  readonly pgr: number
  readonly gainOverBest: number
  readonly agreeWhenWeakRight: number
  readonly agreeWhenWeakWrong: number
}

/** The primary quantities of one seed, in this order: weak, gain, gap, zero-shot, agree when right, agree when wrong. */
const Q = 6
const CELLS = 32

/** One seed's primary quantities (into out[0..5]) and their within-seed variances (into v[0..5]), from its cell counts. */
const seedQuantities = (counts: Int32Array, base: number, out: Float64Array, v: Float64Array | undefined) => {
  let n = 0, cw = 0, cs = 0, cc = 0, cz = 0, ar = 0, aw = 0, sw2 = 0, cw2 = 0
  for (let p = 0; p < CELLS; p++) {
    const m = counts[base + p]!
    if (m === 0) continue
    n += m
    const w = p & WEAK ? 1 : 0, st = p & STUDENT ? 1 : 0, ce = p & CEILING ? 1 : 0
    cw += w * m
    cs += st * m
    cc += ce * m
    if (p & ZERO) cz += m
    // squared paired differences, for their variances
    sw2 += (st - w) * (st - w) * m
    cw2 += (ce - w) * (ce - w) * m
    if (p & AGREE) {
      if (w) ar += m
      else aw += m
    }
  }
  const d = Math.max(1, n)
  const pw = cw / d, gain = (cs - cw) / d, gap = (cc - cw) / d, pz = cz / d
  out[0] = pw
  out[1] = gain
  out[2] = gap
  out[3] = pz
  out[4] = cw > 0 ? ar / cw : Number.NaN
  out[5] = n - cw > 0 ? aw / (n - cw) : Number.NaN
  if (v) {
    // the variance of a mean of n values: their sample variance over n, i.e. (E[x^2] - mean^2) / (n - 1)
    const nn = Math.max(1, n - 1)
    v[0] = (pw * (1 - pw)) / nn
    v[1] = (sw2 / d - gain * gain) / nn
    v[2] = (cw2 / d - gap * gap) / nn
    v[3] = (pz * (1 - pz)) / nn
    v[4] = cw > 1 ? (out[4] * (1 - out[4])) / (cw - 1) : 0
    v[5] = n - cw > 1 ? (out[5] * (1 - out[5])) / (n - cw - 1) : 0
  }
}

/** The statistics of seed-mean quantities. */
const derive = (m: Float64Array): Estimates => {
  const [w, gain, gap, z, agreeR, agreeW] = [m[0]!, m[1]!, m[2]!, m[3]!, m[4]!, m[5]!]
  const s = w + gain
  return {
    accWeak: w,
    accStudent: s,
    accCeiling: w + gap,
    accZeroShot: z,
    gain,
    gap,
    // a replicate whose gap is not positive has no finite PGR: it lies beyond either end, by the gain's sign
    pgr: gap > 0 ? gain / gap : gain >= 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY,
    gainOverBest: s - Math.max(w, z),
    agreeWhenWeakRight: agreeR,
    agreeWhenWeakWrong: agreeW
  }
}

/** Mean over seeds of each quantity, skipping seeds where it is undefined (NaN). */
const seedMeans = (q: Float64Array, seeds: number, out: Float64Array) => {
  for (let j = 0; j < Q; j++) {
    let sum = 0, k = 0
    for (let s = 0; s < seeds; s++) {
      const x = q[s * Q + j]!
      if (Number.isNaN(x)) continue
      sum += x
      k++
    }
    out[j] = k ? sum / k : Number.NaN
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
  // linear interpolation between order statistics (type 7); the nearer one where either is infinite
  const h = (sorted.length - 1) * q
  const lo = Math.floor(h)
  const hi = Math.min(sorted.length - 1, lo + 1)
  const a = sorted[lo]!
  const b = sorted[hi]!
  if (a === b) return a
  if (!Number.isFinite(a) || !Number.isFinite(b)) return h - lo < 0.5 ? a : b
  return a + (h - lo) * (b - a)
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
export const puzzleBootstrap = (seeds: ReadonlyArray<Outcomes>, options: BootstrapOptions = {}): Record<Statistic, Pick<Interval, "est" | "lo" | "hi">> => {
  const S = seeds.length
  const B = options.replicates ?? 2000
  const alpha = (1 - (options.level ?? 0.95)) / 2
  const counts = new Int32Array(S * CELLS)
  seeds.forEach((o, k) => {
    for (let i = 0; i < o.length; i++) counts[k * CELLS + o[i]!]!++
  })
  // per seed: quantities and their within-seed variances; the seed means; the shrink factors
  const q = new Float64Array(S * Q)
  const within = new Float64Array(Q)
  const v = new Float64Array(Q)
  const one = new Float64Array(Q)
  for (let k = 0; k < S; k++) {
    seedQuantities(counts, k * CELLS, one, v)
    q.set(one, k * Q)
    for (let j = 0; j < Q; j++) within[j] = within[j]! + v[j]! / S
  }
  const mean = new Float64Array(Q)
  seedMeans(q, S, mean)
  const shrink = new Float64Array(Q)
  for (let j = 0; j < Q && S > 1; j++) {
    let ss = 0, k = 0
    for (let s = 0; s < S; s++) {
      const x = q[s * Q + j]!
      if (Number.isNaN(x)) continue
      ss += (x - mean[j]!) ** 2
      k++
    }
    const between = k > 1 ? ss / (k - 1) : 0
    shrink[j] = between > 0 ? Math.sqrt(Math.max(0, (S / (S - 1)) * (1 - within[j]! / between))) : 0
  }
  const point = derive(mean)
  const draws = Object.fromEntries(STATISTICS.map((k) => [k, new Float64Array(B)])) as Record<Statistic, Float64Array>
  const r = fast(options.seed ?? 1)
  const rep = new Int32Array(CELLS)
  const repQ = new Float64Array(S * Q)
  const repMean = new Float64Array(Q)
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < S; k++) {
      const from = S === 1 ? 0 : Math.floor(r() * S)
      const o = seeds[from]!
      const n = o.length
      rep.fill(0)
      for (let i = 0; i < n; i++) rep[o[Math.floor(r() * n)]!]!++
      seedQuantities(rep, 0, one, undefined)
      for (let j = 0; j < Q; j++) {
        const qk = q[from * Q + j]!
        // the drawn seed's puzzle noise around its own value, re-centred on its shrunk seed effect
        repQ[k * Q + j] = S === 1 ? one[j]! : one[j]! - qk + mean[j]! + shrink[j]! * (qk - mean[j]!)
      }
    }
    seedMeans(repQ, S, repMean)
    const e = derive(repMean)
    for (const k of STATISTICS) draws[k][b] = e[k]
  }
  const out = {} as Record<Statistic, Pick<Interval, "est" | "lo" | "hi">>
  for (const k of STATISTICS) {
    // NaN (a rate with no puzzle of its kind) is left out of the quantiles
    const xs = draws[k].filter((x) => !Number.isNaN(x)).sort()
    out[k] = xs.length
      ? { est: point[k], lo: quantile(xs, alpha), hi: quantile(xs, 1 - alpha) }
      : { est: point[k], lo: Number.NaN, hi: Number.NaN }
  }
  return out
}
