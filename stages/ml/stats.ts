/**
 * The experiment's statistics: estimates over seeds with 95% intervals that hold for the data's real
 * structure, test puzzles that come in games, and few seeds.
 *
 * Each seed contributes one outcome per test puzzle, packed as bits (the weak supervisor right, the
 * student right, the ceiling right, the strong base zero-shot right, the student agreeing with the
 * supervisor), and the game each puzzle comes from. Per seed every statistic is a mean over its
 * puzzles (accuracies, student - weak, ceiling - weak, student - max(weak, zero-shot)) or a ratio of
 * two such means (the agreement rates); the reported estimate is the mean over seeds. PGR is the
 * ratio of the seed means of (student - weak) and (ceiling - weak).
 *
 * Intervals:
 * - **Several seeds**: Student's t over the per-seed values, with S - 1 degrees of freedom. A seed's
 *   value carries all of its noise (its training run and its test puzzles, games and all), so the
 *   seeds' spread estimates the variance of their mean without a model of either, and the t quantile
 *   pays for estimating it from a few seeds. This is exact for normal per-seed values (means of
 *   about a thousand puzzles are), whatever the share of seed and puzzle noise; the simulation in
 *   test/stats.test.ts checks it with clustered puzzles and seed effects of 0-2 points. PGR's
 *   interval is Fieller's for a ratio of two means, from the same per-seed pairs: unbounded when the
 *   (ceiling - weak) interval reaches 0, as it must be.
 * - **Seeds nested in pretraining runs** (`groups`: the pretraining replicate of each seed, where
 *   some replicate serves several seeds): the seeds of one replicate share its pretrained bases, so
 *   they are not independent; the unit is then the replicate: Student's t over the replicates' means
 *   (R - 1 degrees of freedom), Fieller's for PGR over the same means. This covers another
 *   pretraining run; with one replicate for all seeds nothing can (the interval is over seeds).
 * - **One seed**: the per-seed variance from its test games (a cluster-robust variance: the puzzles
 *   of one game are one unit, CR1), with t on G - 1 degrees of freedom. It covers only that seed's
 *   test noise, not a training run's.
 *
 * Beside each interval, the variance of the estimate is split into the part that test puzzles (by
 * games) explain, the part seeds add beyond it and the part pretraining runs add beyond that
 * (`varPuzzles`, `varSeeds`, `varPretraining`: method of moments, each clamped at 0). Comparisons are grouped in families with `families.ts`.
 *
 * The previous scheme (a two-stage bootstrap over seeds and single puzzles) is kept in
 * scripts/puzzle-bootstrap.ts only to show, by simulation, where it fails.
 */
import { createRequire } from "node:module"

// jstat (CommonJS, 130 kB) loads on the first quantile: a plan or a no-op run never pays for it.
type JStat = (typeof import("jstat"))["default"]["jStat"]
let jStatModule: JStat | undefined
const jStat = (): JStat => (jStatModule ??= (createRequire(import.meta.url)("jstat") as { jStat: JStat }).jStat)

export const WEAK = 1
export const STUDENT = 2
export const CEILING = 4
export const ZERO = 8
/** the student's top move equals the supervisor's */
export const AGREE = 16

/** One seed's test outcomes: a bit pattern per puzzle. */
export type Outcomes = Uint8Array

/** One seed's outcomes with the game of each puzzle (the unit puzzles are independent in). */
export interface SeedOutcomes {
  readonly outcomes: Outcomes
  readonly games: ArrayLike<number>
}

/** Packs one puzzle's outcome. */
export const outcome = (o: { weak: boolean; student: boolean; ceiling: boolean; zero: boolean; agree: boolean }): number =>
  (o.weak ? WEAK : 0) | (o.student ? STUDENT : 0) | (o.ceiling ? CEILING : 0) | (o.zero ? ZERO : 0) | (o.agree ? AGREE : 0)

export type Statistic =
  | "accWeak"
  | "accStudent"
  | "accCeiling"
  | "accZeroShot"
  /** student - weak */
  | "gain"
  /** ceiling - weak: the gap PGR divides by */
  | "gap"
  /** gain / gap of the seed means; +-Infinity where the gap is not positive */
  | "pgr"
  /** student - max(weak, zero-shot), the larger of the two chosen by their seed means */
  | "gainOverBest"
  | "agreeWhenWeakRight"
  | "agreeWhenWeakWrong"

export const STATISTICS: ReadonlyArray<Statistic> = [
  "accWeak", "accStudent", "accCeiling", "accZeroShot", "gain", "gap", "pgr", "gainOverBest", "agreeWhenWeakRight", "agreeWhenWeakWrong"
]

