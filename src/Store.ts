/**
 * The content-addressed store, as four services (see `store/`): `Objects` (immutable blobs named by
 * their sha256), `Records` (one record per node key, the commit point; refs; failure logs; the
 * record index), `Locks` (one per key) and `Runs` (the runs `gc` must respect, the history of run
 * summaries that are `gc`'s roots beside the presets, and the sweep of dead processes' leftovers). This module composes them into the layers the CLI and tests provide:
 * `layerDisk(root)` (the default, `./cache`) and `layerMemory` (tests). Both give the same guarantees:
 *
 * - objects are written whole or not at all (temp file, fsync, rename); records last;
 * - a record is trusted only when its digest checks and its outputs exist at their recorded size;
 * - reading an object re-hashes it, so damaged bytes are never handed to a stage;
 * - a key's lock keeps two runs (processes) from computing it at once; a lock left by a killed
 *   process goes stale and is taken over.
 */
import { Layer } from "effect"
import { Damage } from "./store/Damage.ts"
import { Locks } from "./store/Locks.ts"
import { MemoryState } from "./store/Memory.ts"
import { Objects } from "./store/Objects.ts"
import { Records } from "./store/Records.ts"
import { Runs } from "./store/Runs.ts"

export { Damage } from "./store/Damage.ts"
export { Locks } from "./store/Locks.ts"
export { type ObjectInfo, Objects, type ObjectsLocator } from "./store/Objects.ts"
export { type Lookup, type RecordInfo, type RecordView, Records, type RefInfo } from "./store/Records.ts"
export { Runs } from "./store/Runs.ts"

/** Every service of a store. */
export type Store = Objects | Records | Locks | Runs

/** The store in the directory `root`. Nothing is created until something is written. */
export const layerDisk = (root: string): Layer.Layer<Store> =>
  Layer.mergeAll(Records.layerDisk(root), Locks.layerDisk(root), Runs.layerDisk(root)).pipe(
    Layer.provideMerge(Objects.layerDisk(root))
  )

/**
 * A fresh store in memory (each call is a new, empty one), with the disk store's behaviour, and the
 * `Damage` of its state (for tests).
 */
export const layerMemory = (): Layer.Layer<Store | Damage> =>
  Layer.fresh(
    Layer.mergeAll(Records.layerMemory, Damage.layerMemory).pipe(
      Layer.provideMerge(Layer.mergeAll(Objects.layerMemory, Locks.layerMemory, Runs.layerMemory)),
      Layer.provide(MemoryState.layer)
    )
  )
