// `npm run bench [-- engine|data|train] [--baseline GIT-REF]`: runs the project's benchmarks, prints
// each figure as the median and range over several runs, and writes the sections it ran into
// BENCHMARKS.md (the others stay as they were). Timings are wall clock on this machine.
// `--baseline REF` also builds REF (e.g. main) in a temporary copy and times its start-up and no-op
// runs in the same rounds as this tree's, taking turns, so that a change is judged against the code
// it replaces under the same load (this machine is shared and noisy).
import { execFileSync, execSync, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { cpus, loadavg, tmpdir, totalmem } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const launcher = join(root, "bin", "pipeline.cjs")
const args = process.argv.slice(2)
const baselineRef = args.includes("--baseline") ? args[args.indexOf("--baseline") + 1] : undefined
if (args.includes("--baseline") && !baselineRef) throw new Error("--baseline needs a git ref, e.g. --baseline main")
const wanted = new Set(args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--baseline"))
const want = (suite) => wanted.size === 0 || wanted.has(suite)

execFileSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" })

/** The baseline: REF's tracked files in a temporary folder, sharing our node_modules, built. */
const baseline = (() => {
  if (!baselineRef || !want("engine")) return undefined
  const dir = mkdtempSync(join(tmpdir(), "w2s-bench-baseline-"))
  const commit = execSync(`git rev-parse --short ${baselineRef}`, { cwd: root, encoding: "utf8" }).trim()
  execSync(`git archive ${commit} | tar -x -C ${JSON.stringify(dir)}`, { cwd: root })
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"))
  execFileSync(process.execPath, [join(dir, "scripts", "build.mjs")], { stdio: "inherit" })
  return { dir, ref: baselineRef, commit, launcher: join(dir, "bin", "pipeline.cjs") }
})()

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1], n: s.length }
}
const fmt = (st, unit, digits = 0) => `${st.median.toFixed(digits)} ${unit} (range ${st.min.toFixed(digits)}-${st.max.toFixed(digits)}, n=${st.n})`

/** Wall time in ms of one command, output discarded. */
const wall = (cmd, args) => {
  const t0 = performance.now()
  const r = spawnSync(cmd, args, { stdio: "ignore", env: { ...process.env, CI: "1", PIPELINE_FIXTURES: "1" } })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}`)
  return performance.now() - t0
}
/** The CLI as a user calls it directly: `node bin/pipeline.cjs ...` (or the baseline's launcher). */
const cli = (args, bin = launcher) => wall(process.execPath, [bin, ...args])

/** Wall time and peak memory (maxRSS, reported by a CommonJS wrapper at exit) of a CLI call. */
const wrapper = join(mkdtempSync(join(tmpdir(), "w2s-bench-")), "measure.cjs")
writeFileSync(wrapper, `process.on("exit", () => process.stderr.write("\\nmaxrss " + process.resourceUsage().maxRSS + "\\n")); require(${JSON.stringify(launcher)})\n`)
const measured = (args) => {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [wrapper, ...args], { encoding: "utf8", maxBuffer: 2 ** 30, env: { ...process.env, CI: "1", PIPELINE_FIXTURES: "1" } })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`pipeline ${args.join(" ")} exited ${r.status}: ${r.stderr}`)
  return { ms, mb: Number(/maxrss (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024 }
}

// Each suite's section of BENCHMARKS.md, as lines.
const sections = new Map()
let lines
const out = (line) => {
  console.log(line)
  lines.push(line)
}
const section = (title) => {
  lines = []
  sections.set(title, lines)
  out(`## ${title}\n`)
  out(`Measured on ${new Date().toISOString().slice(0, 10)}. Machine: ${cpus().length} x ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; load average ${loadavg()[0].toFixed(1)} at the start (the machine is shared).\n`)
}

