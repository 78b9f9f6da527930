/**
 * `npm run bench -- train`: training throughput per model size of the default ladder on the
 * TensorFlow.js backend BENCH_BACKEND (default auto; scripts/bench.mjs runs it again for webgpu where
 * an adapter exists) (examples/s and GFLOP/s, counting 3x the forward FLOPs per example), next to
 * that backend's plain matMul GFLOP/s measured in the same run (the roofline), for the full move
 * head and the factored one (model.ts). Synthetic positions: throughput does not depend on which
 * legal moves they have.
 *
 * With BENCH_TRAIN_DATA set to a folder of tables exported as JSON from a finished `default` run
 * (corpus*.json and blunders.json: Positions; weak.json and val.json: Puzzles; see BENCHMARKS.md),
 * also accuracy per second on real data: for each member in BENCH_TRAIN_MEMBERS (default s2,s3)
 * and each head in BENCH_TRAIN_HEADS (default full,factored:8,factored:16), the member is
 * initialised from one seed, pretrained with its ladder settings on the same sample of corpus and
 * blunder positions (BENCH_TRAIN_POSITIONS of each, default 15000), scored zero-shot on the
 * validation puzzles, then fine-tuned on the weak split's ground truth with the weak supervisors'
 * settings (last epoch, no selection) and scored again. The heads of one member run one after the
 * other in one process, their order rotating from member to member, so load hits them alike.
 *
 * On wasm, first the factored head's batched products on the backend's own loop against bmm.ts's
 * SIMD loop, taking turns, alone and in s3's pretraining steps, with whether they give the same bits
 * (BENCH_TRAIN_BMM_ONLY=1: only that). Then head-only fine-tuning as `default`'s students and probes do it, with the frozen
 * body run at every step and evaluation against its outputs computed once (taking turns, 3 rounds),
 * and whether the two end in the same weights.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import w2s from "../pipelines/w2s-chess.ts"
import { adapterName, backend, type BackendChoice, patchWasmMatMul, probeAdapter, probeError } from "../stages/ml/backend.ts"
import { simdAvailable } from "../stages/ml/bmm.ts"
import { checkpointSteps, corpusExamples, puzzleExamples } from "../stages/ml/common.ts"
import { type Example, INPUTS, MOVES } from "../stages/ml/encode.ts"
import * as M from "../stages/ml/model.ts"
import { rng } from "../stages/chess/rng.ts"
import type { Position, Puzzle } from "../stages/chess/tables.ts"

const choice = (process.env.BENCH_BACKEND ?? "auto") as BackendChoice
if (choice === "webgpu" && !probeAdapter()) {
  console.log(`- backend webgpu: not measured, no WebGPU adapter here (${probeError()})`)
  process.exit(0)
}
const b = await backend(choice)
const { tf } = b
const r = rng(7, "bench-train")
type TF3 = Parameters<typeof tf.matMul>[0]
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

const headName = (a: M.Architecture) => (a.head === "factored" ? `factored k=${a.rank ?? M.DEFAULT_RANK}` : "full")

const lines: Array<string> = []
const roof = await matmulGflops(256, 512, 4096)
lines.push(`- backend ${b.name} (${b.via}${b.adapter ? `; adapter ${adapterName(b.adapter)}, ${b.adapter.software ? "software" : "hardware"}` : ""}); plain matMul 256x512 @ 512x4096: ${roof.toFixed(1)} GFLOP/s (the roofline)`)
const loss: M.Loss = (z, batch) => tf.tidy(() => M.softCrossEntropy(tf, z, M.targetTensor(tf, batch)))

// The factored head's batched products on wasm: the backend's own scalar loop against bmm.ts's SIMD
// loop (patchWasmMatMul's `simd`), taking turns in one process: each product alone, then s3's
// pretraining steps, with whether the two give the same bits. BENCH_TRAIN_BMM_ONLY=1 stops after it.
// The arms take turns in ABBA order after a warm-up turn each, so neither always goes first.
const abba = (turn: number): "own" | "simd" => (["own", "simd", "simd", "own"] as const)[turn % 4]!
if (b.name === "wasm" && !simdAvailable()) lines.push("- the factored head's batched products: WebAssembly SIMD does not compile here, so both arms would be the backend's own loop; not measured")
if (b.name === "wasm" && simdAvailable()) {
  const med = (xs: Array<number>) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!
  const digest = (xs: ArrayLike<number>) => {
    const u = new Uint32Array(Float32Array.from(xs).buffer)
    let h = 2166136261
    for (const v of u) h = Math.imul(h ^ v, 16777619) >>> 0
    return h
  }
  lines.push("The factored head's batched products (wasm): the backend's own loop against bmm.ts's SIMD loop, median ms of 9 turns each (ABBA order, after a warm-up turn each), and whether the outputs are the same bits:")
  lines.push("")
  for (const n of [256, 64]) {
    for (const [sa, sb, what] of [[[n, 64, 8], [n, 8, 64], "u.v"], [[n, 64, 64], [n, 64, 8], "gradient of u"], [[n, 8, 64], [n, 64, 64], "gradient of v"]] as const) {
      const x = tf.randomNormal([...sa], 0, 1, "float32", 3)
      const y = tf.randomNormal([...sb], 0, 1, "float32", 4)
      const times: Record<"own" | "simd", Array<number>> = { own: [], simd: [] }
      const sums: Record<"own" | "simd", number> = { own: 0, simd: 0 }
      for (let turn = -2; turn < 18; turn++) {
        const arm = turn < 0 ? abba(turn + 2) : abba(turn)
        patchWasmMatMul(tf, arm === "simd")
        const t0 = performance.now()
        const z = tf.matMul(x as TF3, y as TF3)
        const values = z.dataSync()
        if (turn >= 0) times[arm].push(performance.now() - t0)
        sums[arm] = digest(values)
        z.dispose()
      }
      tf.dispose([x, y])
      lines.push(`- ${what}, [${sa}] x [${sb}]: own ${med(times.own).toFixed(2)} ms, SIMD ${med(times.simd).toFixed(2)} ms (${(med(times.own) / med(times.simd)).toFixed(1)}x); ${sums.own === sums.simd ? "same bits" : "DIFFERENT BITS"}`)
    }
  }
  const s3 = w2s.presets.default!.ladder.find((m) => m.name === "s3")!
  const steps = Number(process.env.BENCH_TRAIN_BMM_STEPS ?? 60)
  const data = synthetic(256 * steps)
  const arms: Record<"own" | "simd", { s: Array<number>; cpu: Array<number>; weights: number }> = { own: { s: [], cpu: [], weights: 0 }, simd: { s: [], cpu: [], weights: 0 } }
  for (const arm of ["own", "simd"] as const) {
    // warm-up: the heap's growth and the first compilations
    patchWasmMatMul(tf, arm === "simd")
    const model = M.init(tf, s3.arch, 1)
    await M.train(tf, model, data.slice(0, 256 * 4), { epochs: 1, batch: 256, lr: 1e-3, seed: 1, loss })
    M.dispose(model)
  }
  for (let turn = 0; turn < 6; turn++) {
    const arm = abba(turn)
    patchWasmMatMul(tf, arm === "simd")
    const model = M.init(tf, s3.arch, 1)
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    await M.train(tf, model, data, { epochs: 1, batch: 256, lr: 1e-3, seed: 1, loss })
    const c = process.cpuUsage(c0)
    arms[arm].s.push((performance.now() - t0) / 1000)
    arms[arm].cpu.push((c.user + c.system) / 1e6)
    arms[arm].weights = digest((await M.save(model)).weights)
    M.dispose(model)
  }
  patchWasmMatMul(tf)
  lines.push(
    `- s3's pretraining (width ${s3.arch.width}, depth ${s3.arch.depth}, factored head, batch 256, ${steps} steps from the same initialisation, 3 turns each in ABBA order after a warm-up): ` +
      `own ${(steps / med(arms.own.s)).toFixed(2)} steps/s (${med(arms.own.cpu).toFixed(1)} CPU s), SIMD ${(steps / med(arms.simd.s)).toFixed(2)} steps/s (${med(arms.simd.cpu).toFixed(1)} CPU s), ` +
      `${(med(arms.own.cpu) / med(arms.simd.cpu)).toFixed(2)}x less CPU; weights ${arms.own.weights === arms.simd.weights ? "identical, bit for bit" : "DIFFER"}`
  )
  lines.push("")
  if (process.env.BENCH_TRAIN_BMM_ONLY === "1") {
    console.log(lines.join("\n"))
    process.exit(0)
  }
}
const ladder = w2s.presets.default!.ladder
for (const member of ladder) {
  // the full head and the factored one, whichever the ladder uses (the ladder is factored now)
  for (const arch of [{ ...member.arch, head: "full" as const }, { ...member.arch, head: "factored" as const }]) {
    const model = M.init(tf, arch, 1)
    const warm = synthetic(256)
    await M.train(tf, model, warm, { epochs: 1, batch: 256, lr: 1e-3, seed: 1, loss })
    const data = synthetic(4096)
    const t0 = performance.now()
    await M.train(tf, model, data, { epochs: 1, batch: 256, lr: 1e-3, seed: 1, loss })
    const s = (performance.now() - t0) / 1000
    const gflops = (3 * M.forwardFlops(arch) * data.length) / s / 1e9
    lines.push(
      `- ${member.name} (width ${arch.width}, depth ${arch.depth}, ${headName(arch)} head, ${(M.parameters(arch) / 1e6).toFixed(2)}M params): ` +
        `${(data.length / s).toFixed(0)} examples/s, ${gflops.toFixed(1)} GFLOP/s = ${((100 * gflops) / roof).toFixed(0)}% of the roofline (batch 256, ${data.length} examples)`
    )
    M.dispose(model)
  }
}

// Head-only fine-tuning as the students and probes of `default` do it (the base frozen, 4 epochs at
// batch 64 on about 2,450 examples, evaluations at the base and at 11 checkpoints, each scoring about
// 1,200 validation and 1,230 test examples, here one set of 2,430): the body run at every step and
// evaluation (as before 801dc61) against its outputs computed once (`M.features`), the two taking
// turns over 3 rounds, with whether they end in the same weights. On wasm only: it is the backend
// `default` ran on, and the cpu backend would take tens of minutes here.
if (b.name === "wasm") {
  const train = synthetic(2450)
  const evals = synthetic(2430)
  const student = async (arch: M.Architecture, frozen: boolean) => {
    const model = M.init(tf, arch, 3)
    const t0 = performance.now()
    const fTrain = frozen ? M.features(tf, model, train) : undefined
    const fEval = frozen ? M.features(tf, model, evals) : undefined
    const checkpoints = new Set(checkpointSteps(Math.ceil(train.length / 64), 4, 8))
    const score = () => M.predict(tf, model, evals, 512, fEval)
    await score()
    await M.train(tf, model, train, {
      epochs: 4, batch: 64, lr: 5e-4, seed: 1, loss, headOnly: true, features: fTrain,
      onBatch: async (done) => {
        if (checkpoints.has(done)) await score()
      }
    })
    const s = (performance.now() - t0) / 1000
    tf.dispose([...(fTrain ? [fTrain] : []), ...(fEval ? [fEval] : [])])
    const weights = (await M.save(model)).weights
    M.dispose(model)
    return { s, weights }
  }
  lines.push("")
  lines.push("Head-only fine-tuning (a student of `default`: 2,450 examples, 4 epochs at batch 64, 12 evaluations of 2,430 examples: the base and 11 checkpoints), seconds per student, median of 3 rounds taking turns:")
  lines.push("")
  for (const member of ladder.filter((m) => m.name !== "s0")) {
    const times = { body: [] as Array<number>, frozen: [] as Array<number> }
    let same = true
    for (let round = 0; round < 3; round++) {
      const a = await student(member.arch, round % 2 === 1)
      const c = await student(member.arch, round % 2 === 0)
      const [body, frozen] = round % 2 === 1 ? [c, a] : [a, c]
      times.body.push(body.s)
      times.frozen.push(frozen.s)
      same &&= body.weights.length === frozen.weights.length && body.weights.every((v, i) => v === frozen.weights[i])
    }
    const med = (xs: Array<number>) => [...xs].sort((x, y) => x - y)[1]!
    lines.push(
      `- ${member.name} (width ${member.arch.width}, depth ${member.arch.depth}): body at every step ${med(times.body).toFixed(1)} s, ` +
        `frozen body's outputs computed once ${med(times.frozen).toFixed(1)} s (${(med(times.body) / med(times.frozen)).toFixed(2)}x); ` +
        `weights ${same ? "identical, bit for bit" : "DIFFER"}`
    )
  }
}

const dir = process.env.BENCH_TRAIN_DATA
if (!dir) {
  // empty: bench.mjs's second run, on webgpu, which measures throughput only
  if (dir === undefined) lines.push("- accuracy per second on real data: skipped (BENCH_TRAIN_DATA unset; see the bench's header for the files it reads)")
} else {
  const read = <A>(name: string): Array<A> => JSON.parse(readFileSync(join(dir, name), "utf8")) as Array<A>
  const n = Number(process.env.BENCH_TRAIN_POSITIONS ?? 15_000)
  const names = (process.env.BENCH_TRAIN_MEMBERS ?? "s2,s3").split(",")
  const heads: Array<Pick<M.Architecture, "head" | "rank">> = (process.env.BENCH_TRAIN_HEADS ?? "full,factored:8,factored:16").split(",").map((h) => {
    const [head, rank] = h.split(":")
    if (head === "full") return {}
    if (head === "factored") return { head: "factored", rank: rank ? Number(rank) : M.DEFAULT_RANK }
    throw new Error(`BENCH_TRAIN_HEADS: unknown head ${h}`)
  })
  const seed = 1
  const pre = [
    ...corpusExamples(readdirSync(dir).filter((f) => f.startsWith("corpus") && f.endsWith(".json")).map((f) => read<Position>(f)), n, seed),
    ...corpusExamples([read<Position>("blunders.json")], n, seed)
  ]
  const weak = puzzleExamples(read<Puzzle>("weak.json"))
  const val = puzzleExamples(read<Puzzle>("val.json"))
  const ft = w2s.presets.default!.weak.training
  const correct = async (m: M.Mlp) => (await M.predict(tf, m, val)).map((p, i) => (M.argmax(p) === val[i]!.target ? 1 : 0))
  const mean = (xs: ReadonlyArray<number>) => xs.reduce((s, x) => s + x, 0) / xs.length
  const se = (p: number) => Math.sqrt((p * (1 - p)) / val.length)
  /** Paired standard error of the mean of per-puzzle differences. */
  const pairedSe = (a: ReadonlyArray<number>, c: ReadonlyArray<number>) => {
    const d = a.map((x, i) => x - c[i]!)
    const m = mean(d)
    return Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / (d.length - 1) / d.length)
  }
  const timed = async (work: () => Promise<unknown>) => {
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    await work()
    const c = process.cpuUsage(c0)
    return { s: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 }
  }
  interface Arm {
    arch: M.Architecture
    init: number
    pre: { s: number; cpu: number; c: Array<number> }
    ft: { s: number; cpu: number; c: Array<number> }
  }
  const rows: Array<{ member: string; arms: Array<Arm> }> = []
  for (const [mi, name] of names.entries()) {
    const member = ladder.find((m) => m.name === name)
    if (!member) throw new Error(`BENCH_TRAIN_MEMBERS: no ladder member ${name}`)
    const order = heads.map((_, i) => (i + mi) % heads.length)
    const arms: Array<Arm> = []
    for (const h of order) {
      const arch: M.Architecture = { width: member.arch.width, depth: member.arch.depth, ...heads[h] }
      const model = M.init(tf, arch, seed)
      const init = mean(await correct(model))
      const t = member.pretrain.training
      const p = await timed(() => M.train(tf, model, pre, { epochs: t.epochs, batch: t.batch, lr: t.lr, seed, loss }))
      const pc = await correct(model)
      const f = await timed(() => M.train(tf, model, weak, { epochs: ft.epochs, batch: ft.batch, lr: ft.lr, seed, loss }))
      const fc = await correct(model)
      M.dispose(model)
      arms[h] = { arch, init, pre: { ...p, c: pc }, ft: { ...f, c: fc } }
      console.error(`bench-train: ${name} ${headName(arch)} done (${(p.s + f.s).toFixed(0)} s)`)
    }
    rows.push({ member: name, arms })
  }
  const pct = (x: number) => (100 * x).toFixed(1)
  const env = ["BENCH_TRAIN_POSITIONS", "BENCH_TRAIN_MEMBERS", "BENCH_TRAIN_HEADS"].filter((k) => process.env[k]).map((k) => `${k}=${process.env[k]} `).join("")
  lines.push("")
  lines.push("### Accuracy per second: the full move head against the factored one")
  lines.push("")
  lines.push(`Run as \`BENCH_TRAIN_DATA=DIR ${env}npm run bench -- train\`, DIR holding tables exported from a finished \`default\` run (see the bench's header).`)
  lines.push("")
  lines.push(
    `Accuracy per second on real data (BENCH_TRAIN_DATA): pretraining on ${pre.length} positions (${n} corpus + ${n} blunder positions, ` +
      `sampled with seed ${seed}) with each member's ladder settings; fine-tuning on the weak split's ${weak.length} puzzles with the weak ` +
      `supervisors' settings (${ft.epochs} epochs, lr ${ft.lr}, batch ${ft.batch}, last epoch); accuracy on the ${val.length} validation puzzles ` +
      `(± binomial standard error). Gain per second: accuracy points above the untrained model's (same seed) per second of training so far, wall clock. ` +
      `Seed ${seed} for initialisation and batch order, the same for every arm.`
  )
  lines.push("")
  lines.push("| member | head | params | stage | train s (CPU s) | examples/s | val accuracy % | gain, points/s |")
  lines.push("|---|---|---|---|---|---|---|---|")
  for (const { member, arms } of rows) {
    for (const a of arms) {
      const t = ladder.find((m) => m.name === member)!.pretrain.training
      const zs = mean(a.pre.c)
      const fa = mean(a.ft.c)
      lines.push(
        `| ${member} (${a.arch.width}x${a.arch.depth}) | ${headName(a.arch)} | ${(M.parameters(a.arch) / 1e6).toFixed(2)}M | pretrained, zero-shot | ` +
          `${a.pre.s.toFixed(1)} (${a.pre.cpu.toFixed(1)}) | ${((pre.length * t.epochs) / a.pre.s).toFixed(0)} | ${pct(zs)} ± ${pct(se(zs))} | ${((100 * (zs - a.init)) / a.pre.s).toFixed(3)} |`
      )
      lines.push(
        `| | | | + fine-tuned on weak | ${a.ft.s.toFixed(1)} (${a.ft.cpu.toFixed(1)}) | ${((weak.length * ft.epochs) / a.ft.s).toFixed(0)} | ` +
          `${pct(fa)} ± ${pct(se(fa))} | ${((100 * (fa - a.init)) / (a.pre.s + a.ft.s)).toFixed(3)} |`
      )
    }
  }
  lines.push("")
  lines.push("Each head against the full head of the same member, on the same validation puzzles (difference ± paired standard error):")
  lines.push("")
  for (const { member, arms } of rows) {
    const full = arms.find((a) => a.arch.head !== "factored")
    if (!full) continue
    for (const a of arms.filter((x) => x !== full)) {
      const d = (x: Array<number>, y: Array<number>) => `${(100 * (mean(x) - mean(y))).toFixed(1)} ± ${(100 * pairedSe(x, y)).toFixed(1)} points`
      lines.push(
        `- ${member} ${headName(a.arch)}: zero-shot ${d(a.pre.c, full.pre.c)}, fine-tuned ${d(a.ft.c, full.ft.c)}; ` +
          `training time ${((a.pre.s + a.ft.s) / (full.pre.s + full.ft.s)).toFixed(2)}x the full head's (CPU ${((a.pre.cpu + a.ft.cpu) / (full.pre.cpu + full.ft.cpu)).toFixed(2)}x)`
      )
    }
  }
}
console.log(lines.join("\n"))
