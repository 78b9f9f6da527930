/**
 * Artifact codecs: how the engine turns the values of ports into the bytes the store hashes, and
 * the versions keys know them by.
 *
 * A node's outputs are bytes made by its stage *and* by the codecs of its ports, and the engine's
 * own files are outside code fingerprints, so each codec carries a version and names the npm
 * packages it encodes with: both join the key of every node that reads or writes a port of its
 * kind (see `Fingerprint.stageFingerprint`). Bump a codec's version when the bytes it writes, or how
 * it reads them, change: that re-keys exactly the nodes with such ports, and no others.
 */
import { canonicalJson } from "./Key.ts"

/** A codec as keys see it. */
export interface Codec {
  /** What the bytes are, e.g. `arrow-ipc`. */
  readonly name: string
  /** Bumped when the bytes written or their reading change. */
  readonly version: number
  /** npm packages that make or read the bytes: their installed versions join the key too. */
  readonly packages: ReadonlyArray<string>
}

/** The codec of each kind of port. */
export const codecs = {
  /** Arrow IPC file of the rows, columns in declaration order. */
  table: { name: "arrow-ipc", version: 1, packages: ["apache-arrow"] },
  /** Canonical JSON text (sorted keys) of the value as the port's Schema encodes it. */
  json: { name: "canonical-json", version: 1, packages: ["effect"] },
  /** Parts bundle: the manifest as header, one `weights` part. */
  model: { name: "weights-parts", version: 1, packages: [] },
  /** Parts bundle: the title as header, an `svg` part and an optional `png` part. */
  figure: { name: "figure-parts", version: 1, packages: [] }
} as const satisfies Record<string, Codec>

// ---------------------------------------------------------------------------------------------
// Arrow tables
// ---------------------------------------------------------------------------------------------

/** The Arrow type of a column type name (`utf8`, `float64`, `list<utf8>`, `int32?`...). */
export const arrowType = (arrow: typeof import("apache-arrow"), type: string): import("apache-arrow").DataType => {
  const base = type.endsWith("?") ? type.slice(0, -1) : type
  switch (base) {
    case "utf8":
      return new arrow.Utf8()
    case "float64":
      return new arrow.Float64()
    case "float32":
      return new arrow.Float32()
    case "int32":
      return new arrow.Int32()
    case "bool":
      return new arrow.Bool()
  }
  const m = /^list<(.+)>$/.exec(base)
  if (m) return new arrow.List(new arrow.Field("item", arrowType(arrow, m[1]!), true))
  throw new Error(`unknown column type ${type}`)
}

/** A cell as the row schema wants it: Arrow vectors (list cells) become arrays. */
export const cellValue = (v: unknown): unknown => {
  if (v !== null && typeof v === "object" && "toArray" in v) {
    return Array.from((v as { toArray(): ArrayLike<unknown> }).toArray())
  }
  return v
}

// ---------------------------------------------------------------------------------------------
// Parts bundles: model weights and figures
// ---------------------------------------------------------------------------------------------

const MAGIC = new TextEncoder().encode("W2SPARTS")

/** Frames a JSON header and named binary parts into one deterministic byte string. */
export const packParts = (header: unknown, parts: ReadonlyArray<readonly [string, Uint8Array]>): Uint8Array => {
  const head = new TextEncoder().encode(canonicalJson({ header, parts: parts.map(([n, b]) => [n, b.byteLength]) }))
  const total = MAGIC.length + 4 + head.length + parts.reduce((s, [, b]) => s + b.byteLength, 0)
  const out = new Uint8Array(total)
  out.set(MAGIC, 0)
  new DataView(out.buffer).setUint32(MAGIC.length, head.length, true)
  out.set(head, MAGIC.length + 4)
  let at = MAGIC.length + 4 + head.length
  for (const [, b] of parts) {
    out.set(b, at)
    at += b.byteLength
  }
  return out
}

/** Splits a parts bundle back into its header and parts; throws on anything else. */
export const unpackParts = (bytes: Uint8Array): { header: unknown; parts: Map<string, Uint8Array> } => {
  if (bytes.length < MAGIC.length + 4 || !MAGIC.every((b, i) => bytes[i] === b)) throw new Error("not a parts bundle")
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length, true)
  const head = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + len))) as {
    header: unknown
    parts: Array<[string, number]>
  }
  const parts = new Map<string, Uint8Array>()
  let at = MAGIC.length + 4 + len
  for (const [name, size] of head.parts) {
    if (at + size > bytes.length) throw new Error(`part ${name} is truncated`)
    parts.set(name, bytes.subarray(at, at + size))
    at += size
  }
  if (at !== bytes.length) throw new Error("trailing bytes after the last part")
  return { header: head.header, parts }
}
