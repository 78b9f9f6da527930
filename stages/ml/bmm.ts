/**
 * A batched matrix product for the wasm backend that computes the same bits as its own, faster.
 *
 * tfjs-backend-wasm 4.22 multiplies batched operands (more than one matrix a side, as in the factored
 * head's per-example u.v products, model.ts) in a plain scalar loop: for each output element, the
 * products over the shared dimension are summed in order, in float32, in blocks of 48 (each block's
 * sum starting at 0 and then added to the element, itself starting at 0, then a bias of 0 added).
 * That loop reaches about 1 GFLOP/s here, and the factored head's three products took about a fifth
 * of a training step of s3 (tf.profile, batch 256).
 *
 * This module does the same arithmetic in the same order, four output columns at a time with
 * WebAssembly SIMD (an f32x4 add or multiply is four float32 adds or multiplies, rounded alike), in
 * the backend's own memory: a small module written below byte by byte imports that memory and
 * works on the operands where the backend keeps them. Same inputs, same bits: test/ml.test.ts
 * compares it with the backend's loop on random operands of the shapes the head uses, and training
 * with it against training without.
 */
import type * as TF from "@tensorflow/tfjs-core"

/** What this module uses of the WebAssembly API (the project's TypeScript libs do not declare it). */
interface Memory {
  readonly buffer: ArrayBuffer
}
const Wasm = (globalThis as unknown as {
  WebAssembly: {
    Memory: abstract new(...args: Array<never>) => Memory
    Module: new(bytes: Uint8Array) => object
    Instance: new(module: object, imports: object) => { readonly exports: Record<string, unknown> }
    validate(bytes: Uint8Array): boolean
  }
}).WebAssembly

/** The backend's block of the shared dimension (kBlockSize in its batch_mat_mul_impl.cc). */
export const BLOCK = 48

const leb = (n: number): Array<number> => {
  const out: Array<number> = []
  do {
    let byte = n & 0x7f
    n >>>= 7
    if (n !== 0) byte |= 0x80
    out.push(byte)
  } while (n !== 0)
  return out
}
const sleb = (n: number): Array<number> => {
  const out: Array<number> = []
  for (;;) {
    const byte = n & 0x7f
    n >>= 7
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte]
    out.push(byte | 0x80)
  }
}
const section = (id: number, body: Array<number>) => [id, ...leb(body.length), ...body]
const vec = (items: Array<Array<number>>) => [...leb(items.length), ...items.flat()]
const str = (s: string) => [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))]

// Opcodes (the WebAssembly core and SIMD specifications).
const I32 = 0x7f
const V128 = 0x7b
const get = (l: number) => [0x20, ...leb(l)]
const set = (l: number) => [0x21, ...leb(l)]
const i32 = (v: number) => [0x41, ...sleb(v)]
const add = 0x6a
const mul = 0x6c
const ltU = 0x49
const loop = [0x03, 0x40]
const block = [0x02, 0x40]
const end = 0x0b
const br = (d: number) => [0x0c, ...leb(d)]
const brIf = (d: number) => [0x0d, ...leb(d)]
const f32Load = [0x2a, 0x02, 0x00]
const simd = (op: number) => [0xfd, ...leb(op)]
const v128Load = [...simd(0x00), 0x04, 0x00]
const v128Store = [...simd(0x0b), 0x04, 0x00]
const v128Zero = [...simd(0x0c), ...new Array<number>(16).fill(0)]
const splat = simd(0x13)
const f32x4Add = simd(0xe4)
const f32x4Mul = simd(0xe6)
/** local = local + v */
const inc = (l: number, v: Array<number>) => [...get(l), ...v, add, ...set(l)]

// block(a, b, out, batch, m, k, n, k0, k1): for each of `batch` matrices, out[i][j] = (out[i][j] +
// sum_{k0 <= q < k1} a[i][q] * b[q][j]) + 0, the sum taken in order of q from k0, and out[i][j]
// taken as 0 when k0 = 0 (the first block); a is m x k, b is k x n, out is m x n, all float32,
// row-major, at the byte addresses given; n a multiple of 4.
const [A, B, OUT, BATCH, M, K, N, K0, K1] = [0, 1, 2, 3, 4, 5, 6, 7, 8]
const [BI, I, J, AP, BP, OP, CNT, ACC] = [9, 10, 11, 12, 13, 14, 15, 16]
const body = [
  ...i32(0), ...set(BI),
  ...loop, // over the batch
  ...i32(0), ...set(I),
  ...loop, // over rows
  ...i32(0), ...set(J),
  ...loop, // over columns, four at a time
  // op = out + ((bi*m + i)*n + j)*4
  ...get(OUT), ...get(BI), ...get(M), mul, ...get(I), add, ...get(N), mul, ...get(J), add, ...i32(4), mul, add, ...set(OP),
  // ap = a + ((bi*m + i)*k + k0)*4
  ...get(A), ...get(BI), ...get(M), mul, ...get(I), add, ...get(K), mul, ...get(K0), add, ...i32(4), mul, add, ...set(AP),
  // bp = b + ((bi*k + k0)*n + j)*4
  ...get(B), ...get(BI), ...get(K), mul, ...get(K0), add, ...get(N), mul, ...get(J), add, ...i32(4), mul, add, ...set(BP),
  ...v128Zero, ...set(ACC),
  ...get(K1), ...get(K0), 0x6b /* i32.sub */, ...set(CNT),
  ...block,
  ...loop,
  ...get(CNT), ...i32(0), 0x4c /* i32.le_s */, ...brIf(1),
  // acc = acc + splat(a[ap]) * b[bp..bp+4]
  ...get(ACC), ...get(AP), ...f32Load, ...splat, ...get(BP), ...v128Load, ...f32x4Mul, ...f32x4Add, ...set(ACC),
  ...inc(AP, i32(4)),
  ...get(BP), ...get(N), ...i32(4), mul, add, ...set(BP),
  ...inc(CNT, i32(-1)),
  ...br(0),
  end,
  end,
  // out = (out + acc) + 0, out being 0 before the first block (not read: the backend's fresh output)
  ...get(OP), ...get(K0), 0x45 /* i32.eqz */, 0x04, V128 /* if (result v128) */, ...v128Zero, 0x05 /* else */, ...get(OP), ...v128Load, end,
  ...get(ACC), ...f32x4Add, ...v128Zero, ...f32x4Add, ...v128Store,
  ...inc(J, i32(4)), ...get(J), ...get(N), ltU, ...brIf(0),
  end,
  ...inc(I, i32(1)), ...get(I), ...get(M), ltU, ...brIf(0),
  end,
  ...inc(BI, i32(1)), ...get(BI), ...get(BATCH), ltU, ...brIf(0),
  end,
  end
]