/** An estimate with its interval, standard error and the split of its variance. */
export interface Interval {
  readonly est: number
  readonly lo: number
  readonly hi: number
  /** the standard error of `est` (NaN for PGR, a ratio: its interval is Fieller's) */
  readonly se: number
  /** the degrees of freedom of `se`: seeds - 1, or test games - 1 with one seed */
  readonly df: number
  /** variance of `est` explained by test puzzles, game-clustered (NaN for PGR) */
  readonly varPuzzles: number
  /** variance of `est` that seeds add beyond their puzzles (method of moments, >= 0); NaN with one seed */
  readonly varSeeds: number
  /** variance of `est` that pretraining runs add beyond their seeds; NaN without replicates sharing seeds */
  readonly varPretraining: number
}

export interface IntervalOptions {
  /** interval level (default 0.95) */
  readonly level?: number
  /** the pretraining replicate of each seed, in the order of the seeds (absent: one per seed, or all shared) */
  readonly groups?: ReadonlyArray<number> | undefined
}

/** The two-sided t quantile for `level` on `df` degrees of freedom. */
export const tQuantile = (level: number, df: number): number => jStat().studentt.inv(1 - (1 - level) / 2, df)

/** The two-sided p-value of `t` on `df` degrees of freedom. */
export const tPValue = (t: number, df: number): number =>
  Number.isNaN(t) ? Number.NaN : !Number.isFinite(t) ? 0 : 2 * (1 - jStat().studentt.cdf(Math.abs(t), df))

// Per-seed statistics, in this order (PGR is derived from gain and gap).
const LINEAR = ["accWeak", "accStudent", "accCeiling", "accZeroShot", "gain", "gap", "gainOverBest", "agreeWhenWeakRight", "agreeWhenWeakWrong"] as const
type Linear = (typeof LINEAR)[number]

interface SeedValues {
  readonly value: Record<Linear, number>
  /** the cluster-robust variance of each value (over test games) */
  readonly within: Record<Linear, number>
  /** the cluster-robust covariance of gain and gap */
  readonly gainGap: number
  readonly games: number
}

/**
 * One seed's statistics and their variances over its test games. Each statistic's residual is summed
 * within a game and the game sums are treated as independent: V = G/(G-1) sum_g (sum_i e_i)^2 / n^2.
 */
const seedValues = (seed: SeedOutcomes, baselineZero: boolean): SeedValues => {
  const { outcomes, games } = seed
  if (outcomes.length !== games.length) throw new Error(`${outcomes.length} outcomes but ${games.length} game numbers`)
  const index = new Map<number, number>()
  const gameOf = new Int32Array(outcomes.length)
  for (let i = 0; i < outcomes.length; i++) {
    let g = index.get(games[i]!)
    if (g === undefined) index.set(games[i]!, g = index.size)
    gameOf[i] = g
  }
  const G = index.size
  // per game: puzzles, and the count of each bit (agreement split by the supervisor being right)
  const cnt = new Float64Array(G), w = new Float64Array(G), s = new Float64Array(G), c = new Float64Array(G), z = new Float64Array(G)
  const ar = new Float64Array(G), aw = new Float64Array(G)
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i]!, g = gameOf[i]!
    cnt[g]!++
    if (o & WEAK) w[g]!++
    if (o & STUDENT) s[g]!++
    if (o & CEILING) c[g]!++
    if (o & ZERO) z[g]!++
    if (o & AGREE) {
      if (o & WEAK) ar[g]!++
      else aw[g]!++
    }
  }
  const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0)
  const n = outcomes.length, N = Math.max(1, n)
  const W = sum(w), Sx = sum(s), C = sum(c), Z = sum(z), AR = sum(ar), AW = sum(aw)
  const value: Record<Linear, number> = {
    accWeak: W / N,
    accStudent: Sx / N,
    accCeiling: C / N,
    accZeroShot: Z / N,
    gain: (Sx - W) / N,
    gap: (C - W) / N,
    gainOverBest: (Sx - (baselineZero ? Z : W)) / N,
    agreeWhenWeakRight: W > 0 ? AR / W : Number.NaN,
    agreeWhenWeakWrong: n - W > 0 ? AW / (n - W) : Number.NaN
  }
  // each game's summed residual of every statistic, and the statistic's denominator
  const residual: Record<Linear, (g: number) => number> = {
    accWeak: (g) => w[g]! - cnt[g]! * value.accWeak,
    accStudent: (g) => s[g]! - cnt[g]! * value.accStudent,
    accCeiling: (g) => c[g]! - cnt[g]! * value.accCeiling,
    accZeroShot: (g) => z[g]! - cnt[g]! * value.accZeroShot,
    gain: (g) => s[g]! - w[g]! - cnt[g]! * value.gain,
    gap: (g) => c[g]! - w[g]! - cnt[g]! * value.gap,
    gainOverBest: (g) => s[g]! - (baselineZero ? z[g]! : w[g]!) - cnt[g]! * value.gainOverBest,
    agreeWhenWeakRight: (g) => ar[g]! - w[g]! * value.agreeWhenWeakRight,
    agreeWhenWeakWrong: (g) => aw[g]! - (cnt[g]! - w[g]!) * value.agreeWhenWeakWrong
  }
  const denominator: Record<Linear, number> = {
    accWeak: N, accStudent: N, accCeiling: N, accZeroShot: N, gain: N, gap: N, gainOverBest: N,
    agreeWhenWeakRight: W, agreeWhenWeakWrong: n - W
  }
  const scale = G > 1 ? G / (G - 1) : Number.NaN
  const within = {} as Record<Linear, number>
  for (const k of LINEAR) {
    if (Number.isNaN(value[k])) {
      within[k] = Number.NaN
      continue
    }
    let ss = 0
    for (let g = 0; g < G; g++) ss += residual[k](g) ** 2
    within[k] = (scale * ss) / denominator[k] ** 2
  }
  let cov = 0
  for (let g = 0; g < G; g++) cov += residual.gain(g) * residual.gap(g)
  return { value, within, gainGap: (scale * cov) / (N * N), games: G }
}

