/**
 * TensorFlow.js backends: `auto` is the first installed of tfjs-node-gpu (CUDA), tfjs-node
 * (libtensorflow), wasm, cpu; `backend` in a stage's params forces one. The native packages are
 * optional dependencies whose install downloads libtensorflow, which fails on machines without
 * internet: their absence is normal and falls through to wasm.
 *
 * Backends compute different bytes, so keys must name the one that runs: `resolveChoice` turns
 * `auto` into it by looking at what is installed, without loading anything, and pipelines call it
 * when they build their graphs (node params then hold the backend itself). A backend that resolves
 * but does not load fails its node, rather than another backend computing under its key.
 *
 * `webgpu` runs on Dawn (the npm package `webgpu`), through whatever driver the machine has: a GPU's
 * Vulkan driver, or Mesa's software lavapipe/llvmpipe in tests. Its bytes depend on the device, so its
 * nodes' params name the adapter as well (`adapter`), found by a probe in a child process when the
 * graph is built (the planning process never loads Dawn nor holds a GPU), and a node whose adapter is
 * not the one here fails. `auto` considers webgpu only where PIPELINE_WEBGPU_AUTO=1 asks it to probe,
 * and takes it only for a hardware adapter: a probe costs a process start and a driver load (0.1-0.4 s),
 * too much for every `plan` on machines that have no GPU, which are most of ours.
 * PIPELINE_WEBGPU_DAWN passes Dawn toggles (e.g. `backend=opengles` for GL ES, which then asks for a
 * compatibility-mode adapter); VK_ICD_FILENAMES picks the Vulkan driver as usual.
 *
 * On wasm, BatchMatMul with transposeA/transposeB takes a path about 10x slower than the plain one,
 * and dense-layer gradients hit it. `patchWasmMatMul` re-registers the kernel to transpose the
 * operands explicitly first and then multiply on the fast path (numerically the same product), and
 * to multiply batches of matrices (the factored head's) with bmm.ts's SIMD loop: the same bits as
 * the backend's scalar loop, 3-4x faster.
 */
import type * as TF from "@tensorflow/tfjs-core"
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { pathToFileURL } from "node:url"
import { batchMatMul, simdAvailable } from "./bmm.ts"

export type BackendChoice = "auto" | "node-gpu" | "node" | "webgpu" | "wasm" | "cpu"
export const BackendChoices = ["auto", "node-gpu", "node", "webgpu", "wasm", "cpu"] as const

/** A WebGPU adapter as Dawn names it, and whether it is a software renderer. */
export interface Adapter {
  readonly vendor: string
  readonly architecture: string
  readonly device: string
  readonly description: string
  /** The Dawn toggles it was found with (PIPELINE_WEBGPU_DAWN), e.g. `backend=opengles`. */
  readonly dawn: string
  readonly software: boolean
}

export interface Backend {
  readonly tf: typeof TF
  /** The tfjs backend name in use: tensorflow, wasm or cpu. */
  readonly name: string
  /** Which package provided it, for records. */
  readonly via: string
  /** The WebGPU adapter, on webgpu. */
  readonly adapter?: Adapter
}

let loaded: Promise<Backend> | undefined

/** The backends `auto` may become, in the order it tries them. */
const AUTO_ORDER = ["node-gpu", "webgpu", "node", "wasm", "cpu"] as const
export type ResolvedChoice = (typeof AUTO_ORDER)[number]

/** The package each backend loads, and the file its install leaves when it can run here. */
const PACKAGES: Record<Exclude<ResolvedChoice, "cpu" | "webgpu">, string> = {
  "node-gpu": "@tensorflow/tfjs-node-gpu",
  node: "@tensorflow/tfjs-node",
  wasm: "@tensorflow/tfjs-backend-wasm"
}

/**
 * Whether a backend can run on this machine, judged from files alone: the package resolves, and
 * what its install adds is there (the native binding node-pre-gyp puts in lib/napi-v*, or the wasm
 * binary). A failed install of an optional package removes it, so this is rarely wrong; when it is,
 * the node fails with `backend X asked for, but ... does not load`.
 */
