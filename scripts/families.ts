/**
 * `npm run families -- ROWS.csv [--checkpoint weak-val] [--replicates R]`: the families of claims of
 * a w2s-chess run, from its per-seed rows alone (`pipeline export w2s-chess results --output rows
 * --format csv`): per (weak, strong, method), Student's t intervals and Fieller's for PGR, exactly as
 * the `results` stage computes them for several seeds (they need only the per-seed values): over
 * seeds, or, where the run's `replicates` pretraining runs serve several seeds each (seed s used run
 * s mod R), over the runs' means. Give the run's `replicates` (default 1: one run for all). And three
 * families adjusted with Holm's procedure, each with simultaneous (Bonferroni) intervals:
 * every method against naive; every student's gain over max(weak, zero-shot); and the stopping
 * rule's regret, the test oracle's epoch against the weak-val rule's (the oracle maximises over
 * epochs on the test set itself, so this regret is biased upward). Prints Markdown tables.
 */
import { readFileSync } from "node:fs"
import { adjust } from "../stages/ml/families.ts"
import { replicateOf } from "../stages/ml/replicates.ts"
import { overSeeds, pgrOverSeeds } from "../stages/ml/stats.ts"

const file = process.argv[2]
const cpArg = process.argv.indexOf("--checkpoint")
const checkpoint = cpArg > 0 ? process.argv[cpArg + 1]! : "weak-val"
const rArg = process.argv.indexOf("--replicates")
const R = rArg > 0 ? Number(process.argv[rArg + 1]) : 1
if (!file || file.startsWith("--") || !(Number.isInteger(R) && R >= 1)) {
  console.error("usage: npm run families -- ROWS.csv [--checkpoint final|weak-val|oracle-test] [--replicates R]")
  process.exit(2)
}
const [head, ...lines] = readFileSync(file, "utf8").trim().split("\n")
const cols = head!.split(",")
for (const c of ["weak", "strong", "method", "seed", "checkpoint", "accWeak", "accStudent", "accCeiling", "accZeroShot"]) {
  if (!cols.includes(c)) {
    console.error(`${file}: no column ${c} (is it the rows output of results?)`)
    process.exit(2)
  }
}
type Row = Record<string, string>
const rows: Array<Row> = lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i]!, v])))
const num = (r: Row, k: string) => Number(r[k])
const cellKey = (r: Row) => `${r.weak} -> ${r.strong}, ${r.method}`
const cells = [...new Set(rows.map(cellKey))]
const at = (cell: string, cp: string) => rows.filter((r) => cellKey(r) === cell && r.checkpoint === cp).sort((a, b) => num(a, "seed") - num(b, "seed"))
const pt = (x: number) => (100 * x).toFixed(1)
const iv = (i: { est: number; lo: number; hi: number }) => `${pt(i.est)} (${pt(i.lo)} to ${pt(i.hi)})`
const pgrText = (i: { est: number; lo: number; hi: number }) =>
  Number.isFinite(i.lo) ? `${i.est.toFixed(2)} (${i.lo.toFixed(2)} to ${i.hi.toFixed(2)})` : `${i.est.toFixed(2)} (unbounded: the gap's interval reaches 0)`
const pFmt = (p: number) => (p < 0.001 ? "<0.001" : p.toFixed(3))

/**
 * The units the intervals are over, for per-seed values given with their seeds: the seeds, or, where
 * a pretraining run serves several of them, the runs' means (as `stats.ts` does).
 */
const units = (values: ReadonlyArray<number>, seeds: ReadonlyArray<number>): Array<number> => {
  const runs = new Map<number, Array<number>>()
  seeds.forEach((seed, i) => {
    const r = replicateOf(seed, R)
    runs.set(r, [...(runs.get(r) ?? []), values[i]!])
  })
  const nested = runs.size > 1 && [...runs.values()].some((v) => v.length > 1)
  return nested ? [...runs.values()].map((v) => v.reduce((a, x) => a + x, 0) / v.length) : [...values]
}
const overUnits = (values: ReadonlyArray<number>, seeds: ReadonlyArray<number>) => overSeeds(units(values, seeds))