const moduleBytes = (): Uint8Array => {
  const type = section(1, vec([[0x60, ...vec(new Array(9).fill([I32])), 0x00]]))
  const imports = section(2, vec([[...str("env"), ...str("memory"), 0x02, 0x00, ...leb(1)]]))
  const funcs = section(3, vec([leb(0)]))
  const exports = section(7, vec([[...str("block"), 0x00, ...leb(0)]]))
  const locals = vec([[...leb(7), I32], [...leb(1), V128]])
  const fn = [...locals, ...body]
  const code = section(10, vec([[...leb(fn.length), ...fn]]))
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...imports, ...funcs, ...exports, ...code])
}

type BlockFn = (a: number, b: number, out: number, batch: number, m: number, k: number, n: number, k0: number, k1: number) => void

const instances = new WeakMap<Memory, BlockFn | null>()

/**
 * The kernel bound to a backend's memory (compiled once per memory); null where it cannot be (no
 * SIMD, or a shared memory, which the module's import does not accept): the backend's kernel then runs.
 */
const kernelFor = (memory: Memory): BlockFn | null => {
  let fn = instances.get(memory)
  if (fn === undefined) {
    try {
      fn = new Wasm.Instance(new Wasm.Module(moduleBytes()), { env: { memory } }).exports.block as BlockFn
    } catch {
      fn = null
    }
    instances.set(memory, fn)
  }
  return fn
}

/** Whether WebAssembly SIMD compiles here (the module above needs it). */
export const simdAvailable = (): boolean => {
  try {
    return Wasm.validate(moduleBytes())
  } catch {
    return false
  }
}

/** The parts of tfjs-backend-wasm's BackendWasm this kernel uses. */
interface WasmBackend {
  readonly wasm?: { readonly asm?: { readonly memory?: unknown } }
  readonly dataIdMap: { get(id: object): { memoryOffset: number } | undefined }
  makeOutput(shape: Array<number>, dtype: "float32"): TF.TensorInfo
}

/**
 * a [batch, m, k] times b [batch, k, n], both float32 and untransposed, into a new tensor of the
 * backend, with the bits of the backend's own batched loop. Undefined where this kernel does not
 * apply (a single matrix a side, broadcast batches, n not a multiple of 4, another dtype): the caller
 * then uses the backend's kernel.
 */
export const batchMatMul = (backend: unknown, a: TF.TensorInfo, b: TF.TensorInfo): TF.TensorInfo | undefined => {
  if (a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length < 3 || a.shape.length !== b.shape.length) return undefined
  const r = a.shape.length
  const outer = a.shape.slice(0, -2)
  if (outer.some((d, i) => d !== b.shape[i])) return undefined
  const batch = outer.reduce((s, d) => s * d, 1)
  const [m, k] = [a.shape[r - 2]!, a.shape[r - 1]!]
  const [kb, n] = [b.shape[r - 2]!, b.shape[r - 1]!]
  if (batch < 2 || k !== kb || n % 4 !== 0 || m === 0 || n === 0) return undefined
  const be = backend as WasmBackend
  const memory = be.wasm?.asm?.memory
  if (!(memory instanceof Wasm.Memory)) return undefined
  const fn = kernelFor(memory)
  if (!fn) return undefined
  const out = be.makeOutput([...outer, m, n], "float32")
  const at = be.dataIdMap.get(a.dataId)!.memoryOffset
  const bt = be.dataIdMap.get(b.dataId)!.memoryOffset
  const ot = be.dataIdMap.get(out.dataId)!.memoryOffset
  // the first block writes every element (k > 0); with k = 0 the product is all zeros
  if (k === 0) new Float32Array(memory.buffer, ot, batch * m * n).fill(0)
  for (let k0 = 0; k0 < k; k0 += BLOCK) fn(at, bt, ot, batch, m, k, n, k0, Math.min(k, k0 + BLOCK))
  return out
}
