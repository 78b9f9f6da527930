/**
 * `npm run dial-trend -- DIR [--checkpoint weak-val] [--method naive] [--replicates 3]`: the dial
 * experiment's trends with intervals, from its exported tables alone (scripts/dial-export.sh writes
 * them: DIR/rows-<setting>.csv and DIR/ladder-knowledge-<setting>.csv per setting). Per (weak,
 * strong) pair of `method` at `checkpoint`, against x, the student's base's probe - zero-shot test
 * accuracy at each setting:
 * - the student's gain over max(weak, zero-shot) (the baseline chosen by the seed means, as the
 *   results stage does): its slope on x and its change from the lowest x to the highest;
 * - the student's accuracy less its base's probe: its slope on x. Where the gain is taken over the
 *   zero-shot base at every setting, gain = x + (student - probe), so the gain's slope is 1 per unit
 *   of x (10 points per 10) plus this one: a student that keeps a fixed distance from its probe shows
 *   a gain slope of 10 per 10 and a student - probe slope of 0.
 * Each with a 95% interval over the pretraining runs (stages/ml/trend.ts; seed s used run s mod R at
 * every setting: give the run's R, which the tables do not record), and each set of slopes as a
 * family, Holm-adjusted, with simultaneous (Bonferroni) intervals. PGR gets no trend: it is a ratio
 * whose interval is unbounded wherever its gap's reaches 0. Prints Markdown; bad input exits 2.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { adjust } from "../stages/ml/families.ts"
import { replicateOf } from "../stages/ml/replicates.ts"
import { trendOverRuns } from "../stages/ml/trend.ts"

const usage = "usage: npm run dial-trend -- DIR [--checkpoint weak-val] [--method naive] [--replicates 3]"
const fail = (why: string): never => {
  console.error(`error: ${why}\n${usage}`)
  process.exit(2)
}
const options: Record<string, string> = { "--checkpoint": "weak-val", "--method": "naive", "--replicates": "3" }
const positional: Array<string> = []
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i]!
  if (a.startsWith("--")) {
    if (!(a in options)) fail(`unknown option ${a}`)
    const v = process.argv[++i]
    if (v === undefined || v.startsWith("--")) fail(`${a} needs a value`)
    options[a] = v!
  } else positional.push(a)
}
if (positional.length !== 1) fail(positional.length === 0 ? "no folder given" : `one folder, not ${positional.length}: ${positional.join(" ")}`)
const dir = positional[0]!
const checkpoint = options["--checkpoint"]!
const method = options["--method"]!
const R = Number(options["--replicates"])
if (!(Number.isInteger(R) && R >= 2)) fail(`--replicates must be an integer of at least 2 (the intervals are over the runs), not ${options["--replicates"]}`)

type Row = Record<string, string>
const table = (file: string): Array<Row> => {
  let text: string
  try {
    text = readFileSync(join(dir, file), "utf8")
  } catch (e) {
    return fail(`cannot read ${join(dir, file)}: ${(e as Error).message}`)
  }
  const [head, ...lines] = text.trim().split("\n")
  const cols = head!.split(",")
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i]!, v])))
}
let files: Array<string> = []
try {
  files = readdirSync(dir)
} catch (e) {
  fail(`cannot read the folder ${dir}: ${(e as Error).message}`)
}
const settings = files.flatMap((f) => /^rows-([0-9.]+)\.csv$/.exec(f)?.[1] ?? []).sort((a, b) => Number(a) - Number(b))
if (settings.length < 2) fail(`${dir} holds ${settings.length} rows-<setting>.csv table(s); a trend needs two settings or more`)
const num = (r: Row, k: string) => {
  const v = Number(r[k])
  if (r[k] === undefined || r[k]!.trim() === "" || !Number.isFinite(v)) fail(`a row has no number in column ${k}: ${JSON.stringify(r)}`)
  return v
}

interface Cell {
  /** x: the student's base's probe - zero-shot */
  readonly x: number
  /** per run, the mean over its seeds of the gain over the better baseline */
  readonly gain: Array<number>
  /** per run, the mean over its seeds of the student's accuracy less its base's probe */
  readonly minusProbe: Array<number>
  readonly over: "weak" | "zero-shot"
}
const pairs = new Map<string, Map<string, Cell>>()
for (const setting of settings) {
  const knowledge = table(`ladder-knowledge-${setting}.csv`)
  const rows = table(`rows-${setting}.csv`).filter((r) => r.method === method && r.checkpoint === checkpoint)
  if (rows.length === 0) fail(`rows-${setting}.csv has no rows of method ${method} at checkpoint ${checkpoint}`)
  for (const pair of [...new Set(rows.map((r) => `${r.weak} → ${r.strong}`))]) {
    const rs = rows.filter((r) => `${r.weak} → ${r.strong}` === pair)
    const seeds = rs.map((r) => num(r, "seed"))
    if (new Set(seeds).size !== seeds.length) fail(`rows-${setting}.csv: ${pair} has a seed twice (seeds ${seeds.join(", ")})`)
    const strong = rs[0]!.strong!
    const member = knowledge.find((k) => k.member === strong) ?? fail(`ladder-knowledge-${setting}.csv has no member ${strong}`)
    const probe = num(member, "accProbe")
    const mean = (k: string) => rs.reduce((a, r) => a + num(r, k), 0) / rs.length
    // the baseline chosen by the seed means, as the results stage and npm run families do
    const over = mean("accZeroShot") > mean("accWeak") ? "zero-shot" : "weak"
    const runs = Array.from({ length: R }, () => [] as Array<Row>)
    for (const r of rs) runs[replicateOf(num(r, "seed"), R)]!.push(r)
    if (runs.some((v) => v.length === 0)) fail(`setting ${setting}, ${pair}: a pretraining run of ${R} has no seed (seeds ${seeds.join(", ")})`)
    const runMean = (f: (r: Row) => number) => runs.map((v) => v.reduce((a, r) => a + f(r), 0) / v.length)
    const cell: Cell = {
      x: probe - num(member, "accZeroShot"),
      gain: runMean((r) => num(r, "accStudent") - num(r, over === "weak" ? "accWeak" : "accZeroShot")),
      minusProbe: runMean((r) => num(r, "accStudent") - probe),
      over
    }
    pairs.set(pair, (pairs.get(pair) ?? new Map()).set(setting, cell))
  }
}