console.log(`Checkpoint: ${checkpoint}. Points; 95% per-comparison intervals (t over ${R > 1 ? `the ${R} pretraining runs' means where they serve several seeds, else seeds` : "seeds"}), and for each family Holm-adjusted p and simultaneous (Bonferroni) intervals.\n`)
console.log("### Per cell\n")
console.log("| cell | seeds | student - weak | ceiling - weak | PGR (Fieller) |")
console.log("| --- | --- | --- | --- | --- |")
for (const cell of cells) {
  const rs = at(cell, checkpoint)
  const gains = rs.map((r) => num(r, "accStudent") - num(r, "accWeak")), gaps = rs.map((r) => num(r, "accCeiling") - num(r, "accWeak"))
  const seeds = rs.map((r) => num(r, "seed"))
  console.log(`| ${cell} | ${rs.length} | ${iv(overUnits(gains, seeds))} | ${iv(overUnits(gaps, seeds))} | ${pgrText(pgrOverSeeds(units(gains, seeds), units(gaps, seeds)))} |`)
}

const family = (name: string, members: Array<{ label: string; values: Array<number>; seeds: Array<number> }>) => {
  const ivs = members.map((m) => overUnits(m.values, m.seeds))
  const adjusted = adjust(ivs)
  console.log(`\n### Family: ${name} (${members.length} comparisons)\n`)
  console.log("| comparison | seeds | estimate (95% interval) | p | Holm p | simultaneous interval | survives |")
  console.log("| --- | --- | --- | --- | --- | --- | --- |")
  members.forEach((m, i) => {
    const a = adjusted[i]!
    console.log(`| ${m.label} | ${m.values.length} | ${iv(ivs[i]!)} | ${pFmt(a.p)} | ${pFmt(a.pHolm)} | ${pt(a.lo)} to ${pt(a.hi)} | ${a.survives ? "yes" : "no"} |`)
  })
}

// every method against naive, paired by seed
family(`method - naive, ${checkpoint} checkpoint`, cells.filter((c) => !c.endsWith(", naive")).flatMap((cell) => {
  const rs = at(cell, checkpoint)
  const naive = at(cell.replace(/, [^,]+$/, ", naive"), checkpoint)
  const pairs = rs.flatMap((r) => naive.filter((n) => n.seed === r.seed).map((n) => [num(r, "accStudent") - num(n, "accStudent"), num(r, "seed")] as const))
  return pairs.length ? [{ label: cell, values: pairs.map((p) => p[0]), seeds: pairs.map((p) => p[1]) }] : []
}))

// the gain over the better of supervisor and zero-shot base, chosen by the seed means
family(`student - max(weak, zero-shot), ${checkpoint} checkpoint`, cells.map((cell) => {
  const rs = at(cell, checkpoint)
  const m = (k: string) => rs.reduce((a, r) => a + num(r, k), 0) / rs.length
  const base = m("accZeroShot") > m("accWeak") ? "accZeroShot" : "accWeak"
  return { label: `${cell} (over ${base === "accWeak" ? "weak" : "zero-shot"})`, values: rs.map((r) => num(r, "accStudent") - num(r, base)), seeds: rs.map((r) => num(r, "seed")) }
}))

// what the label-free stopping rule gives up against the test oracle
family("stopping regret: oracle-test - weak-val", cells.map((cell) => {
  const o = at(cell, "oracle-test"), w = at(cell, "weak-val")
  const pairs = o.flatMap((r) => w.filter((x) => x.seed === r.seed).map((x) => [num(r, "accStudent") - num(x, "accStudent"), num(r, "seed")] as const))
  return { label: cell, values: pairs.map((p) => p[0]), seeds: pairs.map((p) => p[1]) }
}))
