// The w2s-chess smoke preset end to end through the CLI, as a user runs it: every stage, the results
// table, the figures written to a folder; then sweeps on the warm cache: a new strong size runs only
// its own nodes plus the aggregates, going back to the old grid runs nothing, and a style-only change
// re-renders the figures and trains nothing. Where Slurm is installed, the same preset through
// `--executor slurm` gives the same keys and the same bytes for every node.
import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import jstat from "jstat"
import { rng } from "../stages/chess/rng.ts"
import { cli, tempCache } from "./cli-helpers.ts"
import { outputsOf, slurmMissing, startCluster } from "./slurm-helpers.ts"

const FIGURES = ["accuracy", "pgr", "bootstrap", "auxconf", "agreement", "summary", "epochs"].map((f) => `figure-${f}`)
const cache = tempCache()
const out = join(dirname(cache), "figures")
const base = ["--preset", "smoke", "--set", "backend=wasm", "--cache-dir", cache]
const LONG = 900_000

const planned = (...sets: Array<string>) => {
  const r = cli(["plan", "w2s-chess", ...base, ...sets.flatMap((s) => ["--set", s]), "--json"])
  assert.strictEqual(r.code, 0, r.stderr)
  const plan = JSON.parse(r.stdout) as { nodes: Array<{ id: string; stage: string; status: string }> }
  return plan.nodes.filter((n) => n.status === "run").map((n) => n.id)
}
const ran = (stdout: string) => Number(stdout.match(/: (\d+) ran/)?.[1])