if (want("engine")) {
  section("Engine")
  out("CLI calls are direct (`node bin/pipeline.cjs ...`, no npx), taking turns with bare node in each round.\n")
  // Start-up and no-op runs: the commands take turns, so a slow spell of the machine hits them alike,
  // and each no-op figure is compared with bare node measured in the same rounds.
  const RUNS = baseline ? 25 : 15
  const caches = {}
  const cold = {}
  const noop = (n, bin = launcher) => cli(["run", "bench-dag", "--set", `nodes=${n}`, "--cache-dir", caches[bin === launcher ? n : `base${n}`]], bin)
  for (const n of [200, 1000]) {
    caches[n] = mkdtempSync(join(tmpdir(), "w2s-bench-"))
    cold[n] = noop(n)
    noop(n) // the first no-op writes the record index
  }
  if (baseline) {
    caches.base1000 = mkdtempSync(join(tmpdir(), "w2s-bench-"))
    noop(1000, baseline.launcher)
    noop(1000, baseline.launcher)
  }
  const t = { bare: [], help: [], 200: [], 1000: [], baseHelp: [], base1000: [] }
  for (let i = 0; i < RUNS; i++) {
    t.bare.push(wall(process.execPath, ["-e", "0"]))
    // with a baseline, which of the two goes first alternates from round to round
    const pair = (ours, theirs) => (i % 2 ? [theirs, ours] : [ours, theirs]).forEach((f) => f())
    pair(() => t.help.push(cli(["--help"])), () => baseline && t.baseHelp.push(cli(["--help"], baseline.launcher)))
    t[200].push(noop(200))
    pair(() => t[1000].push(noop(1000)), () => baseline && t.base1000.push(noop(1000, baseline.launcher)))
  }
  const bare = stats(t.bare)
  const ratio = (st) => `${(st.median / bare.median).toFixed(1)}x bare node`
  out(`- bare \`node -e 0\`: ${fmt(bare, "ms")}`)
  out(`- \`pipeline --help\`: ${fmt(stats(t.help), "ms")} = ${ratio(stats(t.help))}`)
  if (baseline) {
    // The median of the per-round ratios: each round's two runs met the same load.
    const paired = (a, b) => stats(a.map((x, i) => x / b[i])).median.toFixed(2)
    const named = baseline.commit.startsWith(baseline.ref) ? baseline.ref : `${baseline.ref} (${baseline.commit})`
    out(`- side by side with ${named}, the same ${RUNS} rounds, turns alternating:`)
    out(`  - \`pipeline --help\`: ${baseline.ref} ${fmt(stats(t.baseHelp), "ms")}; this tree ${fmt(stats(t.help), "ms")}; per-round ratio (this / ${baseline.ref}) median ${paired(t.help, t.baseHelp)}`)
    out(`  - no-op run of bench-dag, 1000 nodes: ${baseline.ref} ${fmt(stats(t.base1000), "ms")}; this tree ${fmt(stats(t[1000]), "ms")}; per-round ratio median ${paired(t[1000], t.base1000)}`)
    rmSync(caches.base1000, { recursive: true, force: true })
    rmSync(baseline.dir, { recursive: true, force: true })
  }
  for (const n of [200, 1000]) {
    const peak = stats(Array.from({ length: 3 }, () => measured(["run", "bench-dag", "--set", `nodes=${n}`, "--cache-dir", caches[n]]).mb))
    out(`- bench-dag, ${n} nodes: cold run ${cold[n].toFixed(0)} ms; no-op run ${fmt(stats(t[n]), "ms")} = ${ratio(stats(t[n]))}; peak ${peak.median.toFixed(0)} MB`)
    rmSync(caches[n], { recursive: true, force: true })
  }
  {
    // A larger no-op: every record checked by a stat, nothing hashed.
    const n = 10_000
    const cache = mkdtempSync(join(tmpdir(), "w2s-bench-"))
    const coldMs = cli(["run", "bench-dag", "--set", `nodes=${n}`, "--cache-dir", cache])
    cli(["run", "bench-dag", "--set", `nodes=${n}`, "--cache-dir", cache])
    const runs = Array.from({ length: 5 }, () => measured(["run", "bench-dag", "--set", `nodes=${n}`, "--cache-dir", cache]))
    out(`- bench-dag, ${n} nodes: cold run ${(coldMs / 1000).toFixed(1)} s; no-op run ${fmt(stats(runs.map((r) => r.ms)), "ms")}, peak ${stats(runs.map((r) => r.mb)).median.toFixed(0)} MB`)
    rmSync(cache, { recursive: true, force: true })
  }
  for (const n of [10_000, 100_000]) {
    const cache = mkdtempSync(join(tmpdir(), "w2s-bench-"))
    const runs = Array.from({ length: 3 }, () => measured(["plan", "bench-dag", "--json", "--set", `nodes=${n}`, "--cache-dir", cache]))
    out(`- plan of bench-dag with ${n} nodes (empty cache, --json): ${fmt(stats(runs.map((r) => r.ms)), "ms")}, peak ${fmt(stats(runs.map((r) => r.mb)), "MB")}`)
    rmSync(cache, { recursive: true, force: true })
  }
  const buf = Buffer.alloc(256 * 2 ** 20, 7)
  const rates = Array.from({ length: 5 }, () => {
    const t0 = performance.now()
    createHash("sha256").update(buf).digest()
    return buf.length / 2 ** 20 / ((performance.now() - t0) / 1000)
  })
  out(`- sha256 (node:crypto), 256 MiB in memory: ${fmt(stats(rates), "MB/s")}`)
  // The store's own re-hash: \`pipeline verify\` on a store holding one 1 GiB object (placed where the
  // store keeps objects, named by its hash), start-up included.
  {
    const cache = mkdtempSync(join(tmpdir(), "w2s-bench-"))
    const big = Buffer.alloc(2 ** 30)
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 255
    const hash = createHash("sha256").update(big).digest("hex")
    mkdirSync(join(cache, "objects", hash.slice(0, 2)), { recursive: true })
    writeFileSync(join(cache, "objects", hash.slice(0, 2), hash), big)
    const verify = stats(Array.from({ length: 3 }, () => cli(["verify", "--cache-dir", cache])))
    out(`- \`pipeline verify\` of a 1 GiB object: ${fmt(verify, "ms")} = ${(1024 / (verify.median / 1000)).toFixed(0)} MB/s with start-up`)
    rmSync(cache, { recursive: true, force: true })
  }
  out("")
}

