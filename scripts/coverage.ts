/**
 * `npm run coverage [-- --datasets N] [--offset K] [--run]`: how often the 95% intervals of
 * stages/ml/stats.ts cover the true value, on synthetic experiments with known truth (scripts/
 * simulate.ts), across regimes of seed-to-seed variation, with puzzles one by one or in games; beside
 * them the previous scheme, a bootstrap over seeds and single puzzles (scripts/puzzle-bootstrap.ts).
 * `--run`: in the shape of the `default` run. Prints a Markdown table (docs/experiment.md quotes it).
 */
import { intervals } from "../stages/ml/stats.ts"
import { puzzleBootstrap } from "./puzzle-bootstrap.ts"
import { simulate, truePgr, type World } from "./simulate.ts"

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const N = arg("--datasets", 300)
/** the first simulated experiment's number: another offset draws other experiments */
const OFFSET = arg("--offset", 0)
const games = { maxPerGame: 4, rho: 0.5 }
const base = { weak: 0.34, student: 0.37, ceiling: 0.4, zero: 0.3, copy: 0.8, puzzles: 1000, seeds: 5 }
const worlds: Array<[string, World]> = [
  ["5 seeds, single puzzles, no seed effect", { ...base, seedSd: 0 }],
  ["5 seeds, games, no seed effect", { ...base, seedSd: 0, games }],
  ["5 seeds, games, seed sd 1 pt", { ...base, seedSd: 0.01, games }],
  ["5 seeds, games, seed sd 2 pt", { ...base, seedSd: 0.02, games }],
  ["3 seeds, games, seed sd 2 pt", { ...base, seeds: 3, seedSd: 0.02, games }],
  ["1 seed, games, no seed effect", { ...base, seeds: 1, seedSd: 0, games }]
]
// The `default` run's shape (--run): 5 seeds of about 1,200 test puzzles from about 790 games,
// accuracies like its s0 -> s3 naive cell.
const run = { weak: 0.32, student: 0.39, ceiling: 0.56, zero: 0.49, copy: 0.6, puzzles: 1200, seeds: 5, games: { maxPerGame: 2, rho: 0.5 } }
const runWorlds: Array<[string, World]> = [
  ["5 seeds of 1,200 puzzles in games, no seed effect", { ...run, seedSd: 0 }],
  ["5 seeds of 1,200 puzzles in games, seed sd 1 pt", { ...run, seedSd: 0.01 }],
  ["5 seeds of 1,200 puzzles in games, seed sd 2 pt", { ...run, seedSd: 0.02 }]
]
const asRun = process.argv.includes("--run")
console.log(
  asRun
    ? `${N} simulated experiments per row; weak 0.32, student 0.39, ceiling 0.56 (true PGR 0.29), 1,200 test puzzles per seed in games of 1-2 (within-game correlation 0.5), the student copying its supervisor's outcome on 60% of puzzles. Puzzle bootstrap: 1000 replicates.\n`
    : `${N} simulated experiments per row; weak 0.34, student 0.37, ceiling 0.40 (true PGR 0.5), 1,000 test puzzles per seed, "games": games of 1-4 puzzles (within-game correlation 0.5), the student copying its supervisor's outcome on 80% of puzzles. Puzzle bootstrap: 1000 replicates.\n`
)
console.log("| regime | PGR covered | student - weak | ceiling - weak | mean PGR width (capped at 10) | puzzle bootstrap: PGR | student - weak | ceiling - weak |")
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |")
for (const [name, w] of asRun ? runWorlds : worlds) {
  const now = { pgr: 0, gain: 0, gap: 0, width: 0 }
  const old = { pgr: 0, gain: 0, gap: 0 }
  const count = (into: { pgr: number; gain: number; gap: number }, b: { pgr: { lo: number; hi: number }; gain: { lo: number; hi: number }; gap: { lo: number; hi: number } }) => {
    if (b.pgr.lo <= truePgr(w) && truePgr(w) <= b.pgr.hi) into.pgr++
    if (b.gain.lo <= w.student - w.weak && w.student - w.weak <= b.gain.hi) into.gain++
    if (b.gap.lo <= w.ceiling - w.weak && w.ceiling - w.weak <= b.gap.hi) into.gap++
  }
  for (let d = OFFSET; d < OFFSET + N; d++) {
    const data = simulate(w, d)
    const b = intervals(data)
    count(now, b)
    const wd = b.pgr.hi - b.pgr.lo
    now.width += Number.isFinite(wd) ? Math.min(10, wd) : 10
    count(old, puzzleBootstrap(data.map((s) => s.outcomes), { replicates: 1000, seed: d }))
  }
  const f = (x: number) => (x / N).toFixed(3)
  console.log(`| ${name} | ${f(now.pgr)} | ${f(now.gain)} | ${f(now.gap)} | ${(now.width / N).toFixed(2)} | ${f(old.pgr)} | ${f(old.gain)} | ${f(old.gap)} |`)
}
