/**
 * `npm run coverage [-- --datasets N] [--offset K]`: how often the 95% intervals of the hierarchical paired
 * bootstrap (stages/ml/stats.ts) cover the true value, on synthetic experiments with known truth,
 * across regimes of seed-to-seed variation. Prints a Markdown table (docs/experiment.md quotes it).
 */
import { bootstrap } from "../stages/ml/stats.ts"
import { simulate, truePgr, type World } from "./simulate.ts"

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const N = arg("--datasets", 300)
/** the first simulated experiment's number: another offset draws other experiments */
const OFFSET = arg("--offset", 0)
const base = { weak: 0.34, student: 0.37, ceiling: 0.4, zero: 0.3, copy: 0.8, puzzles: 500, seeds: 3 }
const worlds: Array<[string, World]> = [
  ["3 seeds, no seed effect (puzzle sd of one accuracy 2.1 pt)", { ...base, seedSd: 0 }],
  ["3 seeds, seed sd 1 pt", { ...base, seedSd: 0.01 }],
  ["3 seeds, seed sd 2 pt", { ...base, seedSd: 0.02 }],
  ["3 seeds, seed sd 3 pt", { ...base, seedSd: 0.03 }],
  ["1 seed, no seed effect", { ...base, seeds: 1, seedSd: 0 }],
  ["5 seeds, seed sd 2 pt", { ...base, seeds: 5, seedSd: 0.02 }],
  ["10 seeds, seed sd 2 pt", { ...base, seeds: 10, seedSd: 0.02 }]
]
console.log(`${N} simulated experiments per row, 1000 bootstrap replicates each; weak 0.34, student 0.37, ceiling 0.40 (true PGR 0.5), 500 test puzzles per seed, the student copying its supervisor's outcome on 80% of puzzles.\n`)
console.log("| regime | PGR covered | student - weak covered | ceiling - weak covered | mean PGR interval width (capped at 10) |")
console.log("| --- | --- | --- | --- | --- |")
for (const [name, w] of worlds) {
  let cp = 0, cg = 0, cgap = 0, width = 0
  for (let d = OFFSET; d < OFFSET + N; d++) {
    const b = bootstrap(simulate(w, d), { replicates: 1000, seed: d })
    if (b.pgr.lo <= truePgr(w) && truePgr(w) <= b.pgr.hi) cp++
    if (b.gain.lo <= w.student - w.weak && w.student - w.weak <= b.gain.hi) cg++
    if (b.gap.lo <= w.ceiling - w.weak && w.ceiling - w.weak <= b.gap.hi) cgap++
    const wd = b.pgr.hi - b.pgr.lo
    width += Number.isFinite(wd) ? Math.min(10, wd) : 10
  }
  console.log(`| ${name} | ${(cp / N).toFixed(3)} | ${(cg / N).toFixed(3)} | ${(cgap / N).toFixed(3)} | ${(width / N).toFixed(2)} |`)
}
