/**
 * Canonical encodings and node keys: the pure functions that decide when two computations are the same.
 *
 * A node's key is the sha256 of a canonical JSON document holding everything that determines its
 * outputs: the stage's name, its explicit version and code fingerprint, its canonical params and the
 * content hashes of its inputs. Hashing input *contents* (not upstream keys) gives early cutoff: an
 * upstream node that re-runs and produces the same bytes leaves its consumers' keys unchanged.
 */
import { createHash } from "node:crypto"

/** Bumped when the key document or the store's on-disk formats change meaning. */
export const KEY_FORMAT = 1

/** A JSON value as the engine hashes it. */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [k: string]: Json }

/** Thrown for values that have no canonical JSON form (NaN, functions, cycles...). */
export class NotCanonical extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path || "value"}: ${reason}`)
  }
}

const numberText = (n: number, path: string): string => {
  if (!Number.isFinite(n)) throw new NotCanonical(path, `number ${n} has no JSON form`)
  // -0 and 0 are the same parameter; integers print without exponent up to 2^53
  if (Object.is(n, -0)) return "0"
  return JSON.stringify(n)
}

/**
 * Serialises a JSON-like value with object keys sorted and numbers normalised, so that equal values
 * always give equal text whatever order their keys were written in. `undefined` object members are
 * dropped (as JSON.stringify does); anything else without a JSON form is rejected.
 */
export const canonicalJson = (value: unknown): string => {
  const seen = new Set<object>()
  const go = (v: unknown, path: string): string => {
    if (v === null) return "null"
    switch (typeof v) {
      case "boolean":
        return v ? "true" : "false"
      case "number":
        return numberText(v, path)
      case "string":
        return JSON.stringify(v)
      case "object": {
        if (seen.has(v)) throw new NotCanonical(path, "circular structure")
        seen.add(v)
        let out: string
        if (Array.isArray(v)) {
          out = "[" + v.map((x, i) => go(x === undefined ? null : x, `${path}[${i}]`)).join(",") + "]"
        } else {
          const proto = Object.getPrototypeOf(v)
          if (proto !== Object.prototype && proto !== null) {
            throw new NotCanonical(path, `${proto?.constructor?.name ?? "object"} is not plain JSON`)
          }
          const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort()
          out = "{" +
            keys.map((k) => JSON.stringify(k) + ":" + go((v as Record<string, unknown>)[k], path ? `${path}.${k}` : k))
              .join(",") +
            "}"
        }
        seen.delete(v)
        return out
      }
      default:
        throw new NotCanonical(path, `${typeof v} is not JSON`)
    }
  }
  return go(value, "")
}

/** sha256 of bytes or text, as lowercase hex. */
export const sha256 = (data: Uint8Array | string): string => createHash("sha256").update(data).digest("hex")

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
    `{"fingerprint":${JSON.stringify(k.fingerprint)},"format":${KEY_FORMAT},"inputs":${canonicalJson(k.inputs)},` +
      `"params":${k.paramsText},"stage":${JSON.stringify(k.stage)},"version":${canonicalJson(k.version)}}`
  )

/** A short form of a hash for humans; never used for lookups. */
export const short = (hash: string): string => hash.slice(0, 12)