const pt = (x: number) => (100 * x).toFixed(1)
const iv = (i: { est: number; lo: number; hi: number }) => `${pt(i.est)} (${pt(i.lo)} to ${pt(i.hi)})`
/** a slope per unit of x as points per 10 points of x */
const per10 = (i: { est: number; lo: number; hi: number }) => iv({ est: i.est / 10, lo: i.lo / 10, hi: i.hi / 10 })
const pFmt = (p: number) => (p < 0.001 ? "<0.001" : p.toFixed(3))
const skipped: Array<string> = []
const trends = [...pairs].flatMap(([pair, cells]) => {
  if (!settings.every((s) => cells.has(s))) {
    skipped.push(`${pair} (not at every setting)`)
    return []
  }
  const at = settings.map((s) => cells.get(s)!)
  const xs = at.map((c) => c.x)
  if (new Set(xs).size < 2) {
    skipped.push(`${pair} (its x is the same at every setting: an unpretrained student)`)
    return []
  }
  const byRun = (f: (c: Cell) => Array<number>) => Array.from({ length: R }, (_, r) => at.map((c) => f(c)[r]!))
  return [{ pair, at, gain: trendOverRuns(xs, byRun((c) => c.gain)), minusProbe: trendOverRuns(xs, byRun((c) => c.minusProbe)) }]
})
if (trends.length === 0) fail(`no pair has a trend: ${skipped.join("; ")}`)
const gainFamily = adjust(trends.map((t) => t.gain.slope))
const probeFamily = adjust(trends.map((t) => t.minusProbe.slope))

console.log(
  `Dial settings ${settings.join(", ")}; ${method} students at the ${checkpoint} checkpoint. x: the student's base's probe - zero-shot test accuracy; ` +
    `gain: student - max(weak, zero-shot) (the baseline chosen by the seed means; marked where it is the zero-shot base); all in points. ` +
    `Slopes in points per 10 points of x. 95% intervals: Student's t over the ${R} pretraining runs (${R - 1} df). ` +
    `Two families, each of the ${trends.length} slopes, Holm-adjusted: a slope survives when its Holm p is below 0.05 (Holm's step-down test ` +
    `can reject where the simultaneous Bonferroni interval, also given, still touches 0). The change intervals are per comparison, in no family.\n`
)
console.log(`| pair | ${settings.map((s) => `x, gain at ${s}`).join(" | ")} | gain: slope | gain: change, lowest x to highest | gain slope: Holm p, simultaneous interval, survives | student - probe: slope | its Holm p, simultaneous interval, survives |`)
console.log(`| --- | ${settings.map(() => "---").join(" | ")} | --- | --- | --- | --- | --- |`)
trends.forEach((t, i) => {
  const g = gainFamily[i]!, m = probeFamily[i]!
  const cells = t.at.map((c) => `${pt(c.x)}, ${pt(c.gain.reduce((s, v) => s + v, 0) / R)}${c.over === "zero-shot" ? " (over zero-shot)" : ""}`)
  const fam = (a: typeof g) => `${pFmt(a.pHolm)}, ${pt(a.lo / 10)} to ${pt(a.hi / 10)}, ${a.survives ? "yes" : "no"}`
  console.log(`| ${t.pair} | ${cells.join(" | ")} | ${per10(t.gain.slope)} | ${iv(t.gain.change)} | ${fam(g)} | ${per10(t.minusProbe.slope)} | ${fam(m)} |`)
})
if (skipped.length) console.log(`\nLeft out: ${skipped.join("; ")}.`)
