/**
 * Following Slurm jobs from the driver: one watcher per run polls the state of every job it follows
 * with one status call per tick (`SlurmClient.status`) (so a thousand jobs cost one call, not a thousand), and a log tail
 * turns what a job's log gained into the node's events (progress lines and the stage's lines; the
 * engine's own lines stay in the log).
 */
import { Deferred, Effect } from "effect"
import * as fs from "node:fs"
import type { BuildEvents } from "../Rebuilder.ts"
import type { Progress } from "../Stage.ts"
import { SlurmClient } from "./Client.ts"
import { ENGINE_PREFIX, isGoing, type JobStatus, PROGRESS_PREFIX } from "./Jobs.ts"

interface Follower {
  readonly onTick: (s: JobStatus | undefined) => boolean
  readonly over: Deferred.Deferred<JobStatus>
}

/**
 * The job-state watcher: one squeue call per tick for every job this driver follows. One job may have
 * several followers (two nodes of one key, or a node followed again after a retry); each is resolved
 * on its own. A follower's callback that throws ends that follower with the defect, never the watcher.
 */
export const makeWatcher = (pollMs: number) =>
  Effect.gen(function*() {
    const client = yield* SlurmClient
    const watched = new Map<string, Set<Follower>>()
    const drop = (id: string, f: Follower) => {
      const set = watched.get(id)
      set?.delete(f)
      if (set?.size === 0) watched.delete(id)
    }
    const tick = Effect.gen(function*() {
      if (watched.size === 0) return
      const ids = [...watched.keys()]
      const got = yield* client.status(ids).pipe(Effect.catch(() => Effect.succeed(undefined)))
      for (const id of ids) {
        const s = got?.get(id)
        for (const f of [...(watched.get(id) ?? [])]) {
          let done: boolean
          try {
            done = f.onTick(s)
          } catch (e) {
            drop(id, f)
            yield* Deferred.die(f.over, e)
            continue
          }
          if (done) {
            drop(id, f)
            yield* Deferred.succeed(f.over, s ?? { state: "UNKNOWN", reason: "" })
          } else if (s && !isGoing(s.state)) {
            drop(id, f)
            yield* Deferred.succeed(f.over, s)
          }
        }
      }
    })
    // A tick that fails (a defect in the status client) is dropped and the next tick tries again: the
    // followers keep being polled rather than waiting on a dead watcher.
    yield* Effect.forkScoped(Effect.forever(Effect.andThen(Effect.catchCause(tick, () => Effect.void), Effect.sleep(pollMs))))
    /**
     * Follows a job until it is over, or until `onTick` (which sees each status, undefined while
     * Slurm does not answer) says there is no need to wait any longer.
     */
    const follow = (id: string, onTick: (s: JobStatus | undefined) => boolean) =>
      Effect.gen(function*() {
        const f: Follower = { onTick, over: yield* Deferred.make<JobStatus>() }
        const set = watched.get(id) ?? new Set<Follower>()
        set.add(f)
        watched.set(id, set)
        return yield* Deferred.await(f.over).pipe(Effect.ensuring(Effect.sync(() => drop(id, f))))
      })
    return { follow }
  })

/** Reads what a job's log gained since the last call, as events: progress lines and the stage's lines. */
export const logTail = (path: string, events: BuildEvents) => {
  let offset = 0
  let partial = ""
  return () => {
    let chunk: Buffer
    try {
      const fd = fs.openSync(path, "r")
      try {
        const size = fs.fstatSync(fd).size
        if (size < offset) offset = 0 // truncated (a requeued job started it again)
        if (size <= offset) return
        chunk = Buffer.alloc(size - offset)
        fs.readSync(fd, chunk, 0, chunk.length, offset)
        offset = size
      } finally {
        fs.closeSync(fd)
      }
    } catch {
      return
    }
    const lines = (partial + chunk.toString("utf8")).split("\n")
    partial = lines.pop() ?? ""
    for (const line of lines) {
      if (line.startsWith(PROGRESS_PREFIX)) {
        try {
          events.progress(JSON.parse(line.slice(PROGRESS_PREFIX.length)) as Progress)
        } catch {
          // a cut line: the next progress line says the same
        }
      } else if (!line.startsWith(ENGINE_PREFIX)) {
        events.log(line)
      }
    }
  }
}