export const installedHere = (b: ResolvedChoice): boolean => {
  if (b === "cpu") return true
  if (b === "webgpu") return process.env.PIPELINE_WEBGPU_AUTO === "1" && probeAdapter()?.software === false
  let dir: string
  try {
    dir = dirname(createRequire(import.meta.url).resolve(`${PACKAGES[b]}/package.json`))
  } catch {
    return false
  }
  if (b === "wasm") return existsSync(join(dir, "dist", "tfjs-backend-wasm.wasm"))
  try {
    return readdirSync(join(dir, "lib")).some((d) => d.startsWith("napi-v") && existsSync(join(dir, "lib", d, "tfjs_binding.node")))
  } catch {
    return false
  }
}

/**
 * The backend a choice means on this machine: itself, or for `auto` the first in the order
 * node-gpu, webgpu, node, wasm, cpu that `installed` says is there. Cheap (a few file lookups) and
 * loads nothing; webgpu is probed only where PIPELINE_WEBGPU_AUTO=1.
 */
export const resolveChoice = (choice: BackendChoice, installed: (b: ResolvedChoice) => boolean = installedHere): ResolvedChoice =>
  choice === "auto" ? AUTO_ORDER.find(installed) ?? "cpu" : choice

const dawnToggles = (): Array<string> => (process.env.PIPELINE_WEBGPU_DAWN ?? "").split(/\s+/).filter(Boolean)

/** Dawn's adapter request: GL ES only offers compatibility-mode adapters. */
const adapterOptions = (toggles: ReadonlyArray<string>) =>
  toggles.includes("backend=opengles") || toggles.includes("backend=opengl") ? { featureLevel: "compatibility" } : {}

const isSoftware = (i: { architecture: string; device: string; description: string; isFallbackAdapter?: boolean }): boolean =>
  i.isFallbackAdapter === true || i.architecture === "software" || /llvmpipe|lavapipe|softpipe|swiftshader/i.test(`${i.device} ${i.description}`)

const adapterOf = (info: GPUAdapterInfo & { isFallbackAdapter?: boolean }, toggles: ReadonlyArray<string>): Adapter => ({
  vendor: info.vendor,
  architecture: info.architecture,
  device: info.device,
  description: info.description,
  dawn: toggles.join(" "),
  software: isSoftware(info)
})

let probed: { adapter: Adapter | undefined; error?: string } | undefined

/**
 * The WebGPU adapter Dawn finds here, from a child process (so this one neither loads Dawn nor holds
 * the GPU); undefined where there is none or Dawn does not load. Once per process, unless `again`
 * (after a change to the environment that picks the driver).
 */
export const probeAdapter = (again = false): Adapter | undefined => {
  if (probed && !again) return probed.adapter
  const toggles = dawnToggles()
  let dawn: string
  try {
    dawn = createRequire(import.meta.url).resolve("webgpu")
  } catch {
    probed = { adapter: undefined, error: "the package webgpu is not installed" }
    return undefined
  }
  const script = `const { create } = await import(${JSON.stringify(pathToFileURL(dawn).href)});
const a = await create(${JSON.stringify(toggles)}).requestAdapter(${JSON.stringify(adapterOptions(toggles))});
const i = a?.info; process.stdout.write(JSON.stringify(i ? { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter } : null)); process.exit(0)`
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 })
  try {
    const info = JSON.parse(r.stdout) as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | null
    probed = info ? { adapter: adapterOf(info, toggles) } : { adapter: undefined, error: "Dawn found no adapter" }
  } catch {
    probed = { adapter: undefined, error: `the probe failed: ${(r.stderr || String(r.error)).trim().split("\n").at(-1)}` }
  }
  return probed.adapter
}

/** Whether this process has probed for an adapter (started Dawn in a child process). */
export const hasProbed = (): boolean => probed !== undefined

/** Why `probeAdapter` found none, for messages. */
export const probeError = (): string | undefined => probed?.error

/** How an adapter is named in node params (and so in keys): description, vendor, architecture, device, Dawn toggles. */
export const adapterName = (a: Adapter): string =>
  `${a.description} (${[a.vendor, a.architecture, a.device].filter(Boolean).join(", ")}${a.dawn ? `; dawn ${a.dawn}` : ""})`