const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, x) => a + x, 0) / xs.length
const sampleVar = (xs: ReadonlyArray<number>) => {
  const m = mean(xs)
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)
}

/**
 * Fieller's interval for a / b from estimates with variances vaa, vbb and covariance vab, at the t
 * quantile `t`: the set of r with (a - r b)^2 <= t^2 (vaa - 2 r vab + r^2 vbb). Unbounded (both
 * ends infinite) when b is not distinguishable from 0 at that level.
 */
export const fieller = (a: number, b: number, vaa: number, vbb: number, vab: number, t: number): { lo: number; hi: number } => {
  const t2 = t * t
  const qa = b * b - t2 * vbb, qb = a * b - t2 * vab, qc = a * a - t2 * vaa
  if (!(qa > 0)) return { lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY }
  const root = Math.sqrt(Math.max(0, qb * qb - qa * qc))
  return { lo: (qb - root) / qa, hi: (qb + root) / qa }
}

/** A mean over seeds with Student's t interval (S - 1 df), from the per-seed values alone. */
export const overSeeds = (values: ReadonlyArray<number>, level = 0.95): Pick<Interval, "est" | "lo" | "hi" | "se" | "df"> => {
  const S = values.length
  const est = mean(values)
  if (S < 2) return { est, lo: Number.NaN, hi: Number.NaN, se: Number.NaN, df: Number.NaN }
  const se = Math.sqrt(sampleVar(values) / S)
  const t = tQuantile(level, S - 1)
  return { est, lo: est - t * se, hi: est + t * se, se, df: S - 1 }
}

/** PGR of the seed means of `gains` and `gaps` (paired by seed), with Fieller's interval on S - 1 df. */
export const pgrOverSeeds = (gains: ReadonlyArray<number>, gaps: ReadonlyArray<number>, level = 0.95): { est: number; lo: number; hi: number } => {
  const S = gains.length
  const g = mean(gains), d = mean(gaps)
  const est = d > 0 ? g / d : g >= 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY
  if (S < 2) return { est, lo: Number.NaN, hi: Number.NaN }
  const cov = gains.reduce((a, x, i) => a + (x - g) * (gaps[i]! - d), 0) / (S - 1)
  return { est, ...fieller(g, d, sampleVar(gains) / S, sampleVar(gaps) / S, cov / S, tQuantile(level, S - 1)) }
}

/**
 * The estimates of one (weak, strong, method) over its seeds, each with its interval (see the
 * module's header). Seeds where a rate has no puzzle of its kind are left out of that rate.
 */
