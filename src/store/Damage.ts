/**
 * Damage: the part of the store contract that breaks things on purpose, as a crash, a bad disk or a
 * careless user would, so that tests (the store contract, the correctness property) can damage any
 * layer the same way and check that nothing damaged is ever trusted. Not used by the engine.
 */
import { Context, Effect, Layer } from "effect"
import * as fs from "node:fs"
import { layout } from "./Disk.ts"
import { MemoryState } from "./Memory.ts"

export interface DamageShape {
  /** Flips bits of one byte of an object (its middle byte), keeping its size. */
  readonly flipObjectByte: (hash: string) => Effect.Effect<void>
  readonly deleteObject: (hash: string) => Effect.Effect<void>
  /** Cuts a record's stored text to its first `bytes` characters. */
  readonly truncateRecord: (key: string, bytes: number) => Effect.Effect<void>
  readonly deleteRecord: (key: string) => Effect.Effect<void>
}

const flip = (bytes: Uint8Array): Uint8Array => {
  const b = bytes.slice()
  const at = b.length >> 1
  b[at] = b[at]! ^ 0xff
  return b
}

export class Damage extends Context.Service<Damage, DamageShape>()("w2s/store/Damage") {
  /** Damage to the disk store at `root`, done to its files. */
  static readonly layerDisk = (root: string) =>
    Layer.sync(Damage, () => {
      const paths = layout(root)
      return {
        flipObjectByte: (h) => Effect.sync(() => fs.writeFileSync(paths.object(h), flip(fs.readFileSync(paths.object(h))))),
        deleteObject: (h) => Effect.sync(() => fs.rmSync(paths.object(h), { force: true })),
        truncateRecord: (k, n) => Effect.sync(() => fs.truncateSync(paths.record(k), n)),
        deleteRecord: (k) => Effect.sync(() => fs.rmSync(paths.record(k), { force: true }))
      }
    })

  /** Damage to the in-memory store whose state is provided. */
  static readonly layerMemory = Layer.effect(
    Damage,
    Effect.gen(function*() {
      const { objects, records } = yield* MemoryState
      return {
        flipObjectByte: (h) =>
          Effect.sync(() => {
            const o = objects.get(h)
            if (o) objects.set(h, { ...o, bytes: flip(o.bytes) })
          }),
        deleteObject: (h) => Effect.sync(() => void objects.delete(h)),
        truncateRecord: (k, n) =>
          Effect.sync(() => {
            const r = records.get(k)
            if (r) records.set(k, { text: r.text.slice(0, n), mtimeMs: 0 })
          }),
        deleteRecord: (k) => Effect.sync(() => void records.delete(k))
      }
    })
  )
}