/**
 * The backend and, for webgpu, the adapter that node params should name: what pipelines put in
 * their learning nodes. Fails (throws) for webgpu where no adapter is found, naming why.
 * PIPELINE_WEBGPU_ADAPTER names the adapter instead of a probe, for a host that plans for GPUs it
 * does not have (a Slurm login node): its value is an `adapterName` printed on a GPU host, and nodes
 * fail on a host whose adapter is another.
 */
export const resolveBackend = (choice: BackendChoice): { readonly backend: ResolvedChoice; readonly adapter?: string } => {
  const backend = resolveChoice(choice)
  if (backend !== "webgpu") return { backend }
  const named = process.env.PIPELINE_WEBGPU_ADAPTER
  if (named) return { backend, adapter: named }
  const a = probeAdapter()
  if (!a) throw new Error(`backend webgpu: no WebGPU adapter here (${probeError()}); --set backend=wasm chooses another`)
  return { backend, adapter: adapterName(a) }
}

/**
 * tfjs-backend-webgpu 4.22.0's split-K matMul kernel ignores transposeB in its vec4 path, so
 * a x b^T is wrong for shapes like [64, 4096] x [128, 4096]^T: the gradient through a wide layer.
 * Program type 3 (MatMulPacked) is the regular kernel for every product; it has the guard.
 */
export const fixWebgpuMatMul = (tf: typeof TF): void => {
  tf.env().set("WEBGPU_MATMUL_PROGRAM_TYPE", 3)
}

const loadWebgpu = async (): Promise<Backend> => {
  const toggles = dawnToggles()
  const { create, globals } = await import("webgpu")
  // GPUBufferUsage, GPUMapMode and friends, which the backend reads as globals
  Object.assign(globalThis, globals)
  const gpu = create(toggles)
  const request = gpu.requestAdapter.bind(gpu)
  const options = adapterOptions(toggles)
  gpu.requestAdapter = (o?: GPURequestAdapterOptions) => request({ ...o, ...options } as GPURequestAdapterOptions)
  const adapter = await request(options as GPURequestAdapterOptions)
  if (!adapter) throw new Error(`no WebGPU adapter${toggles.length ? ` with Dawn toggles ${toggles.join(" ")}` : ""}`)
  // The backend reads navigator.gpu when it is imported. Node >= 21 has a navigator without gpu.
  const g = globalThis as { navigator?: object }
  if (g.navigator) Object.defineProperty(g.navigator, "gpu", { value: gpu, configurable: true })
  else Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true })
  const tf = await core()
  await import("@tensorflow/tfjs-backend-webgpu")
  if (!(await tf.setBackend("webgpu"))) throw new Error("tfjs-backend-webgpu did not initialise")
  await tf.ready()
  fixWebgpuMatMul(tf)
  // Gives the GPU back when the process ends: the backend's removal destroys its device. (Dawn 0.6.2
  // does not keep Node alive here: a script that loads webgpu and computes exits by itself.)
  process.once("exit", () => {
    tf.removeBackend("webgpu")
    delete (g.navigator as { gpu?: unknown }).gpu
  })
  return {
    tf,
    name: "webgpu",
    via: "@tensorflow/tfjs-backend-webgpu on webgpu (Dawn), WEBGPU_MATMUL_PROGRAM_TYPE=3",
    adapter: adapterOf(adapter.info, toggles)
  }
}

const loadNode = async (pkg: string): Promise<Backend> => {
  const mod = (await import(pkg)) as typeof TF
  await mod.ready()
  return { tf: mod, name: mod.getBackend(), via: pkg }
}

/**
 * Re-registers wasm's BatchMatMul so that transposed operands are transposed first (the fast path),
 * and products of batches of matrices (the factored head's) run on bmm.ts's SIMD loop, which gives
 * the backend's own bits 3-4x faster (`simd`: whether to, default where WebAssembly SIMD compiles).
 */
