/**
 * Run reporting. The scheduler emits events; a reporter turns them into what a person sees: on a
 * terminal a live view of the running nodes (progress, rate, ETA) above which finished nodes scroll,
 * otherwise plain timestamped lines (CI logs, files). The console reporter heeds the minimum log
 * level (`--log-level`, effect/cli's global flag): failures are errors, skipped, cancelled and
 * repaired nodes warnings, everything else info; above info there is no live view, and `none`
 * prints nothing. A live view's redraw timer lives in the layer's scope, so it is stopped however
 * the run ends. `layerCollect` keeps events for tests.
 */
import { Context, Effect, Layer, LogLevel, References } from "effect"
import { type Reason, reasonText } from "./Reason.ts"
import type { Progress } from "./Stage.ts"

export type RunEvent =
  | { readonly _tag: "Planned"; readonly pipeline: string; readonly toRun: number; readonly cached: ReadonlyArray<string> }
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

/** One line per event, with a time stamp; progress at most every `progressEveryMs` per node. */
export const makeLines = (write: (line: string) => void, progressEveryMs = 10_000) => {
  const started = new Map<string, number>()
  const lastProgress = new Map<string, number>()
  const line = (tag: string, node: string, rest = "") => write(`${clock()} ${tag.padEnd(9)} ${node}${rest ? `  ${rest}` : ""}`)
  return {
    emit: (e: RunEvent) => {
      switch (e._tag) {
        case "Planned": {
          const few = e.cached.length <= 8 ? e.cached.join(", ") : `${e.cached.slice(0, 8).join(", ")}, ...`
          return write(`${clock()} plan      ${e.pipeline}: ${e.toRun} to run, ${e.cached.length} cached${e.cached.length ? ` (${few})` : ""}`)
        }
        case "Cached":
          // Nodes cached at planning time are listed by "Planned"; these were spared at run time.
          return e.early ? line("cached", e.node, "(its inputs came out unchanged)") : undefined
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
          return line(e.reused ? "reused" : "done", e.node, e.reused ? "committed by another run" : seconds(e.durationMs))
        case "Failed":
          return line("FAILED", e.node, e.message)
        case "Skipped":
          return line("skipped", e.node, e.because)
        case "Cancelled":
          return line("cancelled", e.node)
        case "Repaired":
          return line("repaired", e.node, `input object ${e.object.slice(0, 12)} was damaged: removed, recomputing it`)
      }
    },
    close: Effect.void
  }
}

/** A live view for terminals: finished nodes print as lines, running ones redraw below them. */
export const makeLive = (stream: NodeJS.WriteStream) => {
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
    if (rows.length) stream.write(rows.join("\n") + "\n")
    drawn = rows.length
  }
  const lines = makeLines((l) => {
    clear()
    stream.write(l + "\n")
  }, Number.POSITIVE_INFINITY)
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
    })
  }
}

/** A reporter closed when the layer's scope closes (on success, failure or interruption alike). */
const scoped = (make: () => ReporterShape) => Layer.effect(Reporter, Effect.acquireRelease(Effect.sync(make), (r) => r.close))

/** The live view on `stream`, its timer tied to the layer's scope. */
export const layerLive = (stream: NodeJS.WriteStream) => scoped(() => makeLive(stream))

/**
 * Plain lines on stderr, or the live view when stderr is a terminal, showing the events at or above
 * the minimum log level (info unless `--log-level` says otherwise).
 */
export const layerConsole = Layer.unwrap(Effect.map(References.MinimumLogLevel, (minimum) => {
  const shown = LogLevel.isGreaterThanOrEqualTo(minimum)
  if (minimum === "None") return layerSilent
  if (process.stderr.isTTY && !process.env.CI && LogLevel.isLessThanOrEqualTo(minimum, "Info")) return layerLive(process.stderr)
  const lines = makeLines((l) => process.stderr.write(l + "\n"))
  return Layer.succeed(Reporter, { emit: (e) => void (shown(levelOf(e)) && lines.emit(e)), close: lines.close })
}))

/** Reports nothing. */
export const layerSilent = Layer.succeed(Reporter, { emit: () => {}, close: Effect.void })

/** Collects events into `events` (tests). */
export const layerCollect = (events: Array<RunEvent>) => Layer.succeed(Reporter, { emit: (e) => void events.push(e), close: Effect.void })