export const intervals = (seeds: ReadonlyArray<SeedOutcomes>, options: IntervalOptions = {}): Record<Statistic, Interval> => {
  if (seeds.length === 0) throw new Error("no seeds to estimate from")
  const level = options.level ?? 0.95
  if (options.groups && options.groups.length !== seeds.length) throw new Error(`${seeds.length} seeds but ${options.groups.length} replicate numbers`)
  // the better baseline of the two, chosen on the seed means (pooled over seeds, equally weighted)
  const pre = seeds.map((s) => seedValues(s, false).value)
  const baselineZero = mean(pre.map((v) => v.accZeroShot)) > mean(pre.map((v) => v.accWeak))
  const per = seeds.map((s) => seedValues(s, baselineZero))
  const groups = options.groups ? [...new Set(options.groups)].map((g) => per.filter((_, i) => options.groups![i] === g)) : []
  const nested = groups.length > 1 && groups.some((g) => g.length > 1)
  const none = { varPretraining: Number.NaN }
  const out = {} as Record<Statistic, Interval>
  for (const k of LINEAR) {
    const defined = per.filter((p) => !Number.isNaN(p.value[k]))
    if (defined.length === 0) {
      out[k] = { est: Number.NaN, lo: Number.NaN, hi: Number.NaN, se: Number.NaN, df: Number.NaN, varPuzzles: Number.NaN, varSeeds: Number.NaN, ...none }
      continue
    }
    const S = defined.length
    const varPuzzles = mean(defined.map((p) => p.within[k])) / S
    if (nested) {
      out[k] = nestedInterval(groups.map((g) => g.filter((p) => !Number.isNaN(p.value[k]))).filter((g) => g.length > 0), k, level)
    } else if (S > 1) {
      const i = overSeeds(defined.map((p) => p.value[k]), level)
      out[k] = { ...i, varPuzzles, varSeeds: Math.max(0, i.se * i.se - varPuzzles), ...none }
    } else {
      const est = defined[0]!.value[k], se = Math.sqrt(varPuzzles), df = defined[0]!.games - 1
      const t = df >= 1 ? tQuantile(level, df) : Number.NaN
      out[k] = { est, lo: est - t * se, hi: est + t * se, se, df, varPuzzles, varSeeds: Number.NaN, ...none }
    }
  }
  // PGR: Fieller on the means of gain and gap, with their covariance from the same source as theirs
  const noSplit = { se: Number.NaN, varPuzzles: Number.NaN, varSeeds: Number.NaN, varPretraining: Number.NaN }
  if (nested) {
    const f = pgrOverSeeds(groups.map((g) => mean(g.map((p) => p.value.gain))), groups.map((g) => mean(g.map((p) => p.value.gap))), level)
    out.pgr = { ...f, ...noSplit, df: groups.length - 1 }
  } else if (per.length > 1) {
    const f = pgrOverSeeds(per.map((p) => p.value.gain), per.map((p) => p.value.gap), level)
    out.pgr = { ...f, ...noSplit, df: per.length - 1 }
  } else {
    const [one] = per as [SeedValues]
    const g = one.value.gain, d = one.value.gap, df = one.games - 1
    const est = d > 0 ? g / d : g >= 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY
    const f = df >= 1 ? fieller(g, d, one.within.gain, one.within.gap, one.gainGap, tQuantile(level, df)) : { lo: Number.NaN, hi: Number.NaN }
    out.pgr = { est, ...f, ...noSplit, df }
  }
  return out
}

/**
 * Seeds nested in pretraining replicates: t over the replicates' means (R - 1 df), the estimate their
 * mean (each replicate weighted equally), and the variance split by the one-way decomposition: the
 * pooled spread of seeds within a replicate, less their puzzle noise, is the seeds' part; the
 * replicate means' spread beyond what their seeds explain is pretraining's.
 */
const nestedInterval = (groups: ReadonlyArray<ReadonlyArray<SeedValues>>, k: Linear, level: number): Interval => {
  const R = groups.length
  const means = groups.map((g) => mean(g.map((p) => p.value[k])))
  const i = R > 1 ? overSeeds(means, level) : { est: means[0]!, lo: Number.NaN, hi: Number.NaN, se: Number.NaN, df: Number.NaN }
  // per replicate: the variance of its seed mean from puzzles, and from seeds (pooled within replicates)
  const puzzles = mean(groups.map((g) => mean(g.map((p) => p.within[k])) / g.length)) / R
  let ss = 0, dof = 0
  for (const g of groups) {
    if (g.length < 2) continue
    const m = mean(g.map((p) => p.value[k]))
    ss += g.reduce((a, p) => a + (p.value[k] - m) ** 2, 0)
    dof += g.length - 1
  }
  const withinSeedVar = dof > 0 ? ss / dof : Number.NaN
  const seedPart = mean(groups.map((g) => withinSeedVar / g.length)) / R
  const total = i.se * i.se
  return {
    ...i,
    varPuzzles: puzzles,
    varSeeds: Math.max(0, seedPart - puzzles),
    varPretraining: Math.max(0, total - Math.max(seedPart, puzzles))
  }
}
