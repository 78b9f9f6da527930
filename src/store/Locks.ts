/**
 * Locks: one per node key, so that two runs (processes, or fibers of one) never compute one key at
 * once. `withLock` runs an effect holding the key's lock and tells a waiter once that it waits. On
 * disk a lock is a proper-lockfile directory under `locks/`, refreshed while held; one left by a
 * killed process goes stale and is taken over. Staleness is judged by that heartbeat (the lock's
 * mtime), never by a pid, so a lock is valid across the hosts of a shared cache (a Slurm job's
 * `exec-node` and a driver or local run elsewhere) provided their clocks agree within
 * `LOCK_STALE_MS`. On both layers the wait is interruptible and the hold is always released (see
 * `Hold.ts`): Ctrl-C while another process computes the key ends the wait at once. Layers:
 * `layerDisk(root)` and `layerMemory`.
 */
import { Context, Effect, Layer, Semaphore } from "effect"
import { join } from "node:path"
import type { StoreError } from "../Errors.ts"
import { layout, tryLock, unlock } from "./Disk.ts"
import { withHold } from "./Hold.ts"

export interface LocksShape {
  /** Runs `use` holding the lock of `key`; runs `onWait` once if another holder has it. */
  readonly withLock: <A, E, R>(
    key: string,
    onWait: Effect.Effect<void>,
    use: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | StoreError, R>
}

const makeDisk = (root: string): LocksShape => {
  const { locksDir } = layout(root)
  return {
    withLock: (key, onWait, use) => {
      return withHold(tryLock(locksDir, join(locksDir, key)), unlock, { onWait, pollMs: 200 }, () => use)
    }
  }
}

const makeMemory = (): LocksShape => {
  const locks = new Map<string, Semaphore.Semaphore>()
  return {
    withLock: (key, onWait, use) =>
      Effect.gen(function*() {
        let sem = locks.get(key)
        if (!sem) {
          sem = yield* Semaphore.make(1)
          locks.set(key, sem)
        }
        const got = yield* sem.withPermitsIfAvailable(1)(use)
        if (got._tag === "Some") return got.value
        yield* onWait
        return yield* sem.withPermits(1)(use)
      })
  }
}

/** The lock service. */
export class Locks extends Context.Service<Locks, LocksShape>()("w2s/store/Locks") {
  static readonly layerDisk = (root: string) => Layer.sync(Locks, () => makeDisk(root))
  static readonly layerMemory = Layer.sync(Locks, makeMemory)
}
