/**
 * Canonical encodings and node keys: the pure functions that decide when two computations are the same.
 *
 * A node's key is the sha256 of a canonical JSON document holding everything that determines its
 * outputs: the stage's name, its explicit version and code fingerprint, its canonical params and the
 * content hashes of its inputs. Hashing input *contents* (not upstream keys) gives early cutoff: an
 * upstream node that re-runs and produces the same bytes leaves its consumers' keys unchanged.
 */
import * as crypto from "node:crypto"

const { createHash } = crypto
// Node >= 20.12 hashes in one call, without building a Hash object: a plan hashes twice per node.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: Uint8Array | string, encoding: "hex") => string }).hash

/**
 * Bumped when the key document or the store's record format change meaning. The byte formats of
 * artifacts are versioned one by one instead (`Codec.ts`), so that a codec change re-keys only the
 * nodes whose ports use it.
 */
export const KEY_FORMAT = 1

/** A JSON value as the engine hashes it. */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [k: string]: Json }

/** Thrown for values that have no canonical JSON form (NaN, functions, cycles...). */
export class NotCanonical extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path || "value"}: ${reason}`)
  }
}

/**
 * Serialises a JSON-like value with object keys sorted and numbers normalised, so that equal values
 * always give equal text whatever order their keys were written in. `undefined` object members are
 * dropped (as JSON.stringify does); anything else without a JSON form is rejected, naming where.
 */
export const canonicalJson = (value: unknown): string => {
  // Runs for every node of every plan: the path of an error is spelt out only when one is thrown,
  // and the cycle check looks along the current path (params are shallow) instead of keeping a set.
  const open: Array<object> = []
  const steps: Array<string | number> = []
  const fail = (reason: string): never => {
    let path = ""
    for (const s of steps) path = typeof s === "number" ? `${path}[${s}]` : path ? `${path}.${s}` : s
    throw new NotCanonical(path, reason)
  }
  const go = (v: unknown): string => {
    if (v === null) return "null"
    switch (typeof v) {
      case "boolean":
        return v ? "true" : "false"
      case "number":
        if (!Number.isFinite(v)) return fail(`number ${v} has no JSON form`)
        // -0 and 0 are the same parameter; integers print without exponent up to 2^53
        return v === 0 ? "0" : JSON.stringify(v)
      case "string":
        return JSON.stringify(v)
      case "object": {
        if (open.includes(v)) return fail("circular structure")
        open.push(v)
        let out: string
        if (Array.isArray(v)) {
          out = "["
          for (let i = 0; i < v.length; i++) {
            steps.push(i)
            const x: unknown = v[i]
            out += (i ? "," : "") + go(x === undefined ? null : x)
            steps.pop()
          }
          out += "]"
        } else {
          const proto = Object.getPrototypeOf(v)
          if (proto !== Object.prototype && proto !== null) {
            return fail(`${proto?.constructor?.name ?? "object"} is not plain JSON`)
          }
          const o = v as Record<string, unknown>
          const keys = Object.keys(o).sort()
          out = "{"
          for (const k of keys) {
            const x = o[k]
            if (x === undefined) continue
            steps.push(k)
            out += (out.length > 1 ? "," : "") + JSON.stringify(k) + ":" + go(x)
            steps.pop()
          }
          out += "}"
        }
        open.pop()
        return out
      }
      default:
        return fail(`${typeof v} is not JSON`)
    }
  }
  return go(value)
}

/** `canonicalJson` of a record of strings (a node's input hashes), without the general walk. */
export const canonicalStrings = (record: Readonly<Record<string, string>>): string => {
  const keys = Object.keys(record)
  if (keys.length > 1) keys.sort()
  let out = "{"
  for (const k of keys) {
    const x = record[k]
    if (x === undefined) continue
    out += (out.length > 1 ? "," : "") + quote(k) + ":" + quote(x)
  }
  return out + "}"
}

// JSON.stringify of a string, skipped for the common text that it would only put in quotes.
const PLAIN = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/
const quote = (s: string): string => (PLAIN.test(s) ? `"${s}"` : JSON.stringify(s))

/** sha256 of bytes or text, as lowercase hex. */
export const sha256 = (data: Uint8Array | string): string =>
  oneShotHash ? oneShotHash("sha256", data, "hex") : createHash("sha256").update(data).digest("hex")

/** Everything a node key depends on. */
export interface KeyInputs {
  readonly stage: string
  readonly version: number | string
  readonly fingerprint: string
  readonly params: Json
  /** input port name -> content hash of the object wired into it */
  readonly inputs: Readonly<Record<string, string>>
}

/** The node key: equal exactly when every field of `KeyInputs` is equal. */
export const nodeKey = (k: KeyInputs): string =>
  sha256(canonicalJson({
    format: KEY_FORMAT,
    stage: k.stage,
    version: k.version,
    fingerprint: k.fingerprint,
    params: k.params,
    inputs: k.inputs
  }))

/**
 * `nodeKey` for params already in canonical JSON: the same key (the same document, assembled with
 * its keys in sorted order) without canonicalising the params again. The planner's hot path.
 */
export const nodeKeyFromText = (k: Omit<KeyInputs, "params"> & { readonly paramsText: string }): string =>
  sha256(
    `{"fingerprint":${JSON.stringify(k.fingerprint)},"format":${KEY_FORMAT},"inputs":${canonicalStrings(k.inputs)},` +
      `"params":${k.paramsText},"stage":${JSON.stringify(k.stage)},"version":${canonicalJson(k.version)}}`
  )

/** A short form of a hash for humans; never used for lookups. */
export const short = (hash: string): string => hash.slice(0, 12)