export const patchWasmMatMul = (tf: typeof TF, simd = simdAvailable()): void => {
  type Patched = TF.KernelConfig & { patched?: { simd: boolean; original: TF.KernelConfig } }
  const registered = tf.getKernel("BatchMatMul", "wasm") as Patched | undefined
  const transpose = tf.getKernel("Transpose", "wasm")
  if (!registered || !transpose || registered.patched?.simd === simd) return
  // patched before with the other setting (tests compare the two): start again from the backend's own
  const original = registered.patched?.original ?? registered
  const multiply = (a: TF.TensorInfo, b: TF.TensorInfo, backend: object, attrs: TF.NamedAttrMap) =>
    (simd ? batchMatMul(backend, a, b) : undefined) ??
      original.kernelFunc({ inputs: { a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } })
  const kernelFunc: TF.KernelFunc = ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: TF.TensorInfo; b: TF.TensorInfo }
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean }
    if (!transposeA && !transposeB) return multiply(a, b, backend, attrs ?? {})
    const swapLast = (t: TF.TensorInfo) => {
      const perm = t.shape.map((_, i) => i)
      const n = perm.length
      ;[perm[n - 2], perm[n - 1]] = [perm[n - 1]!, perm[n - 2]!]
      return transpose.kernelFunc({ inputs: { x: t }, backend, attrs: { perm } }) as TF.TensorInfo
    }
    const at = transposeA ? swapLast(a) : a
    const bt = transposeB ? swapLast(b) : b
    const out = multiply(at, bt, backend, attrs ?? {})
    const data = backend as unknown as { disposeData: (id: object) => void }
    if (at !== a) data.disposeData(at.dataId)
    if (bt !== b) data.disposeData(bt.dataId)
    return out
  }
  tf.unregisterKernel("BatchMatMul", "wasm")
  tf.registerKernel({ ...original, kernelFunc, patched: { simd, original } } as Patched)
}

/** The union package: tfjs-core's Node bundle alone registers no gradients, and training needs them. */
const core = async (): Promise<typeof TF> => (await import("@tensorflow/tfjs")) as unknown as typeof TF

/**
 * Registers the wasm backend (BatchMatMul patched) in `tf` and makes it the active one; `dir` is
 * where its .wasm files are (default: the installed package's). Comparisons of webgpu against wasm
 * switch between the two with `tf.setBackend`.
 */
export const addWasm = async (tf: typeof TF, dir?: string): Promise<void> => {
  const wasm = await import("@tensorflow/tfjs-backend-wasm")
  wasm.setWasmPaths(dir ?? join(dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/")
  if (!(await tf.setBackend("wasm"))) throw new Error("tfjs-backend-wasm did not initialise")
  await tf.ready()
  patchWasmMatMul(tf)
}

const loadWasm = async (): Promise<Backend> => {
  const tf = await core()
  await addWasm(tf)
  return { tf, name: "wasm", via: "@tensorflow/tfjs-backend-wasm (BatchMatMul patched)" }
}

const loadCpu = async (): Promise<Backend> => {
  const tf = await core()
  await tf.setBackend("cpu")
  await tf.ready()
  return { tf, name: "cpu", via: "@tensorflow/tfjs (cpu backend)" }
}

const load = async (choice: ResolvedChoice): Promise<Backend> => {
  switch (choice) {
    case "node-gpu":
    case "node": {
      const pkg = PACKAGES[choice]
      return loadNode(pkg).catch((e) => {
        throw new Error(
          `backend ${choice} (what auto means where ${pkg} is installed) does not load here: ${String((e as Error)?.message ?? e).split("\n")[0]}; ` +
            `--set backend=wasm chooses another`
        )
      })
    }
    case "webgpu":
      return loadWebgpu().catch((e) => {
        throw new Error(`backend webgpu does not load here: ${String((e as Error)?.message ?? e).split("\n")[0]}; --set backend=wasm chooses another`)
      })
    case "wasm":
      return loadWasm()
    case "cpu":
      return loadCpu()
  }
}

/**
 * The backend for this process (loaded once; a process, or worker thread, uses one backend). `auto`
 * loads what `resolveChoice` names, so a node given `auto` still runs the backend its key would name.
 */
export const backend = (choice: BackendChoice): Promise<Backend> => {
  if (!loaded) loaded = load(resolveChoice(choice))
  return loaded
}
