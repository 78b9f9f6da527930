/**
 * Objects: immutable blobs named by the sha256 of their bytes. An object is written whole or not at
 * all; `get` re-hashes what it reads, so damaged bytes are never handed to a stage. `locator` says
 * how another thread reaches the same objects (worker threads read inputs and write outputs there).
 * Layers: `layerDisk(root)` (`root/objects/ab/abcd...`) and `layerMemory` (tests).
 */
import { Context, Effect, Layer } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import { join } from "node:path"
import { ObjectDamaged, StoreError } from "../Errors.ts"
import { sha256 } from "../Key.ts"
import { io, layout, listDir, NO_THROW_IF_ABSENT, rm, writeAtomic } from "./Disk.ts"
import { MemoryState, type MemoryStateShape } from "./Memory.ts"

export interface ObjectInfo {
  readonly hash: string
  readonly size: number
  readonly mtimeMs: number
}

/**
 * How a worker thread reaches these objects: the disk directory it can open itself, or through the
 * thread that holds them (an in-memory store), by messages.
 */
export type ObjectsLocator =
  | { readonly _tag: "Disk"; readonly root: string }
  | { readonly _tag: "ThisThread" }

export interface ObjectsShape {
  /** Where the objects live, for messages. */
  readonly location: string
  readonly locator: ObjectsLocator
  readonly put: (bytes: Uint8Array) => Effect.Effect<{ hash: string; size: number }, StoreError>
  /** The bytes of an object, re-hashed: damaged or missing objects fail. */
  readonly get: (hash: string) => Effect.Effect<Uint8Array, ObjectDamaged | StoreError>
  /** The size of a stored object (not re-hashed), or undefined when it is absent. Synchronous: planning asks it per output. */
  readonly sizeOf: (hash: string) => number | undefined
  /** Re-hashes one object: `undefined` when intact, else what is wrong. */
  readonly check: (hash: string) => Effect.Effect<string | undefined, StoreError>
  readonly list: Effect.Effect<ReadonlyArray<ObjectInfo>, StoreError>
  readonly remove: (hash: string) => Effect.Effect<void, StoreError>
}

const missing = (hash: string) => new ObjectDamaged({ hash, message: `object ${hash.slice(0, 12)} is missing` })
const mismatch = (hash: string) => new ObjectDamaged({ hash, message: `object ${hash.slice(0, 12)} does not match its hash` })

/** The disk objects of the store at `root`. */
const makeDisk = (root: string): ObjectsShape => {
  const paths = layout(root)
  const sizeOf = (hash: string): number | undefined => {
    try {
      return fs.statSync(paths.object(hash), NO_THROW_IF_ABSENT)?.size
    } catch {
      return undefined
    }
  }

  const put = (bytes: Uint8Array) =>
    Effect.gen(function*() {
      const hash = sha256(bytes)
      const target = paths.object(hash)
      // An object already stored at this size is kept only if its bytes still match their hash: a
      // damaged copy is replaced by the good bytes in hand instead of surviving a recompute.
      if (sizeOf(hash) === bytes.byteLength && (yield* check(hash)) === undefined) {
        // Already stored: refresh its time so a concurrent gc's grace period covers this run.
        const now = new Date()
        yield* io(target, () => fsp.utimes(target, now, now))
      } else {
        yield* writeAtomic(paths.tmpDir, target, bytes)
      }
      return { hash, size: bytes.byteLength }
    })

  const get = (hash: string) =>
    Effect.gen(function*() {
      const bytes = yield* Effect.tryPromise({
        try: () => fsp.readFile(paths.object(hash)),
        catch: (e) => (e as NodeJS.ErrnoException).code === "ENOENT" ? missing(hash) : StoreError.fromCause(paths.object(hash), e)
      })
      if (sha256(bytes) !== hash) return yield* Effect.fail(mismatch(hash))
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    })

  // Re-hashes in 4 MiB reads into one buffer: memory stays flat however large the object.
  const check = (hash: string) =>
    io(paths.object(hash), async () => {
      let fh: fsp.FileHandle
      try {
        fh = await fsp.open(paths.object(hash), "r")
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return missing(hash).message
        throw e
      }
      try {
        const h = createHash("sha256")
        const buf = Buffer.allocUnsafe(Math.max(1, Math.min(4 * 2 ** 20, (await fh.stat()).size)))
        for (;;) {
          const { bytesRead } = await fh.read(buf, 0, buf.length, null)
          if (bytesRead === 0) break
          h.update(buf.subarray(0, bytesRead))
        }
        return h.digest("hex") === hash ? undefined : mismatch(hash).message
      } finally {
        await fh.close()
      }
    })

  const list = Effect.gen(function*() {
    const out: Array<ObjectInfo> = []
    for (const shard of yield* listDir(paths.objectsDir)) {
      for (const hash of yield* listDir(join(paths.objectsDir, shard))) {
        const st = yield* io(paths.object(hash), () => fsp.stat(join(paths.objectsDir, shard, hash)))
        out.push({ hash, size: st.size, mtimeMs: st.mtimeMs })
      }
    }
    return out
  })

  return { location: root, locator: { _tag: "Disk", root }, put, get, sizeOf, check, list, remove: (hash) => rm(paths.object(hash)) }
}

/** Objects in memory, with the disk layer's behaviour. */
const makeMemory = (state: MemoryStateShape): ObjectsShape => {
  const { objects } = state
  const get = (hash: string) =>
    Effect.suspend(() => {
      const o = objects.get(hash)
      if (!o) return Effect.fail(missing(hash))
      if (sha256(o.bytes) !== hash) return Effect.fail(mismatch(hash))
      return Effect.succeed(o.bytes)
    })
  return {
    location: "memory",
    locator: { _tag: "ThisThread" },
    put: (bytes) =>
      Effect.sync(() => {
        const hash = sha256(bytes)
        const prior = objects.get(hash)
        const intact = prior !== undefined && prior.bytes.byteLength === bytes.byteLength && sha256(prior.bytes) === hash
        objects.set(hash, { bytes: intact ? prior.bytes : bytes.slice(), mtimeMs: Date.now() })
        return { hash, size: bytes.byteLength }
      }),
    get,
    sizeOf: (hash) => objects.get(hash)?.bytes.byteLength,
    check: (hash) => get(hash).pipe(Effect.as(undefined), Effect.catchTag("ObjectDamaged", (e) => Effect.succeed(e.message))),
    list: Effect.sync(() => [...objects].map(([hash, o]) => ({ hash, size: o.bytes.byteLength, mtimeMs: o.mtimeMs }))),
    remove: (hash) => Effect.sync(() => void objects.delete(hash))
  }
}

/** The object store service. */
export class Objects extends Context.Service<Objects, ObjectsShape>()("w2s/store/Objects") {
  static readonly layerDisk = (root: string) => Layer.sync(Objects, () => makeDisk(root))
  static readonly layerMemory = Layer.effect(Objects, Effect.map(MemoryState, makeMemory))
}
