// `npm run bench [-- engine|data|train]`: runs the project's benchmarks, prints each figure as the
// median and range over several runs, and writes BENCHMARKS.md. Timings are wall clock on this machine.
import { execFileSync, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { cpus, tmpdir, totalmem } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const bundle = join(root, "bin", "pipeline.cjs")
const wanted = new Set(process.argv.slice(2))
const want = (suite) => wanted.size === 0 || wanted.has(suite)

execFileSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" })

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1], n: s.length }
}
const fmt = (st, unit, digits = 0) => `${st.median.toFixed(digits)} ${unit} (range ${st.min.toFixed(digits)}-${st.max.toFixed(digits)}, n=${st.n})`

/** Wall time of a command in ms, and its peak memory (via a wrapper that reports maxRSS at exit). */
const wrapper = join(mkdtempSync(join(tmpdir(), "w2s-bench-")), "measure.mjs")
writeFileSync(wrapper, `process.on("exit", () => process.stderr.write("\\nmaxrss " + process.resourceUsage().maxRSS + "\\n")); await import(${JSON.stringify(bundle)})\n`)
const timed = (args, env = {}) => {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [wrapper, ...args], { encoding: "utf8", maxBuffer: 2 ** 30, env: { ...process.env, CI: "1", ...env } })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`pipeline ${args.join(" ")} exited ${r.status}: ${r.stderr}`)
  const kb = Number(/maxrss (\d+)/.exec(r.stderr)?.[1] ?? NaN)
  return { ms, mb: kb / 1024 }
}
const wall = (cmd, args) => {
  const t0 = performance.now()
  const r = spawnSync(cmd, args, { stdio: "ignore" })
  if (r.status !== 0) throw new Error(`${cmd} failed`)
  return performance.now() - t0
}

const lines = []
const out = (line) => {
  console.log(line)
  lines.push(line)
}

out(`# Benchmarks\n`)
out(`Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}. Machine: ${cpus().length} x ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}.`)
out(`Each figure: median and range over n runs, wall clock.\n`)

if (want("engine")) {
  out(`## Engine\n`)
  const RUNS = 10
  const bare = stats(Array.from({ length: RUNS }, () => wall(process.execPath, ["-e", "0"])))
  out(`- bare \`node -e 0\`: ${fmt(bare, "ms")}`)
  const help = stats(Array.from({ length: RUNS }, () => timed(["--help"]).ms))
  out(`- \`pipeline --help\`: ${fmt(help, "ms")}`)
  for (const n of [200, 1000]) {
    const cache = mkdtempSync(join(tmpdir(), "w2s-bench-"))
    const cold = timed(["run", "bench-dag", "--set", `nodes=${n}`, "--cache-dir", cache])
    const noop = Array.from({ length: RUNS }, () => timed(["run", "bench-dag", "--set", `nodes=${n}`, "--cache-dir", cache]))
    const st = stats(noop.map((r) => r.ms))
    out(`- bench-dag, ${n} nodes: cold run ${cold.ms.toFixed(0)} ms; no-op run ${fmt(st, "ms")} = ${(st.median / bare.median).toFixed(1)}x bare node; peak ${stats(noop.map((r) => r.mb)).median.toFixed(0)} MB`)
    rmSync(cache, { recursive: true, force: true })
  }
  for (const n of [10_000, 100_000]) {
    const cache = mkdtempSync(join(tmpdir(), "w2s-bench-"))
    const runs = Array.from({ length: 3 }, () => timed(["plan", "bench-dag", "--json", "--set", `nodes=${n}`, "--cache-dir", cache]))
    out(`- plan of bench-dag with ${n} nodes (empty cache, --json): ${fmt(stats(runs.map((r) => r.ms)), "ms")}, peak ${fmt(stats(runs.map((r) => r.mb)), "MB")}`)
    rmSync(cache, { recursive: true, force: true })
  }
  const buf = Buffer.alloc(256 * 2 ** 20, 7)
  const rates = Array.from({ length: 5 }, () => {
    const t0 = performance.now()
    createHash("sha256").update(buf).digest()
    return buf.length / 2 ** 20 / ((performance.now() - t0) / 1000)
  })
  out(`- sha256 (node:crypto, what the store uses), 256 MiB in memory: ${fmt(stats(rates), "MB/s")}`)
  out("")
}

if (want("data")) {
  out(`## Chess data\n`)
  const r = spawnSync(process.execPath, [join(root, "dist", "bench-data.js")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
  if (r.status !== 0) throw new Error("the data benchmark failed")
  for (const line of r.stdout.trim().split("\n")) out(line)
  out("")
}

if (want("train")) {
  out(`## Training\n`)
  const r = spawnSync(process.execPath, [join(root, "dist", "bench-train.js")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
  if (r.status !== 0) throw new Error("the training benchmark failed")
  for (const line of r.stdout.trim().split("\n")) out(line)
  out("")
}

if (wanted.size === 0) writeFileSync(join(root, "BENCHMARKS.md"), lines.join("\n") + "\n")
else console.log("\n(BENCHMARKS.md is written only when every suite runs: `npm run bench`)")