describe("w2s-chess smoke preset through the CLI", () => {
  it("runs the whole DAG, writes every figure as SVG and PNG, and reports every (weak, strong, method, seed)", () => {
    const r = cli(["run", "w2s-chess", ...base, "--out", out, "--jobs", "2"], {}, LONG)
    assert.strictEqual(r.code, 0, r.stderr + r.stdout)
    assert.match(r.stdout, /figures: 7 written to /)
    // the progress count adds up at the end: every node done, cached or failed
    const total = r.stderr.split("\n").filter((l) => / total {5}/.test(l)).at(-1) ?? ""
    const count = (what: string) => Number(new RegExp(`(\\d+) ${what}`).exec(total)?.[1])
    assert.strictEqual(count("done") + count("cached") + count("failed"), count("nodes:"), total)
    assert.deepStrictEqual([count("running"), count("to run"), count("failed")], [0, 0, 0], total)
    // the run's report, beside the figures: every figure inline, the results, every node
    const report = readFileSync(join(out, "report.html"), "utf8")
    assert.match(r.stdout, /report: .*report\.html/)
    assert.strictEqual(report.match(/<div class=figure /g)?.length, 7)
    assert.include(report, `data-table="results.checkpoints"`)
    assert.strictEqual(report.match(/class="dag-node"/g)?.length, count("nodes:"))
    assert.notMatch(report, /<script|<link|<img|src=/i)
    for (const f of FIGURES) {
      assert.include(readFileSync(join(out, `${f}.svg`), "utf8"), "<svg")
      assert.deepStrictEqual([...readFileSync(join(out, `${f}.png`)).subarray(1, 4)], [0x50, 0x4e, 0x47]) // "PNG"
    }
    assert.deepStrictEqual(planned(), [])
    // `pipeline results`: the student's checkpoints side by side, one row per (weak, strong, method)
    const side = cli(["results", "w2s-chess", ...base, "--format", "json"])
    assert.strictEqual(side.code, 0, side.stderr)
    const sideRows = JSON.parse(side.stdout) as Array<Record<string, unknown>>
    assert.strictEqual(sideRows.length, 4)
    for (const k of ["pgrFinal", "pgrWeakVal", "pgrDisagreement", "pgrPoolAgreement", "pgrOracleTest", "accStudentWeakValLo95", "pgrReadable", "accPool", "accZeroShotLo95", "regretPoolAgreementHi95"]) assert.property(sideRows[0], k)
    const res = cli(["export", "w2s-chess", "results", "--output", "rows", ...base, "--format", "json"])
    assert.strictEqual(res.code, 0, res.stderr)
    const rows = JSON.parse(res.stdout) as Array<{ method: string; checkpoint: string; n: number; accWeak: number; accStudent: number; strongFlops: number }>
    assert.sameMembers([...new Set(rows.map((x) => x.method))], ["naive", "auxconf", "bootstrap", "noise"])
    assert.strictEqual(rows.length, 4 * 5, "five student checkpoints per (weak, strong, method, seed)")
    assert.sameMembers([...new Set(rows.map((x) => x.checkpoint))], ["final", "weak-val", "disagreement", "pool-agreement", "oracle-test"])
    for (const row of rows) assert.isTrue(row.n > 0 && row.accWeak >= 0 && row.accStudent <= 1 && row.strongFlops > 0)
    // per-example predictions and weak labels export as Parquet like any table
    for (const [node, port] of [["evaluate/s0-s2/naive/s0", "predictions"], ["label/s0/s0", "labels"], ["ladder-knowledge", "members"]] as const) {
      const file = join(dirname(cache), `${port}.parquet`)
      const e = cli(["export", "w2s-chess", node, "--output", port, "--format", "parquet", "--out", file, ...base])
      assert.strictEqual(e.code, 0, e.stderr)
      assert.strictEqual(readFileSync(file).subarray(0, 4).toString(), "PAR1")
    }
  }, LONG)

  it("val-score gives a model's ground-truth validation accuracy: the supervisor's, as its own validation labels show it", () => {
    // an independent count: the supervisor's hard labels of the val split against the split's answers
    const json = (node: string, port: string) => {
      const e = cli(["export", "w2s-chess", node, "--output", port, "--format", "json", ...base])
      assert.strictEqual(e.code, 0, e.stderr)
      return JSON.parse(e.stdout) as Array<{ fen: string; best?: string; hard?: string }>
    }
    const answers = new Map(json("split/s0", "val").map((p) => [p.fen, p.best]))
    const labels = json("label/s0/s0/val", "labels")
    assert.isAbove(labels.length, 0)
    const right = labels.filter((l) => l.hard === answers.get(l.fen)).length
    const r = spawnSync(process.execPath, ["dist/val-score.js", "--cache-dir", cache, "--preset", "smoke", "--set", "backend=wasm", "train-weak/s0/s0", "pretrain/s2"], { encoding: "utf8", timeout: 120_000 })
    assert.strictEqual(r.status, 0, r.stderr)
    const row = r.stdout.split("\n").find((l) => l.startsWith("| train-weak/s0/s0 |"))
    assert.strictEqual(row, `| train-weak/s0/s0 | split/s0 | ${((100 * right) / labels.length).toFixed(1)}% | ${(100 * Math.sqrt((right / labels.length) * (1 - right / labels.length) / labels.length)).toFixed(1)} | ${labels.length} |`)
    assert.match(r.stdout, /\| pretrain\/s2 \| split\/s0 \| \d+\.\d% \|/)
    // --curve: a student's every checkpoint with its ground-truth validation accuracy and each rule's
    // scores; the weak-val pick's accuracy is the output model's, scored afresh
    const student = "train-strong/s0-s2/naive/s0"
    const plain = spawnSync(process.execPath, ["dist/val-score.js", "--cache-dir", cache, "--preset", "smoke", "--set", "backend=wasm", student], { encoding: "utf8", timeout: 120_000 })
    assert.strictEqual(plain.status, 0, plain.stderr)
    const outputAcc = plain.stdout.split("\n").find((l) => l.startsWith(`| ${student} |`))!.split("|")[3]!.trim()
    const curve = spawnSync(process.execPath, ["dist/val-score.js", "--cache-dir", cache, "--preset", "smoke", "--set", "backend=wasm", "--curve", student], { encoding: "utf8", timeout: 120_000 })
    assert.strictEqual(curve.status, 0, curve.stderr)
    assert.include(curve.stdout, "| epoch | val accuracy | weak-val | disagreement | pool-agreement |")
    // smoke: the base, 3 checkpoints inside the first epoch and its end, then epoch 2
    const rows = curve.stdout.split("\n").filter((l) => /^\| [0-9.]+ \|/.test(l)).map((l) => l.split("|").map((c) => c.trim()))
    const epochs = rows.map((r) => Number(r[1]))
    assert.deepStrictEqual([epochs[0], epochs.filter((e) => e > 0 && e < 1).length, ...epochs.slice(-2)], [0, 3, 1, 2], curve.stdout)
    for (const k of [3, 4, 5]) assert.strictEqual(rows.filter((r) => r[k]!.endsWith("*")).length, 1, `one pick per rule: ${curve.stdout}`)
    assert.strictEqual(rows.filter((r) => r[2]!.endsWith("!")).length, 1)
    assert.strictEqual(rows.find((r) => r[3]!.endsWith("*"))![2]!.replace(" !", ""), outputAcc)
    // a seed's model is scored on its own seed's split only
    const other = spawnSync(process.execPath, ["dist/val-score.js", "--cache-dir", cache, "--preset", "smoke", "--set", "backend=wasm", "--seed", "1", "train-weak/s0/s0"], { encoding: "utf8", timeout: 120_000 })
    assert.strictEqual(other.status, 2)
    assert.match(other.stderr, /train-weak\/s0\/s0 descends from split\/s0; --seed 1 would score it on another split's val/)
    // a node that is not computed for these params is an error naming it, exit 2
    const missing = spawnSync(process.execPath, ["dist/val-score.js", "--cache-dir", cache, "--preset", "smoke", "--set", "weak.training.epochs=9", "train-weak/s0/s0"], { encoding: "utf8", timeout: 120_000 })
    assert.strictEqual(missing.status, 2)
    assert.match(missing.stderr, /train-weak\/s0\/s0 is not computed for these params/)
  }, LONG)

  it.skipIf(slurmMissing() !== undefined)("through --executor slurm on a single-node cluster, the same keys and the same bytes for every node", () => {
    const c = startCluster(2)
    try {
      const remote = tempCache()
      const r = cli(["run", "w2s-chess", "--preset", "smoke", "--set", "backend=wasm", "--cache-dir", remote, "--executor", "slurm", "--out", join(dirname(remote), "figures")], c.env, LONG)
      assert.strictEqual(r.code, 0, r.stderr + r.stdout)
      assert.match(r.stderr, /slurm\s+puzzles\/\S+\s+job \d+ running/)
      assert.match(r.stderr, /slurm\s+train-strong\/\S+\s+job \d+ running/)
      const plan = (dir: string) => cli(["plan", "w2s-chess", "--preset", "smoke", "--set", "backend=wasm", "--cache-dir", dir, "--json"]).stdout
      const keys = (dir: string) => Object.fromEntries((JSON.parse(plan(dir)) as { nodes: Array<{ id: string; key: string }> }).nodes.map((n) => [n.id, n.key]))
      assert.deepStrictEqual(keys(remote), keys(cache))
      // Every node's bytes, the figures' included. (figure-pgr once differed here in one axis label:
      // with one strong size its log-scale x domain was NaN, labelled by leftover process state; the
      // figures now give a single size a domain of its own.)
      assert.deepStrictEqual(outputsOf(remote, plan(remote)), outputsOf(cache, plan(cache)))
    } finally {
      c.stop()
    }
  }, LONG)

  it("the summary's estimates and intervals are recomputed independently from the exported predictions", () => {
    // each table exported once (a summary row per checkpoint reads its evaluation's predictions)
    const exported = new Map<string, unknown>()
    const json = (node: string, port: string) => {
      const k = `${node}.${port}`
      if (!exported.has(k)) {
        const r = cli(["export", "w2s-chess", node, "--output", port, "--format", "json", ...base])
        assert.strictEqual(r.code, 0, r.stderr)
        exported.set(k, JSON.parse(r.stdout))
      }
      return structuredClone(exported.get(k)) as any
    }
    const summary = json("results", "summary") as Array<Record<string, number | string | boolean | null>>
    assert.strictEqual(summary.length, 4 * 5)
    for (const col of ["pgr", "pgrLo95", "pgrHi95", "studentMinusWeakLo95", "ceilingMinusWeakHi95", "studentMinusMaxWeakZeroShot", "pgrReadable", "interval"]) {
      assert.property(summary[0], col)
    }
    // the checkpoints side by side: the summary's numbers, rearranged
    const side = json("results", "checkpoints") as Array<Record<string, number | string | null>>
    assert.strictEqual(side.length, 4)
    for (const r of side) {
      for (const [cp, sfx] of [["final", "Final"], ["weak-val", "WeakVal"], ["disagreement", "Disagreement"], ["pool-agreement", "PoolAgreement"], ["oracle-test", "OracleTest"]]) {
        const s = summary.find((x) => x.weak === r.weak && x.strong === r.strong && x.method === r.method && x.checkpoint === cp)!
        assert.strictEqual(r[`accStudent${sfx}`], s.accStudent)
        assert.strictEqual(r[`pgr${sfx}Hi95`], s.pgrHi95)
      }
    }
    // each method against naive, paired: the two students' accuracies are the summary's, and the difference theirs
    const comparisons = json("results", "methods") as Array<Record<string, number | string | null>>
    const versus = comparisons.filter((v) => v.versus === "naive")
    assert.strictEqual(versus.length, 3 * 5)
    // and every student (naive included) against the label-free pool of its base and supervisor, paired
    const versusPool = comparisons.filter((v) => v.versus === "pool")
    assert.strictEqual(versusPool.length, 4 * 5)
    assert.strictEqual(comparisons.length, versus.length + versusPool.length)
    for (const v of versusPool) {
      const s = summary.find((x) => x.method === v.method && x.checkpoint === v.checkpoint)!
      const pool = side.find((x) => x.method === v.method)!.accPool as number
      assert.closeTo(v.accMethod as number, s.accStudent as number, 1e-12)
      assert.closeTo(v.accVersus as number, pool, 1e-12)
      assert.closeTo(v.methodMinusVersus as number, (s.accStudent as number) - pool, 1e-12)
      assert.strictEqual(v.methodMinusVersusFamily, `student - pool, ${v.checkpoint} checkpoint (4 comparisons)`)
    }
    for (const v of versus) {
      const acc = (method: unknown) => summary.find((x) => x.method === method && x.checkpoint === v.checkpoint)!.accStudent as number
      assert.closeTo(v.accMethod as number, acc(v.method), 1e-12)
      assert.closeTo(v.accVersus as number, acc("naive"), 1e-12)
      assert.closeTo(v.methodMinusVersus as number, acc(v.method) - acc("naive"), 1e-12)
      assert.isTrue((v.methodMinusVersusLo95 as number) <= (v.methodMinusVersus as number) + 1e-12 && (v.methodMinusVersus as number) <= (v.methodMinusVersusHi95 as number) + 1e-12)
    }
    // what each member knows before weak labels: zero-shot and linear probe, with intervals
    const members = json("ladder-knowledge", "members") as Array<Record<string, number | string>>
    assert.sameMembers(members.map((m) => m.member), ["s0", "s2"])
    for (const m of members) {
      for (const k of ["accZeroShot", "accProbe"]) {
        assert.isTrue((m[`${k}Lo95`] as number) <= (m[k] as number) && (m[k] as number) <= (m[`${k}Hi95`] as number), JSON.stringify(m))
        assert.isTrue((m[k] as number) >= 0 && (m[k] as number) <= 1)
      }
    }
    // the zero-shot accuracy of the student's base is the same number the summary reports
    const s2 = members.find((m) => m.member === "s2")!
    assert.closeTo(s2.accZeroShot as number, summary.find((r) => r.checkpoint === "final")!.accZeroShot as number, 1e-12)
    const column = { final: "studentFinal", "weak-val": "studentWeakVal", disagreement: "studentDisagreement", "pool-agreement": "studentPoolAgreement", "oracle-test": "studentOracleTest" } as const
    for (const row of summary) {
      const preds = json(`evaluate/${row.weak}-${row.strong}/${row.method}/s0`, "predictions") as Array<Record<string, string>>
      const student = column[row.checkpoint as keyof typeof column]
      const n = preds.length
      const right = (k: string) => preds.map((p) => (p[k] === p.truth ? 1 : 0))
      const [w, st] = [right("weak"), right(student)]
      const mean = (xs: Array<number>) => xs.reduce((a, b) => a + b, 0) / xs.length
      assert.closeTo(row.accWeak as number, mean(w), 1e-12)
      assert.closeTo(row.accStudent as number, mean(st), 1e-12)
      assert.closeTo(row.studentMinusWeak as number, mean(st) - mean(w), 1e-12)
      // one seed: the interval of (student - weak) from its test games, recomputed here from the
      // predictions and their games (cluster-robust variance, t on games - 1 df) ...
      const d = st.map((x, i) => x - w[i]!)
      const md = mean(d)
      const byGame = new Map<number, number>()
      preds.forEach((p, i) => byGame.set(Number(p.game), (byGame.get(Number(p.game)) ?? 0) + d[i]! - md))
      const G = byGame.size
      const v = (G / (G - 1)) * [...byGame.values()].reduce((a, x) => a + x * x, 0) / (n * n)
      const t = jstat.jStat.studentt.inv(0.975, G - 1)
      assert.closeTo(row.studentMinusWeakLo95 as number, md - t * Math.sqrt(v), 1e-9, JSON.stringify(row))
      assert.closeTo(row.studentMinusWeakHi95 as number, md + t * Math.sqrt(v), 1e-9, JSON.stringify(row))
      assert.closeTo(row.studentMinusWeakVarPuzzles as number, v, 1e-12)
      assert.isNull(row.studentMinusWeakVarSeeds)
      // ... and agrees with a percentile bootstrap that resamples whole games
      const gameList = [...new Set(preds.map((p) => Number(p.game)))]
      const members = new Map<number, Array<number>>(gameList.map((g) => [g, []]))
      preds.forEach((p, i) => members.get(Number(p.game))!.push(i))
      const r = rng("independent check", String(row.checkpoint), String(row.method))
      const diffs = Array.from({ length: 4000 }, () => {
        let sum = 0, count = 0
        for (let k = 0; k < G; k++) {
          for (const i of members.get(gameList[Math.floor(r() * G)]!)!) (sum += d[i]!), count++
        }
        return sum / count
      }).sort((a, b) => a - b)
      const width = Math.max(1 / n, (row.studentMinusWeakHi95 as number) - (row.studentMinusWeakLo95 as number))
      assert.closeTo(row.studentMinusWeakLo95 as number, diffs[100]!, 0.25 * width + 1 / n, JSON.stringify(row))
      assert.closeTo(row.studentMinusWeakHi95 as number, diffs[3899]!, 0.25 * width + 1 / n, JSON.stringify(row))
      assert.strictEqual(row.pgrReadable, (row.ceilingMinusWeakLo95 as number) > 0)
    }
    // each stopping rule's regret (and the final checkpoint's): the oracle's accuracy less that student's,
    // from the predictions; the label-free baselines' accuracies too
    for (const r of side) {
      const preds = json(`evaluate/${r.weak}-${r.strong}/${r.method}/s0`, "predictions") as Array<Record<string, string>>
      const acc = (k: string) => preds.filter((p) => p[k] === p.truth).length / preds.length
      for (const [cp, sfx] of [["final", "Final"], ["weak-val", "WeakVal"], ["disagreement", "Disagreement"], ["pool-agreement", "PoolAgreement"]]) {
        assert.closeTo(r[`regret${sfx}`] as number, acc("studentOracleTest") - acc(`student${sfx}`), 1e-12)
        assert.isAtLeast(r[`regret${sfx}`] as number, -1e-12, "the oracle is the best test reading")
        assert.isTrue((r[`regret${sfx}Lo95`] as number) <= (r[`regret${sfx}`] as number) + 1e-12)
        assert.strictEqual(r[`regret${sfx}Family`], `stopping regret: oracle-test - ${cp} (${side.length} comparisons)`)
      }
      assert.closeTo(r.accPool as number, acc("pool"), 1e-12)
      assert.closeTo(r.accZeroShot as number, acc("zeroShot"), 1e-12)
    }
    // families: at each checkpoint every cell's gain over max(weak, zero-shot), and every method
    // against naive, Holm-adjusted over their family (recomputed here from the per-comparison p-values)
    for (const [rows, prefix] of [[summary, "studentMinusMaxWeakZeroShot"], [versus, "methodMinusVersus"], [versusPool, "methodMinusVersus"]] as const) {
      for (const cp of ["final", "weak-val", "disagreement", "pool-agreement", "oracle-test"]) {
        const fam = (rows as Array<Record<string, unknown>>).filter((x) => x.checkpoint === cp)
        assert.isAbove(fam.length, 1)
        const order = [...fam].sort((a, b) => (a[`${prefix}P`] as number) - (b[`${prefix}P`] as number))
        let running = 0
        order.forEach((x, j) => {
          running = Math.max(running, Math.min(1, (fam.length - j) * (x[`${prefix}P`] as number)))
          assert.isNumber(x[`${prefix}P`], JSON.stringify(x))
          assert.closeTo(x[`${prefix}PHolm`] as number, running, 1e-12)
          assert.strictEqual(x[`${prefix}Survives`], running < 0.05)
          assert.match(String(x[`${prefix}Family`]), new RegExp(`${cp} checkpoint \\(${fam.length} comparisons\\)`))
          // the simultaneous interval is wider than the per-comparison one
          const lo95 = prefix === "methodMinusVersus" ? x.methodMinusVersusLo95 : x.studentMinusMaxWeakZeroShotLo95
          assert.isAtMost(x[`${prefix}LoFamily`] as number, (lo95 as number) + 1e-12)
        })
      }
    }
  }, LONG)

  it("--help, plan and a no-op run load neither TensorFlow.js, Stockfish, Arrow nor the figure renderer, and start no process or thread", () => {
    // A preloaded probe records what the CLI's main thread loaded and every process or worker it started.
    const probe = join(dirname(cache), "probe.cjs")
    const report = join(dirname(cache), "probe.json")
    writeFileSync(
      probe,
      `const fs = require("node:fs"), cp = require("node:child_process"), wt = require("node:worker_threads")
if (wt.isMainThread) {
  const started = []
  for (const k of ["spawn", "spawnSync", "fork", "exec", "execSync", "execFile", "execFileSync"]) {
    const f = cp[k]
    cp[k] = function (...a) { started.push(k + " " + a[0]); return f.apply(this, a) }
  }
  const W = wt.Worker
  wt.Worker = class extends W { constructor(...a) { started.push("worker " + a[0]); super(...a) } }
  // the WASM engine's script is read from disk and run, not required
  const read = fs.readFileSync
  fs.readFileSync = function (...a) { if (/stockfish/.test(String(a[0]))) started.push("read " + a[0]); return read.apply(this, a) }
  process.on("exit", () => fs.writeFileSync(process.env.PROBE_OUT, JSON.stringify({ modules: Object.keys(require.cache), started })))
}
`
    )
    for (const args of [["--help"], ["plan", "w2s-chess", ...base], ["run", "w2s-chess", ...base, "--out", out]]) {
      const r = cli(args, { NODE_OPTIONS: `--require ${probe}`, PROBE_OUT: report })
      assert.strictEqual(r.code, 0, r.stderr)
      if (args[0] === "run") assert.match(r.stdout, / 0 ran, \d+ cached/)
      const seen = JSON.parse(readFileSync(report, "utf8")) as { modules: Array<string>; started: Array<string> }
      assert.isAbove(seen.modules.length, 0)
      assert.deepStrictEqual(seen.modules.filter((m) => /@tensorflow|stockfish|apache-arrow|vega|resvg/.test(m)), [], args.join(" "))
      assert.deepStrictEqual(seen.started, [], args.join(" "))
    }
  })

  it("a new strong size plans only its own nodes plus results, the ladder's knowledge and figures; the old grid then runs nothing", () => {
    const grown = "sizes.strong=[\"s1\",\"s2\"]"
    assert.sameMembers(planned(grown), [
      "ceiling/s1/s0",
      "train-strong/s0-s1/naive/s0",
      "train-strong/s0-s1/auxconf/s0",
      "train-strong/s0-s1/noise/s0",
      "evaluate/s0-s1/naive/s0",
      "evaluate/s0-s1/auxconf/s0",
      "evaluate/s0-s1/noise/s0",
      "pool/s0-s1/s0",
      "probe/s1/s0",
      "ladder-knowledge",
      "results",
      ...FIGURES
    ])
    const r = cli(["run", "w2s-chess", ...base, "--set", grown, "--out", out], {}, LONG)
    assert.strictEqual(r.code, 0, r.stderr)
    assert.strictEqual(ran(r.stdout), 8 + 1 + 2 + FIGURES.length)
    assert.deepStrictEqual(planned(grown), [])
    const old = cli(["run", "w2s-chess", ...base, "--out", out])
    assert.strictEqual(old.code, 0, old.stderr)
    assert.strictEqual(ran(old.stdout), 0)
    // A grid never run before that only drops points re-aggregates (results, figures) and trains nothing.
    assert.sameMembers(planned("sizes.strong=[\"s1\"]"), ["results", "ladder-knowledge", ...FIGURES])
  }, LONG)

  it("a figure style change re-renders every figure and nothing upstream of them", () => {
    const before = readFileSync(join(out, "figure-pgr.svg"), "utf8")
    assert.sameMembers(planned("figures.width=520", "figures.scheme=\"dark2\""), FIGURES)
    const r = cli(["run", "w2s-chess", ...base, "--set", "figures.width=520", "--set", "figures.scheme=\"dark2\"", "--out", out], {}, LONG)
    assert.strictEqual(r.code, 0, r.stderr)
    assert.strictEqual(ran(r.stdout), FIGURES.length)
    assert.notStrictEqual(readFileSync(join(out, "figure-pgr.svg"), "utf8"), before)
    assert.isTrue(existsSync(join(out, "figure-summary.png")))
  }, LONG)

  it("a damaged figure object is reported and removed, not fatal; the next run redraws it", () => {
    const p = cli(["plan", "w2s-chess", ...base, "--json"])
    const key = (JSON.parse(p.stdout) as { nodes: Array<{ id: string; key: string }> }).nodes.find((n) => n.id === "figure-pgr")!.key
    const text = readFileSync(join(cache, "records", key.slice(0, 2), `${key}.json`), "utf8")
    const hash = (JSON.parse(text.slice(text.indexOf("\n") + 1)) as { outputs: { figure: { hash: string } } }).outputs.figure.hash
    const obj = join(cache, "objects", hash.slice(0, 2), hash)
    const bytes = readFileSync(obj)
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff
    writeFileSync(obj, bytes)
    const r = cli(["run", "w2s-chess", ...base, "--out", out])
    assert.strictEqual(r.code, 0, r.stderr)
    assert.match(r.stderr, /figures not written: figure-pgr \(damaged; the next run redraws it\)/)
    const again = cli(["run", "w2s-chess", ...base, "--out", out])
    assert.strictEqual(again.code, 0, again.stderr)
    assert.strictEqual(ran(again.stdout), 1)
    assert.match(again.stdout, /figures: 7 written/)
  }, LONG)
})
