/**
 * Seeded random numbers: a stream per (seed, purpose, index), so that game 17 of a shard is the same
 * game whichever shard or process makes it. xoshiro128** seeded from sha256.
 */
import { createHash } from "node:crypto"

export type Rng = () => number

export const rng = (...parts: ReadonlyArray<string | number>): Rng => {
  const h = createHash("sha256").update(parts.join("\u0000")).digest()
  let a = h.readUInt32LE(0), b = h.readUInt32LE(4), c = h.readUInt32LE(8), d = h.readUInt32LE(12)
  return () => {
    const t = b << 9
    let r = Math.imul(b, 5)
    r = Math.imul((r << 7) | (r >>> 25), 9)
    c ^= a
    d ^= b
    b ^= c
    a ^= d
    c ^= t
    d = (d << 11) | (d >>> 21)
    return (r >>> 0) / 4294967296
  }
}

/** A uniform hash of text into [0, 1): the basis of seeded, order-free split assignment. */
export const unitHash = (...parts: ReadonlyArray<string | number>): number =>
  createHash("sha256").update(parts.join("\u0000")).digest().readUInt32LE(0) / 4294967296

export const pick = <A>(r: Rng, xs: ReadonlyArray<A>): A => xs[Math.floor(r() * xs.length)]!
