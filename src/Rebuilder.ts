/**
 * The rebuilder: the one place that decides whether a node's record can be trusted and, when not,
 * rebuilds it. The decision is `Freshness.freshness` (pure): the planner shows it, and a run makes it
 * again at run time. `Rebuilder.build` is the whole step for one keyed node: lookup ->
 * lock -> re-check (another run may have committed the key while this one waited) -> run -> commit,
 * returning the committed record. A node is buildable from a `NodeJob` (`Runner.ts`) alone: stage,
 * params, input object hashes and key (computed once, by the caller); across a process boundary the
 * job travels as a `WireJob`, its stage by name. This interface is the seam a remote executor (e.g.
 * Slurm) implements.
 */
import { Context, Effect, Layer } from "effect"
import { hostname } from "node:os"
import { StageFailed, type StoreError } from "./Errors.ts"
import { freshness } from "./Freshness.ts"
import type { Committed, NodeRecord } from "./Record.ts"
import { type NodeEvents, type NodeJob, Runner } from "./Runner.ts"
import { Locks } from "./store/Locks.ts"
import { Records } from "./store/Records.ts"

/** What a build reports while it goes, besides the lines and progress of the stage. */
export interface BuildEvents extends NodeEvents {
  /** another run holds the key's lock: this one waits for it */
  readonly waiting: () => void
  /** the stage starts */
  readonly started: () => void
  /** a batch job computing the node changed state (remote executors): its id, state and words */
  readonly job?: (job: JobEvent) => void
}

/** A remote job's state as a build reports it: "pending (Priority)", "running", "requeued". */
export interface JobEvent {
  readonly id: string
  readonly state: string
  readonly text: string
  /** where the job's log is */
  readonly log?: string | undefined
}

/** How a build ended: found committed before the lock, committed by another run meanwhile, or run here. */
export type Built =
  | { readonly _tag: "Cached"; readonly record: Committed }
  | { readonly _tag: "Reused"; readonly record: Committed }
  | { readonly _tag: "Ran"; readonly record: NodeRecord }

export interface RebuilderShape {
  /**
   * Builds one node: its committed record, from the store or by running its stage. With `force` the
   * stage runs whatever the store holds. A failure (including the store's) is a `StageFailed`, whose
   * log is kept as the node's failure log.
   */
  readonly build: (job: NodeJob, options: BuildOptions) => Effect.Effect<Built, StageFailed>
}

export interface BuildOptions {
  readonly force: boolean
  readonly events: BuildEvents
  /**
   * Wraps the part of a build that waits for the lock and runs the stage: the scheduler's limit on
   * the cores its running nodes declare (a node found committed needs no slot).
   */
  readonly slot: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

export class Rebuilder extends Context.Service<Rebuilder, RebuilderShape>()("w2s/Rebuilder") {
  static readonly layer = Layer.effect(Rebuilder, Effect.suspend(() => make()))
}

// Where a record was made; in a Slurm job, also the job's id (`pipeline show` prints it).
const host = {
  hostname: hostname(),
  pid: process.pid,
  node: process.version,
  ...(process.env.SLURM_JOB_ID ? { job: process.env.SLURM_JOB_ID } : {})
}

/** Whether a record was made by this process. */
export const madeHere = (record: Pick<NodeRecord, "host">): boolean => record.host.pid === host.pid && record.host.hostname === host.hostname

/**
 * The rebuilder over the store's records and locks and a runner. `recheck: false` drops the re-check
 * under the lock: a mutant, for showing that the correctness property catches its loss. `job` names
 * the batch job the records are made in (default: `SLURM_JOB_ID`, if set).
 */
export const make = (options: { readonly recheck?: boolean; readonly job?: string | undefined } = {}) =>
  Effect.gen(function*() {
    const records = yield* Records
    const locks = yield* Locks
    const runner = yield* Runner
    const recheck = options.recheck ?? true
    const madeBy = options.job === undefined ? host : { ...host, job: options.job }

    const build: RebuilderShape["build"] = (job, { events, force, slot }) => {
      const lines: Array<string> = []
      const failed = (cause: unknown, during?: string) => new StageFailed({ node: job.node, cause, ...(during ? { during } : {}) })
      const body = Effect.gen(function*() {
        const before = freshness(records, job.key, force)
        if (before._tag === "UpToDate") return { _tag: "Cached", record: before.record } satisfies Built
        const stage = job.stage
        return yield* slot(locks.withLock(
          job.key,
          Effect.sync(events.waiting),
          Effect.gen(function*() {
            if (recheck) {
              const now = freshness(records, job.key, force)
              if (now._tag === "UpToDate") return { _tag: "Reused", record: now.record } satisfies Built
            }
            events.started()
            const startedAt = new Date()
            const cpu0 = process.cpuUsage()
            const result = yield* runner.run(job, {
              log: (line) => {
                lines.push(line)
                events.log(line)
              },
              progress: events.progress
            })
            const finishedAt = new Date()
            const cpu = process.cpuUsage(cpu0)
            const record: NodeRecord = {
              format: 1,
              key: job.key,
              pipeline: job.pipeline,
              node: job.node,
              stage: stage.name,
              version: stage.version,
              fingerprint: stage.fingerprint(),
              params: job.params,
              inputs: job.inputs,
              outputs: result.outputs,
              startedAt: startedAt.toISOString(),
              finishedAt: finishedAt.toISOString(),
              durationMs: finishedAt.getTime() - startedAt.getTime(),
              cpuMs: Math.round((cpu.user + cpu.system) / 1000),
              facts: result.facts,
              log: result.log,
              host: madeBy
            }
            yield* records.commit(record).pipe(Effect.mapError((e) => failed(e, "committing")))
            return { _tag: "Ran", record } satisfies Built
          })
        ))
      })
      return body.pipe(
        Effect.mapError((e: StageFailed | StoreError) => (e._tag === "StageFailed" ? e : failed(e))),
        // The log of a failure is kept (a failed node has no record): `pipeline show` prints it.
        Effect.tapError((e) => records.saveFailure(job.pipeline, job.node, job.key, [...lines, `FAILED: ${e.message}`].join("\n") + "\n").pipe(Effect.ignore))
      )
    }
    return Rebuilder.of({ build })
  })

/**
 * Builds one node from its job alone (stage name, params, input object hashes, key), with whatever
 * rebuilder the context provides: the one call a remote worker makes.
 */
export const build = (job: NodeJob, options: BuildOptions): Effect.Effect<Built, StageFailed, Rebuilder> =>
  Effect.flatMap(Rebuilder, (r: RebuilderShape) => r.build(job, options))