if (want("data")) {
  section("Chess data")
  const r = spawnSync(process.execPath, [join(root, "dist", "bench-data.js")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
  if (r.status !== 0) throw new Error("the data benchmark failed")
  for (const line of r.stdout.trim().split("\n")) out(line)
  out("")
}

if (want("train")) {
  section("Training")
  const r = spawnSync(process.execPath, [join(root, "dist", "bench-train.js")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
  if (r.status !== 0) throw new Error("the training benchmark failed")
  for (const line of r.stdout.trim().split("\n")) out(line)
  out("")
  // webgpu beside it, throughput only, where Dawn finds an adapter (it says so where it does not)
  if (!/^- backend webgpu/.test(r.stdout) && (process.env.BENCH_BACKEND ?? "auto") !== "webgpu") {
    const env = { ...process.env, BENCH_BACKEND: "webgpu", BENCH_TRAIN_DATA: "" }
    const g = spawnSync(process.execPath, [join(root, "dist", "bench-train.js")], { encoding: "utf8", env, stdio: ["ignore", "pipe", "inherit"] })
    if (g.status !== 0) throw new Error("the training benchmark on webgpu failed")
    for (const line of g.stdout.trim().split("\n")) out(line)
    out("")
  }
}

// BENCHMARKS.md: the sections run now replace theirs; the others are kept, in the usual order.
const file = join(root, "BENCHMARKS.md")
const kept = new Map()
if (existsSync(file)) {
  for (const part of readFileSync(file, "utf8").split(/^(?=## )/m).slice(1)) kept.set(part.slice(3, part.indexOf("\n")).trim(), part.trimEnd())
}
// "GPU check" is written by hand from scripts/gpu-check.sh's JSON (no bench runs it): kept as it is
const body = ["Engine", "Chess data", "Training", "GPU check"]
  .map((title) => (sections.has(title) ? sections.get(title).join("\n").trimEnd() : kept.get(title)))
  .filter((x) => x !== undefined)
writeFileSync(
  file,
  `# Benchmarks\n\nWritten by \`npm run bench\` (\`npm run bench -- engine\` rewrites only its own section). Each figure: median and range over n runs, wall clock.\n\n${body.join("\n\n")}\n`
)
