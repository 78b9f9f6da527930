/**
 * Runs: the registry of runs in progress that `gc` consults (nothing written since the start of a
 * run still active is collected), the history of runs that ended (one `RunSummary` per run, which
 * `gc` takes as roots and a run-history command can list), and the sweep of what dead processes
 * left behind (temp files of interrupted writes, locks nobody refreshes). On disk a run in progress
 * is a marker file under `runs/`, locked for the life of the run; a marker whose lock went stale
 * belongs to a dead run. A summary is `history/<id>.json`, written atomically (whole or not at all)
 * and decoded with its Schema when read: a file that does not decode is reported, never trusted. Every judgement
 * holds on a cache shared by several hosts: locks are judged by their heartbeat (the holder
 * refreshes the lock's mtime), and a temp file by its writer's pid only on the writer's own host
 * (`tempLeftOver`), elsewhere by its age. The memory layer has no other processes (nothing to
 * register or sweep) but keeps summaries as text, decoded like the disk layer's.
 */
import { Context, Effect, Layer, Result, Schema, type Scope } from "effect"
import { randomBytes, randomUUID } from "node:crypto"
import * as fsp from "node:fs/promises"
import { join } from "node:path"
import type { StoreError } from "../Errors.ts"
import { checkOptions, io, layout, listDir, lockfile, lockOptions, rm, tempLeftOver, writeAtomic } from "./Disk.ts"
import { MemoryState } from "./Memory.ts"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/** One node's part in a run: its outcome, its key when known, and its wall time when it ran. */
export const RunNode = Schema.Struct({
  id: Schema.String,
  stage: Schema.String,
  outcome: Schema.Literals(["cached", "ran", "reused", "failed", "skipped", "cancelled"]),
  key: Schema.optional(Schema.String),
  durationMs: Schema.optional(Schema.Number)
})
export type RunNode = typeof RunNode.Type

/**
 * What a run leaves in the cache when it ends, however it ends (done, a stage failed, interrupted):
 * what was asked (pipeline, preset, overrides, targets, forced globs), when and how long, what
 * happened (counts, exit code), and `keys`, the node keys it used or committed, which `gc` keeps
 * while the run is recent.
 */
export const RunSummary = Schema.Struct({
  format: Schema.Literal(1),
  /** `<start, compact ISO>-<pid>-<random>`: sorts by start; the file is `history/<id>.json` */
  id: Schema.String.check(Schema.isPattern(/^[0-9TZ]+-\d+-[0-9a-f]+$/)),
  pipeline: Schema.String,
  preset: Schema.String,
  /** the `--set` overrides, as typed */
  sets: Schema.Array(Schema.String),
  /** the `--params` files, as typed (applied before `sets`) */
  paramsFiles: Schema.Array(Schema.String),
  /** the node globs the run was restricted to (none: the whole graph) */
  targets: Schema.Array(Schema.String),
  force: Schema.Array(Schema.String),
  startedAt: Schema.String,
  durationMs: Schema.Number,
  counts: Schema.Struct({ ran: Count, cached: Count, reused: Count, failed: Count, skipped: Count, cancelled: Count }),
  /** the process's exit code (0 ok, 1 a stage or the store failed, 130 interrupted) */
  exit: Schema.Int,
  interrupted: Schema.Boolean,
  keys: Schema.Array(Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/))),
  host: Schema.Struct({ hostname: Schema.String, pid: Schema.Int }),
  /** the params the run resolved (preset, params files and `--set` applied; encoded); absent in summaries before it was kept */
  params: Schema.optional(Schema.Unknown),
  /** the outcome of each node this run did not find cached (absent in summaries written before it was kept) */
  nodes: Schema.optional(Schema.Array(RunNode))
})
export type RunSummary = typeof RunSummary.Type

/** One summary of the history: decoded, or why it could not be. */
export type HistoryEntry =
  | { readonly _tag: "Read"; readonly id: string; readonly summary: RunSummary }
  | { readonly _tag: "Unreadable"; readonly id: string; readonly reason: string }

/** A new summary id for a run that started at `startedAt`. */
export const newRunId = (startedAt: Date): string =>
  `${startedAt.toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "")}-${process.pid}-${randomBytes(4).toString("hex")}`

const decodeSummary = Schema.decodeUnknownResult(Schema.fromJsonString(RunSummary))

