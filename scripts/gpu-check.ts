/**
 * The GPU check's measuring half: scripts/gpu-check.sh runs it, from the bundle that
 * scripts/gpu-carry.mjs builds into .gpu-carry/ (so a machine without the project's node_modules can).
 * On the webgpu backend it reports this machine's adapter; matMul against wasm for the products
 * training takes (among them the one tfjs-backend-webgpu 4.22.0 gets wrong without our fix); and for
 * each model of gpu-check-ladder.ts: the loss and predictions after one training step against wasm's, and the
 * examples/s of training steps (model.ts's `train`, batch building included) on webgpu and on wasm.
 * Prints one JSON object. With the argument `ladder` it prints only the members, loading nothing
 * (the PyTorch anchor reads them). GPU_CHECK_QUICK=1: small batches and few steps, for software drivers.
 */
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { addWasm, backend } from "../stages/ml/backend.ts"
import { type Example, INPUTS, MOVES } from "../stages/ml/encode.ts"
import * as M from "../stages/ml/model.ts"
import { rng } from "../stages/chess/rng.ts"
import { ladder } from "./gpu-check-ladder.ts"

const quick = process.env.GPU_CHECK_QUICK === "1"
const batch = quick ? 64 : 256
const steps = quick ? 2 : 10

if (process.argv[2] === "ladder") {
  process.stdout.write(JSON.stringify({ ladder, batch, steps }) + "\n")
  process.exit(0)
}

const synthetic = (n: number, seed: number): Array<Example> => {
  const r = rng(seed, "gpu-check")
  return Array.from({ length: n }, (_, i) => {
    const features = Int16Array.from(new Set(Array.from({ length: 28 }, () => Math.floor(r() * INPUTS))))
    const legal = Int16Array.from(new Set(Array.from({ length: 35 }, () => Math.floor(r() * MOVES))))
    return { features, legal, moves: [...legal].map(String), target: i % legal.length }
  })
}
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}

const report: Record<string, unknown> = { node: process.version, quick, batch, steps }
const started = performance.now()
const gpu = await backend("webgpu").catch((e: Error) => {
  process.stdout.write(JSON.stringify({ ...report, ok: false, error: e.message }) + "\n")
  process.exit(2)
})
const { tf } = gpu
report.adapter = gpu.adapter
report.via = gpu.via
report.initMs = Math.round(performance.now() - started)
const carried = join(dirname(fileURLToPath(import.meta.url)), "wasm") + "/"
await addWasm(tf, process.env.GPU_CHECK_WASM_DIR ?? (existsSync(carried) ? carried : undefined))

const on = async <A>(be: string, f: () => Promise<A>): Promise<A> => {
  await tf.setBackend(be)
  return f()
}
let ok = true

const matmul: Array<unknown> = []
for (const [m, k, n, ta, tb] of [[64, 4096, 128, false, true], [256, 4096, 1024, false, true], [64, 4096, 128, true, false], [256, 772, 512, false, false], [256, 512, 772, false, true], [772, 256, 512, true, false]] as const) {
  const product = async () => {
    const r = tf.tidy(() => tf.matMul(tf.randomUniform(ta ? [k, m] : [m, k], -1, 1, "float32", 7), tf.randomUniform(tb ? [n, k] : [k, n], -1, 1, "float32", 8), ta, tb))
    const d = await r.data()
    r.dispose()
    return d
  }
  const want = await on("wasm", product)
  const got = await on("webgpu", product)
  const diff = maxDiff(got, want)
  ok &&= diff < 1e-3
  matmul.push({ m, k, n, transposeA: ta, transposeB: tb, maxDiff: diff, ok: diff < 1e-3 })
}
report.matmul = matmul

const members: Array<unknown> = []
const loss: M.Loss = (z, b) => tf.tidy(() => M.softCrossEntropy(tf, z, M.targetTensor(tf, b)))
const step = synthetic(batch, 1)
const timed = synthetic(batch * steps, 2)
for (const member of ladder) {
  const row: Record<string, unknown> = { name: member.name, arch: member.arch, params: M.parameters(member.arch), batch }
  const parity: Record<string, { loss: number; p: Array<number> }> = {}
  for (const be of ["webgpu", "wasm"]) {
    await tf.setBackend(be)
    const model = M.init(tf, member.arch, 1)
    const [l] = await M.train(tf, model, step, { epochs: 1, batch, lr: 1e-3, seed: 1, loss })
    parity[be] = { loss: l!, p: (await M.predict(tf, model, step.slice(0, 32))).flatMap((x) => [...x]) }
    const t0 = performance.now()
    await M.train(tf, model, timed, { epochs: 1, batch, lr: 1e-3, seed: 2, loss })
    const s = (performance.now() - t0) / 1000
    row[be] = { examplesPerSecond: Math.round(timed.length / s), stepMs: Math.round((1000 * s) / steps) }
    M.dispose(model)
  }
  const lossRel = Math.abs(parity.webgpu!.loss - parity.wasm!.loss) / parity.wasm!.loss
  const predictions = maxDiff(parity.webgpu!.p, parity.wasm!.p)
  row.parity = { lossRel, predictions, ok: lossRel < 1e-4 && predictions < 1e-4 }
  ok &&= lossRel < 1e-4 && predictions < 1e-4
  row.speedup = (row.webgpu as { examplesPerSecond: number }).examplesPerSecond / (row.wasm as { examplesPerSecond: number }).examplesPerSecond
  members.push(row)
  process.stderr.write(`${JSON.stringify(row)}\n`)
}
report.members = members
report.ok = ok
report.seconds = Math.round((performance.now() - started) / 1000)
process.stdout.write(JSON.stringify(report) + "\n")
process.exit(ok ? 0 : 1)
