/**
 * Run reporting. The scheduler emits events; a reporter turns them into what a person sees: on a
 * terminal a live view of the running nodes (progress, rate, ETA) above which finished nodes scroll,
 * otherwise plain timestamped lines (CI logs, files). The console reporter heeds the minimum log
 * level (`--log-level`, effect/cli's global flag): failures are errors, skipped, cancelled and
 * repaired nodes warnings, everything else info; above info there is no live view, and `none`
 * prints nothing. A live view's redraw timer lives in the layer's scope, so it is stopped however
 * the run ends. Both keep a count of the run's nodes (done, cached, running, failed, to run, out of
 * the total) with the elapsed time and an ETA from the stored timings (`makeTally`): the plain lines
 * carry it on every line that finishes a node and once at the end, the live view as its last line.
 * `layerCollect` keeps events for tests.
 */
import { Context, Effect, Layer, LogLevel, References } from "effect"
import { type Reason, reasonText } from "./Reason.ts"
import type { Progress } from "./Stage.ts"

export type RunEvent =
  | {
    readonly _tag: "Planned"
    readonly pipeline: string
    readonly toRun: number
    readonly cached: ReadonlyArray<string>
    /** expected wall time (ms) of nodes to run, from the stored timings of the same nodes or stages */
    readonly estimates?: Readonly<Record<string, number>>
    /** cores kept busy (`--jobs`): nodes run at once, unless their stages say otherwise in `cpu` */
    readonly jobs?: number
    /** the cores nodes to run count for, where not 1 (their stage's `cpu` as the scheduler rounds it) */
    readonly cpu?: Readonly<Record<string, number>>
  }
  | { readonly _tag: "Cached"; readonly node: string; readonly early: boolean }
  | { readonly _tag: "Started"; readonly node: string; readonly stage: string; readonly reason: Reason }
  | { readonly _tag: "Waiting"; readonly node: string }
  | { readonly _tag: "Log"; readonly node: string; readonly line: string }
  /** a batch job computing the node (Slurm) changed state */
  | { readonly _tag: "Job"; readonly node: string; readonly id: string; readonly state: string; readonly text: string; readonly log?: string | undefined }
  | { readonly _tag: "Progress"; readonly node: string; readonly progress: Progress }
  | { readonly _tag: "Ran"; readonly node: string; readonly durationMs: number; readonly reused: boolean }
  | { readonly _tag: "Failed"; readonly node: string; readonly message: string }
  | { readonly _tag: "Skipped"; readonly node: string; readonly because: string }
  | { readonly _tag: "Cancelled"; readonly node: string }
  | { readonly _tag: "Repaired"; readonly node: string; readonly object: string }

export interface ReporterShape {
  readonly emit: (e: RunEvent) => void
  /** Stops any live display (at the end of a run; the console layers also do it when their scope closes). */
  readonly close: Effect.Effect<void>
}

export class Reporter extends Context.Service<Reporter, ReporterShape>()("w2s/Reporter") {}

/** How severe an event is, for the minimum log level. */
export const levelOf = (e: RunEvent): LogLevel.LogLevel => {
  switch (e._tag) {
    case "Failed":
      return "Error"
    case "Skipped":
    case "Cancelled":
    case "Repaired":
      return "Warn"
    default:
      return "Info"
  }
}

