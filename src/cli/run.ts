/**
 * `pipeline run`: plan, then execute what is not cached; the run's summary goes to the cache's run
 * history however it ends (`history.ts`).
 */
import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { availableParallelism } from "node:os"
import * as Scheduler from "../Scheduler.ts"
import { SlurmClient } from "../slurm/Client.ts"
import * as Preflight from "../slurm/Preflight.ts"
import { UsageError } from "../Errors.ts"
import * as Targets from "../Targets.ts"
import { statSync } from "node:fs"
import { isAbsolute, join, relative, resolve } from "node:path"
import { findPipeline, presetFlag, resolveGraph, runLayer, setFlag, paramsFlag, storeLayer, targetsArg } from "./App.ts"
import { figurePorts, writeFigures } from "./figures.ts"
import { duration } from "./format.ts"
import { recorded } from "./history.ts"
import { defaultReportFile, writeReport } from "./report.ts"
import { newRunId } from "../store/Runs.ts"
import { setsBetween } from "../Params.ts"
import type { Json } from "../Key.ts"
import { messageOf } from "../Errors.ts"

/** A folder as the user would type it: relative below the working directory, else absolute. */
const shown = (dir: string) => {
  const rel = relative(process.cwd(), dir)
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? resolve(dir) : rel
}

/** `--out` names a folder: an existing file there (or a file on its path) is bad usage, found before anything runs. */
const checkOutDir = (dir: string) =>
  Effect.suspend(() => {
    try {
      if (!statSync(dir).isDirectory()) return Effect.fail(new UsageError({ message: `--out ${dir} is a file; it names the folder figures are written to` }))
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === "ENOTDIR") return Effect.fail(new UsageError({ message: `--out ${dir}: a part of the path is a file` }))
    }
    return Effect.void
  })

