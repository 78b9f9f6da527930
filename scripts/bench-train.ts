/**
 * `npm run bench -- train`: training throughput per model size of the default ladder on the active
 * TensorFlow.js backend (examples/s and GFLOP/s, counting 3x the forward FLOPs per example), next to
 * that backend's plain matMul GFLOP/s measured in the same run (the roofline). Synthetic positions:
 * throughput does not depend on which legal moves they have.
 */
import w2s from "../pipelines/w2s-chess.ts"
import { backend, type BackendChoice } from "../stages/ml/backend.ts"
import { type Example, INPUTS, MOVES } from "../stages/ml/encode.ts"
import * as M from "../stages/ml/model.ts"
import { rng } from "../stages/chess/rng.ts"

const choice = (process.env.BENCH_BACKEND ?? "auto") as BackendChoice
const b = await backend(choice)
const { tf } = b
const r = rng(7, "bench-train")
const synthetic = (n: number): Array<Example> =>
  Array.from({ length: n }, () => {
    const features = Int16Array.from(new Set(Array.from({ length: 28 }, () => Math.floor(r() * INPUTS))))
    const legal = Int16Array.from(new Set(Array.from({ length: 35 }, () => Math.floor(r() * MOVES))))
    return { features, legal, moves: [...legal].map(String), target: 0 }
  })

const matmulGflops = async (m: number, k: number, n: number): Promise<number> => {
  const a = tf.randomNormal([m, k], 0, 1, "float32", 1)
  const w = tf.randomNormal([k, n], 0, 1, "float32", 2)
  tf.matMul(a, w).dispose()
  const runs = 10
  const t0 = performance.now()
  for (let i = 0; i < runs; i++) {
    const c = tf.matMul(a, w)
    await c.data()
    c.dispose()
  }
  const s = (performance.now() - t0) / 1000 / runs
  tf.dispose([a, w])
  return (2 * m * k * n) / s / 1e9
}

const lines: Array<string> = []
const roof = await matmulGflops(256, 512, 4096)
lines.push(`- backend ${b.name} (${b.via}); plain matMul 256x512 @ 512x4096: ${roof.toFixed(1)} GFLOP/s (the roofline)`)
const loss: M.Loss = (z, batch) => tf.tidy(() => M.softCrossEntropy(tf, z, M.targetTensor(tf, batch)))
for (const member of w2s.presets.default!.ladder) {
  const model = M.init(tf, member.arch, 1)
  const warm = synthetic(256)
  await M.train(tf, model, warm, { epochs: 1, batch: 256, lr: 1e-3, seed: 1, loss })
  const data = synthetic(4096)
  const t0 = performance.now()
  await M.train(tf, model, data, { epochs: 1, batch: 256, lr: 1e-3, seed: 1, loss })
  const s = (performance.now() - t0) / 1000
  const gflops = (3 * M.forwardFlops(member.arch) * data.length) / s / 1e9
  lines.push(
    `- ${member.name} (width ${member.arch.width}, depth ${member.arch.depth}, ${(M.parameters(member.arch) / 1e6).toFixed(2)}M params): ` +
      `${(data.length / s).toFixed(0)} examples/s, ${gflops.toFixed(1)} GFLOP/s = ${((100 * gflops) / roof).toFixed(0)}% of the roofline (batch 256, ${data.length} examples)`
  )
  M.dispose(model)
}
console.log(lines.join("\n"))