const clock = () => new Date().toISOString().slice(11, 19)
const seconds = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`)

const progressText = (p: Progress, startedAt: number): string => {
  const unit = p.unit ? ` ${p.unit}` : ""
  let text = p.total ? `${p.done}/${p.total}${unit}` : `${p.done}${unit}`
  const elapsed = (Date.now() - startedAt) / 1000
  if (p.total && p.done > 0 && elapsed > 1) {
    const rate = p.done / elapsed
    text += ` (${rate >= 10 ? rate.toFixed(0) : rate.toFixed(2)}/s, ETA ${seconds(((p.total - p.done) / rate) * 1000)})`
  }
  return p.note ? `${text} ${p.note}` : text
}

/** A duration as a person reads it: 4.2s, 37s, 3m05s, 1h12m. */
export const clockText = (ms: number): string => {
  if (ms < 60_000) return seconds(ms)
  const s = Math.round(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
}

/** The counts of a run's nodes at one moment; `toRun` are those not started yet. */
export interface TallyCounts {
  readonly total: number
  readonly done: number
  readonly cached: number
  readonly running: number
  readonly failed: number
  readonly skipped: number
  readonly cancelled: number
  readonly toRun: number
}

/**
 * The running count of a run's nodes, fed the run's events: done (ran, or committed by another
 * run), cached (at planning or at run time), running, failed, skipped, cancelled and still to run,
 * out of the total, with the time since the plan and an ETA. The ETA is the stored wall time of
 * what is left (each node to run by its last record, else the mean of its stage's; a running node
 * by what its estimate has left), each weighed by its stage's `cpu`, spread over the cores of
 * `--jobs` (or fewer, when what is left cannot keep them busy); nodes with no stored time make it a
 * lower bound (`ETA >...`). A second plan (a run that repairs a damaged object plans again)
 * starts the count afresh.
 */
export const makeTally = (now: () => number = Date.now) => {
  let total = 0, done = 0, cached = 0, failed = 0, skipped = 0, cancelled = 0
  let since: number | undefined, jobs = 1, planned = false
  let estimates: Readonly<Record<string, number>> = {}
  let cpu: Readonly<Record<string, number>> = {}
  const share = (node: string) => cpu[node] ?? 1
  const running = new Map<string, number>()
  const finished = new Set<string>()
  const finish = (node: string) => {
    running.delete(node)
    finished.add(node)
  }
  const counts = (): TallyCounts => ({
    total, done, cached, running: running.size, failed, skipped, cancelled,
    toRun: Math.max(0, total - done - cached - running.size - failed - skipped - cancelled)
  })
  const eta = (): string | undefined => {
    const c = counts()
    if (c.toRun + c.running === 0) return undefined
    let left = 0, unknown = 0
    for (const [node, t] of running) {
      const est = estimates[node]
      if (est === undefined) unknown++
      else left += share(node) * Math.max(0, est - (now() - t))
    }
    const waiting = Object.keys(estimates).filter((n) => !running.has(n) && !finished.has(n))
    for (const n of waiting) left += share(n) * estimates[n]!
    unknown += Math.max(0, c.toRun - waiting.length)
    if (left === 0 && unknown > 0) return undefined
    // the cores what is left keeps busy: one per node, but a node's `cpu` where its stage says
    let busy = c.toRun + c.running
    for (const [n, s] of Object.entries(cpu)) if (!finished.has(n)) busy += s - 1
    if (!(busy > 0)) return undefined
    const wall = left / Math.min(jobs, busy)
    return unknown > 0 ? `ETA >${clockText(wall)}` : `ETA ${clockText(wall)}`
  }
  return {
    get planned() {
      return planned
    },
    counts,
    apply: (e: RunEvent) => {
      switch (e._tag) {
        case "Planned":
          planned = true
          total = e.toRun + e.cached.length
          cached = e.cached.length
          done = failed = skipped = cancelled = 0
          running.clear()
          finished.clear()
          estimates = e.estimates ?? {}
          cpu = e.cpu ?? {}
          jobs = Math.max(1, e.jobs ?? 1)
          since ??= now()
          return
        case "Started":
          running.set(e.node, now())
          return
        case "Cached":
          if (e.early) cached++
          return finish(e.node)
        case "Ran":
          done++
          return finish(e.node)
        case "Failed":
          failed++
          return finish(e.node)
        case "Skipped":
          skipped++
          return finish(e.node)
        case "Cancelled":
          cancelled++
          return finish(e.node)
      }
    },
    /** `11 nodes: 3 done, 2 cached, 1 running, 0 failed, 5 to run; 12s elapsed, ETA 30s` */
    text: () => {
      const c = counts()
      const parts = [`${c.done} done`, `${c.cached} cached`, `${c.running} running`, `${c.failed} failed`]
      if (c.skipped) parts.push(`${c.skipped} skipped`)
      if (c.cancelled) parts.push(`${c.cancelled} cancelled`)
      parts.push(`${c.toRun} to run`)
      const time = [`${clockText(since === undefined ? 0 : now() - since)} elapsed`]
      const left = eta()
      if (left) time.push(left)
      return `${c.total} nodes: ${parts.join(", ")}; ${time.join(", ")}`
    }
  }
}

/**
 * One line per event, with a time stamp; progress at most every `progressEveryMs` per node. Each
 * line that finishes a node ends with the run's count in brackets, and `close` writes the count
 * once more (`total` line) when the run planned anything.
 */
export const makeLines = (write: (line: string) => void, progressEveryMs = 10_000, tally = makeTally()) => {
  const started = new Map<string, number>()
  const lastProgress = new Map<string, number>()
  const line = (tag: string, node: string, rest = "") => write(`${clock()} ${tag.padEnd(9)} ${node}${rest ? `  ${rest}` : ""}`)
  const counted = (tag: string, node: string, rest = "") => line(tag, node, `${rest ? `${rest}  ` : ""}[${tally.text()}]`)
  let closed = false
  return {
    emit: (e: RunEvent) => {
      tally.apply(e)
      switch (e._tag) {
        case "Planned": {
          const few = e.cached.length <= 8 ? e.cached.join(", ") : `${e.cached.slice(0, 8).join(", ")}, ...`
          return write(`${clock()} plan      ${e.pipeline}: ${e.toRun} to run, ${e.cached.length} cached${e.cached.length ? ` (${few})` : ""} of ${e.toRun + e.cached.length}`)
        }
        case "Cached":
          // Nodes cached at planning time are listed by "Planned"; these were spared at run time.
          return e.early ? counted("cached", e.node, "(its inputs came out unchanged)") : undefined
        case "Started":
          started.set(e.node, Date.now())
          return line("run", e.node, reasonText(e.reason))
        case "Waiting":
          return line("waiting", e.node, "another run is computing it")
        case "Log":
          return write(`${clock()}   ${e.node} | ${e.line}`)
        case "Job":
          return line("slurm", e.node, `job ${e.id} ${e.text}${e.log ? `, log ${e.log}` : ""}`)
        case "Progress": {
          const now = Date.now()
          if (now - (lastProgress.get(e.node) ?? 0) < progressEveryMs) return
          lastProgress.set(e.node, now)
          return line("progress", e.node, progressText(e.progress, started.get(e.node) ?? now))
        }
        case "Ran":
          return counted(e.reused ? "reused" : "done", e.node, e.reused ? "committed by another run" : seconds(e.durationMs))
        case "Failed":
          return counted("FAILED", e.node, e.message)
        case "Skipped":
          return counted("skipped", e.node, e.because)
        case "Cancelled":
          return counted("cancelled", e.node)
        case "Repaired":
          return line("repaired", e.node, `input object ${e.object.slice(0, 12)} was damaged: removed, recomputing it`)
      }
    },
    close: Effect.sync(() => {
      if (closed || !tally.planned) return
      closed = true
      write(`${clock()} total     ${tally.text()}`)
    })
  }
}

/** A live view for terminals: finished nodes print as lines, running ones redraw below them. */
export const makeLive = (stream: NodeJS.WriteStream) => {
  const tally = makeTally()
  const running = new Map<string, { since: number; progress?: Progress; lastLog?: string; job?: string }>()
  let drawn = 0
  const clear = () => {
    if (drawn > 0) {
      stream.moveCursor(0, -drawn)
      stream.clearScreenDown()
      drawn = 0
    }
  }
  const draw = () => {
    clear()
    const width = (stream.columns ?? 100) - 1
    const rows = [...running].map(([node, r]) => {
      const p = r.progress
      const bar = p?.total ? "[" + "#".repeat(Math.round((p.done / p.total) * 20)).padEnd(20, ".") + "] " : ""
      const what = p ? progressText(p, r.since) : r.lastLog ?? ""
      const job = r.job ? `[${r.job}] ` : ""
      return `  ${seconds(Date.now() - r.since).padStart(6)} ${node}  ${job}${bar}${what}`.slice(0, width)
    })
    if (tally.planned) rows.push(`  total  ${tally.text()}`.slice(0, width))
    if (rows.length) stream.write(rows.join("\n") + "\n")
    drawn = rows.length
  }
  const lines = makeLines((l) => {
    clear()
    stream.write(l + "\n")
  }, Number.POSITIVE_INFINITY, tally)
  const timer = setInterval(draw, 200)
  timer.unref()
  return {
    emit: (e: RunEvent) => {
      switch (e._tag) {
        case "Started":
          running.set(e.node, { since: Date.now() })
          break
        case "Progress": {
          const r = running.get(e.node)
          if (r) r.progress = e.progress
          return
        }
        case "Log": {
          const r = running.get(e.node)
          if (r) r.lastLog = e.line
          return
        }
        case "Job": {
          const r = running.get(e.node)
          if (r) r.job = `job ${e.id} ${e.text}`
          break
        }
        case "Ran":
        case "Failed":
        case "Cancelled":
          running.delete(e.node)
      }
      lines.emit(e)
      draw()
    },
    close: Effect.sync(() => {
      clearInterval(timer)
      clear()
    }).pipe(Effect.andThen(lines.close))
  }
}

/** A reporter closed when the layer's scope closes (on success, failure or interruption alike). */
const scoped = (make: () => ReporterShape) => Layer.effect(Reporter, Effect.acquireRelease(Effect.sync(make), (r) => r.close))

/** The live view on `stream`, its timer tied to the layer's scope. */
export const layerLive = (stream: NodeJS.WriteStream) => scoped(() => makeLive(stream))

const consoleReporter = (minimum: LogLevel.LogLevel): ReporterShape => {
  const shown = LogLevel.isGreaterThanOrEqualTo(minimum)
  if (minimum === "None") return { emit: () => {}, close: Effect.void }
  if (process.stderr.isTTY && !process.env.CI && LogLevel.isLessThanOrEqualTo(minimum, "Info")) return makeLive(process.stderr)
  const lines = makeLines((l) => process.stderr.write(l + "\n"))
  return { emit: (e) => void (shown(levelOf(e)) && lines.emit(e)), close: shown("Info") ? lines.close : Effect.void }
}

/**
 * Plain lines on stderr, or the live view when stderr is a terminal, showing the events at or above
 * the minimum log level (info unless `--log-level` says otherwise).
 */
export const layerConsole = Layer.unwrap(Effect.map(References.MinimumLogLevel, (minimum) => scoped(() => consoleReporter(minimum))))

/**
 * `layerConsole`, and every event also as a plain line to `log` whatever the console shows (the
 * run's log that the history keeps).
 */
export const layerConsoleAndLog = (log: (line: string) => void) =>
  Layer.unwrap(Effect.map(References.MinimumLogLevel, (minimum) =>
    scoped(() => {
      const shown = consoleReporter(minimum)
      const plain = makeLines(log)
      return {
        emit: (e) => {
          shown.emit(e)
          plain.emit(e)
        },
        close: Effect.andThen(shown.close, plain.close)
      }
    })))

/** Reports nothing. */
export const layerSilent = Layer.succeed(Reporter, { emit: () => {}, close: Effect.void })

/** Collects events into `events` (tests). */
export const layerCollect = (events: Array<RunEvent>) => Layer.succeed(Reporter, { emit: (e) => void events.push(e), close: Effect.void })