export const run = Command.make(
  "run",
  {
    pipeline: Argument.String("pipeline"),
    targets: targetsArg,
    preset: presetFlag,
    set: setFlag,
    params: paramsFlag,
    jobs: Flag.Int("jobs").pipe(Flag.withDescription("Cores' worth of nodes at once: a node counts its stage's cpu, 1 unless the stage says otherwise (default: the number of cores; with --executor slurm, jobs queued at once, 64)"), Flag.optional),
    force: Flag.String("force").pipe(Flag.withDescription("Re-run nodes whose id matches GLOB (repeatable)"), Flag.atLeast(0)),
    keepGoing: Flag.Boolean("keep-going").pipe(Flag.withDescription("After a failure, finish what does not depend on it"), Flag.withDefault(false)),
    out: Flag.String("out").pipe(Flag.withDescription("Where the pipeline's figures are written (default figures/<pipeline>)"), Flag.optional),
    executor: Flag.ChoiceWithValue("executor", [["local", "local"], ["slurm", "slurm"]] as const).pipe(
      Flag.withDescription("Where nodes run: here (local), or heavy ones as Slurm jobs on a shared --cache-dir (slurm)"),
      Flag.withDefault("local")
    ),
    partition: Flag.String("slurm-partition").pipe(Flag.withDescription("The Slurm partition jobs go to"), Flag.optional),
    slurmArgs: Flag.String("slurm-arg").pipe(
      Flag.withDescription("An sbatch flag for every job, e.g. --slurm-arg=--account=x (repeatable; after the engine's own)"),
      Flag.atLeast(0)
    )
  },
  Effect.fn(function*(a) {
    const slurm = a.executor === "slurm"
    if (!slurm && (a.partition._tag === "Some" || a.slurmArgs.length > 0)) {
      return yield* Effect.fail(new UsageError({ message: "--slurm-partition and --slurm-arg need --executor slurm" }))
    }
    // With Slurm, --jobs bounds the jobs this driver has in the queue at once, each counting its stage's cpu.
    const jobs = a.jobs._tag === "Some" ? a.jobs.value : slurm ? 64 : availableParallelism()
    if (!(jobs >= 1)) return yield* Effect.fail(new UsageError({ message: `--jobs must be at least 1, got ${jobs}` }))
    if (a.out._tag === "Some") yield* checkOutDir(a.out.value)
    const graph = yield* resolveGraph(a.pipeline, a.preset, a.set, a.params, a.targets)
    // the code fingerprints of the sources as they are now (the launcher has just checked that the
    // bundle was built from them), before Slurm's preflight can take a while
    Scheduler.readFingerprints(graph)
    const force = yield* Effect.fromResult(Targets.forced(graph, a.force))
    const partition = a.partition._tag === "Some" ? a.partition.value : undefined
    const submit = slurm ? { resources: (yield* findPipeline(a.pipeline)).resources, partition, extra: a.slurmArgs } : undefined
    if (submit) yield* Preflight.preflight(graph, submit).pipe(Effect.provide(SlurmClient.layer))
    const logLines: Array<string> = []
    const layer = yield* runLayer(submit, (line) => void logLines.push(line))
    const pipeline = yield* findPipeline(a.pipeline)
    const startedAt = new Date()
    const id = newRunId(startedAt)
    const asked = {
      pipeline: graph.pipeline, preset: graph.preset, sets: a.set, paramsFiles: a.params, targets: a.targets, force: a.force,
      nodes: graph.nodes.length, params: graph.params, id, startedAt
    }
    yield* recorded(asked, (onOutcome) => Effect.gen(function*() {
      const summary = yield* Scheduler.run(graph, { jobs, force, keepGoing: a.keepGoing, onOutcome }).pipe(
        Effect.provide(layer)
      )
      const t = Scheduler.tally(summary)
      const parts = [`${t.ran} ran`, `${t.cached} cached`]
      if (t.reused) parts.push(`${t.reused} computed by another run`)
      if (t.failed) parts.push(`${t.failed} failed`)
      if (t.skipped) parts.push(`${t.skipped} skipped`)
      if (t.cancelled) parts.push(`${t.cancelled} cancelled`)
      yield* Console.log(`${graph.pipeline} (preset ${graph.preset}): ${parts.join(", ")} in ${duration(summary.wallMs)}`)
      for (const n of summary.nodes) if (n.outcome === "failed") yield* Console.error(`failed: ${n.id}: ${n.message}`)
      if (figurePorts(graph).length > 0) {
        const dir = a.out._tag === "Some" ? a.out.value : join("figures", graph.pipeline)
        const { files, skipped } = yield* writeFigures(graph, dir)
        if (files.length) yield* Console.log(`figures: ${files.filter((f) => f.endsWith(".svg")).length} written to ${shown(dir)}/`)
        if (skipped.length) {
          yield* Console.error(`figures not written: ${skipped.join(", ")}; files of those names in ${shown(dir)}/ are from an earlier run`)
        }
      }
      // The report, when the run computed or failed something (a no-op run reads no table or figure)
      // and its graph has the results or a figure (a run of 'puzzles/*' leaves the last report be).
      const reported = (pipeline.results !== undefined && graph.byId.has(pipeline.results.node)) || figurePorts(graph).length > 0
      if (reported && t.ran + t.reused + t.failed > 0) {
        const file = defaultReportFile(graph.pipeline, a.out._tag === "Some" ? a.out.value : undefined)
        const counts = { ran: t.ran, cached: t.cached, reused: t.reused, failed: t.failed, skipped: t.skipped, cancelled: t.cancelled }
        const written = yield* writeReport(graph, setsBetween(pipeline.presets[graph.preset] as Json, graph.params), file, {
          summary: { id, startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime(), counts, exit: t.failed ? 1 : 0, interrupted: false },
          nodes: summary.nodes.map((n) => ({ id: n.id, stage: n.stage, outcome: n.outcome }))
        }).pipe(
          Effect.catch((e) => Effect.as(Console.error(`report not written: ${messageOf(e)}`), undefined))
        )
        if (written) yield* Console.log(`report: ${shown(written)}`)
      }
      if (t.failed) process.exitCode = 1
      return t.failed
    }), (failed) => (failed ? 1 : 0), () => logLines.join("\n") + (logLines.length ? "\n" : ""))
  })
).pipe(Command.provide(storeLayer), Command.withDescription("Run a pipeline: compute what is not cached"))
