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
 * On wasm, BatchMatMul with transposeA/transposeB takes a path about 10x slower than the plain one,
 * and dense-layer gradients hit it. `patchWasmMatMul` re-registers the kernel to transpose the
 * operands explicitly first and then multiply on the fast path (numerically the same product).
 */
import type * as TF from "@tensorflow/tfjs-core"
import { existsSync, readdirSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"

export type BackendChoice = "auto" | "node-gpu" | "node" | "wasm" | "cpu"
export const BackendChoices = ["auto", "node-gpu", "node", "wasm", "cpu"] as const

export interface Backend {
  readonly tf: typeof TF
  /** The tfjs backend name in use: tensorflow, wasm or cpu. */
  readonly name: string
  /** Which package provided it, for records. */
  readonly via: string
}

let loaded: Promise<Backend> | undefined

/** The backends `auto` may become, in the order it tries them. */
const AUTO_ORDER = ["node-gpu", "node", "wasm", "cpu"] as const
export type ResolvedChoice = (typeof AUTO_ORDER)[number]

/** The package each backend loads, and the file its install leaves when it can run here. */
const PACKAGES: Record<Exclude<ResolvedChoice, "cpu">, string> = {
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
 * node-gpu, node, wasm, cpu that `installed` says is there. Cheap (a few file lookups) and loads nothing.
 */
export const resolveChoice = (choice: BackendChoice, installed: (b: ResolvedChoice) => boolean = installedHere): ResolvedChoice =>
  choice === "auto" ? AUTO_ORDER.find(installed) ?? "cpu" : choice

const loadNode = async (pkg: string): Promise<Backend> => {
  const mod = (await import(pkg)) as typeof TF
  await mod.ready()
  return { tf: mod, name: mod.getBackend(), via: pkg }
}

/** Re-registers wasm's BatchMatMul so that transposed operands are transposed first (the fast path). */
export const patchWasmMatMul = (tf: typeof TF): void => {
  const original = tf.getKernel("BatchMatMul", "wasm")
  const transpose = tf.getKernel("Transpose", "wasm")
  if (!original || !transpose || (original as { patched?: boolean }).patched) return
  const kernelFunc: TF.KernelFunc = ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: TF.TensorInfo; b: TF.TensorInfo }
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean }
    if (!transposeA && !transposeB) return original.kernelFunc({ inputs, backend, attrs: attrs ?? {} })
    const swapLast = (t: TF.TensorInfo) => {
      const perm = t.shape.map((_, i) => i)
      const n = perm.length
      ;[perm[n - 2], perm[n - 1]] = [perm[n - 1]!, perm[n - 2]!]
      return transpose.kernelFunc({ inputs: { x: t }, backend, attrs: { perm } }) as TF.TensorInfo
    }
    const at = transposeA ? swapLast(a) : a
    const bt = transposeB ? swapLast(b) : b
    const out = original.kernelFunc({ inputs: { a: at, b: bt }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } })
    const data = backend as unknown as { disposeData: (id: object) => void }
    if (at !== a) data.disposeData(at.dataId)
    if (bt !== b) data.disposeData(bt.dataId)
    return out
  }
  tf.unregisterKernel("BatchMatMul", "wasm")
  tf.registerKernel({ ...original, kernelFunc, patched: true } as TF.KernelConfig)
}

/** The union package: tfjs-core's Node bundle alone registers no gradients, and training needs them. */
const core = async (): Promise<typeof TF> => (await import("@tensorflow/tfjs")) as unknown as typeof TF

const loadWasm = async (): Promise<Backend> => {
  const tf = await core()
  const wasm = await import("@tensorflow/tfjs-backend-wasm")
  const require = createRequire(import.meta.url)
  wasm.setWasmPaths(join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/")
  await tf.setBackend("wasm")
  await tf.ready()
  patchWasmMatMul(tf)
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
