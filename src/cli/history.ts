/**
 * The summary `pipeline run` leaves in the cache's run history (`Runs.record`), however the run
 * ends: done, a stage failed, the store failed, or interrupted (it is written by a finalizer). It
 * holds what was asked, the counts, the exit code and the keys of every node the run used or
 * committed up to its end, which `gc` keeps while the run is recent (`--keep-runs`). A run that
 * computed nothing (a no-op, or on a read-only cache) records its summary on a best-effort basis;
 * one that did work warns on stderr when its summary cannot be written.
 */
import { Cause, Console, Effect, Exit } from "effect"
import { hostname } from "node:os"
import { exitCode, messageOf } from "../Errors.ts"
import type { NodeOutcome } from "../Scheduler.ts"
import { newRunId, Runs, type RunSummary } from "../store/Runs.ts"

/** What a run was asked to do, as typed. */
export interface RunAsked {
  readonly pipeline: string
  readonly preset: string
  readonly sets: ReadonlyArray<string>
  readonly paramsFiles: ReadonlyArray<string>
  readonly targets: ReadonlyArray<string>
  readonly force: ReadonlyArray<string>
  /** how many nodes the run's graph has (those with no outcome when it ends count as cancelled) */
  readonly nodes: number
  /** the params the run resolved (encoded) */
  readonly params?: unknown
  /** the run's id and start, fixed when it starts (its report names it) */
  readonly id?: string
  readonly startedAt?: Date
}

/**
 * Runs `body`, handing it the callback for node outcomes (`Scheduler.RunOptions.onOutcome`), and
 * records the run's summary on every exit. `exitOf` is the exit code of a body that succeeded.
 */
export const recorded = <A, E, R>(
  asked: RunAsked,
  body: (onOutcome: (o: NodeOutcome) => void) => Effect.Effect<A, E, R>,
  exitOf: (a: A) => number,
  log?: () => string
) =>
  Effect.gen(function*() {
    const runs = yield* Runs
    const startedAt = asked.startedAt ?? new Date()
    const id = asked.id ?? newRunId(startedAt)
    const latest = new Map<string, NodeOutcome>()
    const ran = new Set<string>()
    const keys = new Set<string>()
    const onOutcome = (o: NodeOutcome) => {
      latest.set(o.id, o)
      if (o.outcome === "ran") ran.add(o.id)
      if (o.key !== undefined && (o.outcome === "cached" || o.outcome === "ran" || o.outcome === "reused")) keys.add(o.key)
    }
    return yield* body(onOutcome).pipe(Effect.onExit((exit) => {
      const counts = { ran: 0, cached: 0, reused: 0, failed: 0, skipped: 0, cancelled: 0 }
      // a node repaired and found cached on the second pass was run by this run
      for (const o of latest.values()) counts[o.outcome === "cached" && ran.has(o.id) ? "ran" : o.outcome]++
      counts.cancelled += Math.max(0, asked.nodes - latest.size)
      const interrupted = Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)
      const summary: RunSummary = {
        format: 1,
        id,
        pipeline: asked.pipeline,
        preset: asked.preset,
        sets: [...asked.sets],
        paramsFiles: [...asked.paramsFiles],
        targets: [...asked.targets],
        force: [...asked.force],
        startedAt: startedAt.toISOString(),
        durationMs: Date.now() - startedAt.getTime(),
        counts,
        exit: Exit.isSuccess(exit) ? exitOf(exit.value) : interrupted ? 130 : exitCode(Cause.squash(exit.cause)),
        interrupted,
        keys: [...keys].sort(),
        host: { hostname: hostname(), pid: process.pid },
        ...(asked.params === undefined ? {} : { params: asked.params }),
        // every node but those cached (the commonest, and all of a no-op run's: `keys` holds theirs)
        nodes: [...latest.values()].flatMap((o) => {
          const outcome = o.outcome === "cached" && ran.has(o.id) ? "ran" as const : o.outcome
          return outcome === "cached" ? [] : [{
            id: o.id,
            stage: o.stage,
            outcome,
            ...(o.key === undefined ? {} : { key: o.key }),
            ...(o.durationMs === undefined ? {} : { durationMs: o.durationMs })
          }]
        })
      }
      const quiet = counts.ran === 0 && counts.failed === 0
      return runs.record(summary, log?.()).pipe(
        Effect.catch((e) => (quiet ? Effect.void : Console.error(`warning: the run's summary was not written to the history: ${messageOf(e)}`)))
      )
    }))
  })
