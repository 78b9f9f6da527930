/**
 * `pipeline runs`: the run history (`Runs.history`), one line per run, newest last: pipeline, the
 * flags that reproduce its params, targets, start, duration, counts and how it ended (ok, failed,
 * interrupted). `pipeline runs ID` shows one run, its nodes' outcomes and the plain log it left. A
 * run is named by its id, a unique prefix of it, `last`, or `last~N` (the Nth before the last).
 */
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { NotFound, UsageError } from "../Errors.ts"
import { Runs, type RunSummary } from "../store/Runs.ts"
import { storeLayer } from "./App.ts"
import { columns, duration } from "./format.ts"
import { summaries } from "./lastRun.ts"

/** How a run ended, in a word. */
export const ending = (s: RunSummary): string =>
  s.interrupted ? "interrupted" : s.exit === 0 ? (s.counts.cancelled > 0 || s.counts.skipped > 0 ? "partial" : "ok") : s.exit === 1 ? "failed" : `exit ${s.exit}`

const flagsOf = (s: RunSummary) =>
  [`--preset ${s.preset}`, ...s.paramsFiles.map((f) => `--params ${f}`), ...s.sets.map((x) => `--set ${x}`)].join(" ")

const countsOf = (s: RunSummary) => {
  const c = s.counts
  const parts = [`${c.ran} ran`, `${c.cached} cached`]
  if (c.reused) parts.push(`${c.reused} reused`)
  if (c.failed) parts.push(`${c.failed} failed`)
  if (c.skipped) parts.push(`${c.skipped} skipped`)
  if (c.cancelled) parts.push(`${c.cancelled} cancelled`)
  return parts.join(", ")
}

/** The run `ref` names among `all` (oldest first): an id, a unique id prefix, `last` or `last~N`. */
export const findRun = (all: ReadonlyArray<RunSummary>, ref: string): Effect.Effect<RunSummary, UsageError | NotFound> => {
  const back = /^last(?:~(\d+))?$/.exec(ref)
  if (back) {
    const s = all.at(-1 - Number(back[1] ?? 0))
    return s
      ? Effect.succeed(s)
      : Effect.fail(new UsageError({ message: `no run '${ref}': the history holds ${all.length} run${all.length === 1 ? "" : "s"}` }))
  }
  const exact = all.find((s) => s.id === ref)
  if (exact) return Effect.succeed(exact)
  const matches = all.filter((s) => s.id.startsWith(ref))
  if (matches.length === 1) return Effect.succeed(matches[0]!)
  if (matches.length > 1) {
    return Effect.fail(new UsageError({ message: `run '${ref}' is ambiguous: ${matches.slice(0, 5).map((s) => s.id).join(", ")}${matches.length > 5 ? ", ..." : ""}` }))
  }
  return Effect.fail(new NotFound({ what: "run", name: ref, known: all.map((s) => s.id).slice(-20) }))
}

export const runs = Command.make(
  "runs",
  {
    id: Argument.String("run").pipe(Argument.withDescription("A run to show: its id, a unique prefix, last or last~N"), Argument.optional),
    pipeline: Flag.String("pipeline").pipe(Flag.withDescription("Only runs of this pipeline"), Flag.optional)
  },
  Effect.fn(function*(a) {
    const all = (yield* summaries).filter((s) => Option.isNone(a.pipeline) || s.pipeline === a.pipeline.value)
    if (Option.isNone(a.id)) {
      const unreadable = (yield* (yield* Runs).history).filter((e) => e._tag === "Unreadable")
      for (const u of unreadable) yield* Console.error(`warning: run ${u.id}: its summary does not decode (${u.reason}); left out`)
      if (all.length === 0) return yield* Console.log("no runs in the history")
      yield* Console.log(columns([
        ["id", "pipeline", "params", "targets", "started", "took", "nodes", "ended"],
        ...all.map((s) => [
          s.id,
          s.pipeline,
          flagsOf(s),
          s.targets.join(" ") || "all",
          s.startedAt.replace(/\.\d+Z$/, "Z"),
          duration(s.durationMs),
          countsOf(s),
          ending(s)
        ])
      ]))
      return
    }
    const s = yield* findRun(all, a.id.value)
    const log = yield* (yield* Runs).log(s.id)
    const lines: Array<[string, string]> = [
      ["run", s.id],
      ["pipeline", s.pipeline],
      ["params", flagsOf(s)],
      ["targets", s.targets.join(" ") || "all"],
      ["forced", s.force.join(" ") || "none"],
      ["started", s.startedAt],
      ["took", duration(s.durationMs)],
      ["nodes", countsOf(s)],
      ["ended", `${ending(s)} (exit ${s.exit})`],
      ["host", `${s.host.hostname}, pid ${s.host.pid}`]
    ]
    yield* Console.log(columns(lines.map(([k, v]) => [k, v])))
    const failed = (s.nodes ?? []).filter((n) => n.outcome === "failed" || n.outcome === "cancelled" || n.outcome === "skipped")
    if (failed.length) yield* Console.log(`\nnot done:\n${failed.map((n) => `  ${n.outcome.padEnd(9)} ${n.id}`).join("\n")}`)
    yield* Console.log(log === undefined ? "\n(no log kept for this run)" : `\nlog:\n${log.replace(/\n$/, "")}`)
  })
).pipe(Command.provide(storeLayer), Command.withDescription("List the runs in the cache's history, or show one with its log"))
