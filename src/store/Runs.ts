/**
 * Runs: the registry of runs in progress that `gc` consults (nothing written since the start of a
 * run still active is collected), and the sweep of what dead processes left behind (temp files of
 * interrupted writes, locks nobody refreshes). On disk a run is a marker file under `runs/`, locked
 * for the life of the run; a marker whose lock went stale belongs to a dead run. Every judgement
 * holds on a cache shared by several hosts: locks are judged by their heartbeat (the holder
 * refreshes the lock's mtime), and a temp file by its writer's pid only on the writer's own host
 * (`tempLeftOver`), elsewhere by its age. The memory layer
 * has no other processes: nothing to register or sweep.
 */
import { Context, Effect, Layer, type Scope } from "effect"
import { randomUUID } from "node:crypto"
import * as fsp from "node:fs/promises"
import { join } from "node:path"
import type { StoreError } from "../Errors.ts"
import { checkOptions, io, layout, listDir, lockfile, lockOptions, rm, tempLeftOver } from "./Disk.ts"

export interface RunsShape {
  /** Marks a run as active for the life of the scope (what `gc` must not pull out from under). */
  readonly register: Effect.Effect<void, StoreError, Scope.Scope>
  /** When the earliest run still active started (ms since epoch), if any is. */
  readonly activeSince: Effect.Effect<number | undefined, StoreError>
  /** Removes temp files and locks left by processes that are gone; returns how many. */
  readonly sweepLeftovers: Effect.Effect<number, StoreError>
}

const makeDisk = (root: string): RunsShape => {
  const { runsDir, tmpDir, locksDir } = layout(root)

  const register = Effect.acquireRelease(
    io(runsDir, async () => {
      await fsp.mkdir(runsDir, { recursive: true })
      const marker = join(runsDir, `${Date.now()}-${process.pid}-${randomUUID().slice(0, 8)}`)
      await fsp.writeFile(marker, "")
      const release = await lockfile().lock(marker, lockOptions)
      return { marker, release }
    }),
    ({ marker, release }) =>
      Effect.promise(async () => {
        await release().catch(() => {})
        await fsp.rm(marker, { force: true })
      })
  ).pipe(Effect.asVoid)

  const activeSince = Effect.gen(function*() {
    let earliest: number | undefined
    for (const name of yield* listDir(runsDir)) {
      if (name.endsWith(".lock")) continue
      const marker = join(runsDir, name)
      const held = yield* io(marker, () => lockfile().check(marker, checkOptions))
      const started = Number(name.split("-")[0])
      if (held && Number.isFinite(started)) earliest = Math.min(earliest ?? started, started)
      else if (!held) yield* io(marker, () => fsp.rm(marker, { force: true }))
    }
    return earliest
  })

  const sweepLeftovers = Effect.gen(function*() {
    let n = 0
    for (const name of yield* listDir(tmpDir)) {
      const path = join(tmpDir, name)
      const mtimeMs = yield* io(path, async () => (await fsp.stat(path).catch(() => undefined))?.mtimeMs ?? Date.now())
      if (tempLeftOver(name, mtimeMs)) {
        yield* rm(path)
        n++
      }
    }
    for (const name of yield* listDir(locksDir)) {
      const target = join(locksDir, name.replace(/\.lock$/, ""))
      const held = yield* io(target, () => lockfile().check(target, checkOptions))
      if (!held) {
        yield* rm(join(locksDir, name))
        n++
      }
    }
    return n
  })

  return { register, activeSince, sweepLeftovers }
}

/** The run registry service. */
export class Runs extends Context.Service<Runs, RunsShape>()("w2s/store/Runs") {
  static readonly layerDisk = (root: string) => Layer.sync(Runs, () => makeDisk(root))
  static readonly layerMemory = Layer.succeed(Runs, {
    register: Effect.void,
    activeSince: Effect.succeed(undefined),
    sweepLeftovers: Effect.succeed(0)
  })
}