const entryOf = (id: string, text: string): HistoryEntry => {
  const r = decodeSummary(text)
  if (Result.isSuccess(r) && r.success.id === id) return { _tag: "Read", id, summary: r.success }
  const reason = Result.isFailure(r) ? r.failure.message.replace(/\n\s*/g, " ") : `holds id ${r.success.id}`
  return { _tag: "Unreadable", id, reason }
}

const encodeSummary = (s: RunSummary): string => JSON.stringify(s, null, 1) + "\n"

export interface RunsShape {
  /** Marks a run as active for the life of the scope (what `gc` must not pull out from under). */
  readonly register: Effect.Effect<void, StoreError, Scope.Scope>
  /** When the earliest run still active started (ms since epoch), if any is. */
  readonly activeSince: Effect.Effect<number | undefined, StoreError>
  /** Removes temp files and locks left by processes that are gone; returns how many. */
  readonly sweepLeftovers: Effect.Effect<number, StoreError>
  /**
   * Adds a run's summary to the history (atomically; a summary with the same id is replaced), and
   * its plain log beside it (`history/<id>.log`) when given. The log is written before the summary,
   * so a summary never names a run whose log a finished write lost.
   */
  readonly record: (summary: RunSummary, log?: string) => Effect.Effect<void, StoreError>
  /** The plain log a run left, if it left one. */
  readonly log: (id: string) => Effect.Effect<string | undefined, StoreError>
  /** Every summary of the history, oldest first. */
  readonly history: Effect.Effect<ReadonlyArray<HistoryEntry>, StoreError>
}

const makeDisk = (root: string): RunsShape => {
  const { runsDir, tmpDir, locksDir, historyDir } = layout(root)

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
      // best effort: on a read-only cache the dead marker stays, and is judged dead again next time
      else if (!held) yield* io(marker, () => fsp.rm(marker, { force: true })).pipe(Effect.ignore)
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

  // A run that did work writes its summary as a record is written (temp file, fsync, rename). One
  // that committed nothing (a no-op, the commonest run) writes it straight: a crash may lose or cut
  // it (then it reads as unreadable, and gc warns and goes on), never a record; and a no-op run costs
  // no temp file, fsync or rename.
  const record = (summary: RunSummary, log?: string) => {
    const path = join(historyDir, `${summary.id}.json`)
    const logPath = join(historyDir, `${summary.id}.log`)
    const careful = summary.counts.ran > 0 || summary.counts.failed > 0
    const write = (file: string, text: string) =>
      careful
        ? writeAtomic(tmpDir, file, text)
        : io(file, async () => {
          await fsp.mkdir(historyDir, { recursive: true })
          await fsp.writeFile(file, text)
        })
    return Effect.andThen(log === undefined ? Effect.void : write(logPath, log), write(path, encodeSummary(summary)))
  }

  const log = (id: string) => {
    const path = join(historyDir, `${id}.log`)
    return io(path, () => fsp.readFile(path, "utf8").catch((e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? undefined : Promise.reject(e))))
  }

  const history = Effect.gen(function*() {
    const out: Array<HistoryEntry> = []
    for (const name of (yield* listDir(historyDir)).sort()) {
      if (!name.endsWith(".json")) continue
      const path = join(historyDir, name)
      const text = yield* io(path, () => fsp.readFile(path, "utf8"))
      out.push(entryOf(name.slice(0, -5), text))
    }
    return out
  })

  return { register, activeSince, sweepLeftovers, record, log, history }
}

/** The run registry service. */
export class Runs extends Context.Service<Runs, RunsShape>()("w2s/store/Runs") {
  static readonly layerDisk = (root: string) => Layer.sync(Runs, () => makeDisk(root))
  static readonly layerMemory = Layer.effect(
    Runs,
    Effect.map(MemoryState, ({ history, runLogs }) => ({
      register: Effect.void,
      activeSince: Effect.succeed(undefined),
      sweepLeftovers: Effect.succeed(0),
      record: (summary: RunSummary, log?: string) =>
        Effect.sync(() => {
          if (log !== undefined) runLogs.set(summary.id, log)
          history.set(summary.id, encodeSummary(summary))
        }),
      log: (id: string) => Effect.sync(() => runLogs.get(id)),
      history: Effect.sync(() => [...history].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, text]) => entryOf(id, text)))
    }))
  )
}
