/**
 * The Slurm executor: a `Rebuilder` (the engine's seam) that computes each node needing a machine of
 * its own as one `sbatch` job, and the light ones on the driver with the local rebuilder. A job runs
 * `pipeline exec-node` on its job file (the `WireJob` and nothing else); that process recomputes the
 * key, takes the key's lock, builds and commits to the shared cache exactly as a local run would.
 * Slurm is reached only through the `SlurmClient` service (`Client.ts`; `FakeSlurm.ts` in tests).
 *
 * What the driver trusts is the committed record, never a job's exit code: after a job is over the
 * node succeeded exactly when its record is in the store; otherwise it failed, with Slurm's reason
 * (time limit, out of memory, node failure, cancelled, exit code) and the job's log. Each node is
 * computed once: a claim per key (`Claims.ts`, a scoped resource) names the job computing it and
 * its tag, so a driver that finds a claim whose job Slurm still reports going under that tag follows
 * it instead of submitting another (two drivers, two forcing drivers, or a driver re-run after a
 * crash); and should two jobs ever run for one key, the key's lock inside `exec-node` makes the
 * second find the first one's record. However following ends (done, failed, Ctrl-C), the claim's
 * scope closes: a job this driver submitted is cancelled unless it committed, and unclaimed.
 */
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import { messageOf, StageFailed, type StoreError } from "../Errors.ts"
import { freshness } from "../Freshness.ts"
import { type Built, make as makeLocal, Rebuilder, type RebuilderShape } from "../Rebuilder.ts"
import type { NodeJob } from "../Runner.ts"
import type { AnyStage } from "../Stage.ts"
import { Records } from "../store/Records.ts"
import { makeClaims } from "./Claims.ts"
import type { SlurmCallFailed } from "./Client.ts"
import { logTail, makeWatcher } from "./Follow.ts"
import { endedText, goingText, isGoing, type JobStatus, readResult, resourcesOf, runsRemotely, slurmLayout, type SubmitOptions } from "./Jobs.ts"

export interface SlurmOptions extends SubmitOptions {
  /** The shared cache directory (absolute): the same path on every host. */
  readonly cacheDir: string
  /** How often job states and logs are looked at (ms); default 500. */
  readonly pollMs?: number
  /** Seconds a record reported committed by a job may take to become visible to the driver; default 60. */
  readonly recordVisibleS?: number
}

/** The Slurm rebuilder, with the local rebuilder for light nodes (over the same store and runner). */
export const make = (options: SlurmOptions) =>
  Effect.gen(function*() {
    const records = yield* Records
    const local = yield* makeLocal()
    const watcher = yield* makeWatcher(options.pollMs ?? 500)
    const claims = yield* makeClaims(options, records)
    const paths = slurmLayout(options.cacheDir)
    const recordVisibleS = options.recordVisibleS ?? 60

    /** Whether `key` is committed (by job `jobId`, when given). */
    const committedBy = (key: string, jobId: string | undefined): boolean =>
      jobId === undefined ? records.lookup(key)._tag === "Present" : claims.committedBy(key, jobId)

    /**
     * Claims the node (or finds it claimed) and follows its job to the end; the claim's scope closes
     * with it, so a job submitted here is cancelled and unclaimed however following ends.
     */
    const followNode = (job: NodeJob, stage: AnyStage, build: Parameters<RebuilderShape["build"]>[1], retried: boolean, since: number): Effect.Effect<Built, StageFailed | StoreError | SlurmCallFailed> =>
      Effect.gen(function*() {
        const { events, force } = build
        const claimed = yield* claims.claim(job, force, resourcesOf(stage, options), since)
        if (claimed._tag === "Committed") return { _tag: "Reused", record: claimed.record } satisfies Built
        const { jobId, mine } = claimed
        // A forcing driver that follows another's forced job takes that job's record as its own run's.
        const forcedBy = force ? jobId : undefined
        const log = paths.log(job.key, jobId)
        if (mine) events.started()
        else events.waiting()
        let last: string | undefined
        let ran = false
        const report = (s: JobStatus | undefined) => {
          // A job that ran and is pending again was requeued (its node failed, or an admin did it).
          const requeued = ran && s?.state === "PENDING"
          const text = s ? `${requeued ? "requeued by Slurm, " : ""}${goingText(s)}` : "(Slurm does not answer)"
          if (s?.state === "RUNNING") ran = true
          if (requeued) ran = false
          if (text === last) return
          // The first report names the log; later ones only the state.
          events.job?.({ id: jobId, state: s?.state ?? "UNKNOWN", text, log: last === undefined ? log : undefined })
          last = text
        }
        report({ state: "SUBMITTED", reason: "" })
        const tail = logTail(log, events)
        const over = yield* watcher.follow(jobId, (s) => {
          if (!s || isGoing(s.state)) report(s)
          tail()
          // The record is what counts: once it is committed the node is done, whatever the job's state
          // (a job whose node lost its slurmd may stay COMPLETING for minutes after committing).
          return committedBy(job.key, forcedBy)
        })
        tail()
        let result = readResult(paths.result(job.key, jobId))
        // On a network filesystem a file another host just wrote can take a while to show here: a
        // job that says it committed is given a minute for its record to appear.
        for (let i = 0; i < recordVisibleS && result?.ok && !committedBy(job.key, forcedBy); i++) {
          yield* Effect.sleep(1000)
          result = readResult(paths.result(job.key, jobId))
        }
        const found = records.read(job.key)
        // Forced, only this job's own record counts (an older one under the key was to be replaced).
        if (found._tag === "Present" && (!force || found.record.host.job === jobId)) {
          return (mine && found.record.host.job === jobId ? { _tag: "Ran", record: found.record } : { _tag: "Reused", record: found.record }) satisfies Built
        }
        // Another driver's job that ended without a record, with no result or one saying it was
        // terminated (cancelled by that driver's Ctrl-C, or by hand, before its stage finished): this
        // node is still wanted here, so it is claimed or submitted afresh, once. A stage that failed
        // wrote its result: not retried.
        if (!mine && !retried && (!result || result.terminated)) return { _tag: "Retry" } as const
        const why = result?.ok
          ? `the job says it committed, but its record is not in ${options.cacheDir} here (is the cache shared with the compute nodes?)`
          : over.state === "COMPLETED" && !result
          ? `${endedText(over)} (is ${options.cacheDir} shared with the compute nodes?)`
          : endedText(over)
        const message = `slurm job ${jobId}: ${why}${result?.message && !result.terminated ? `: ${result.message}` : ""}`
        const text = (() => {
          try {
            return fs.readFileSync(log, "utf8")
          } catch {
            return ""
          }
        })()
        yield* records.saveFailure(job.pipeline, job.node, job.key, `slurm job ${jobId}, log ${log}\n${text}FAILED: ${message}\n`).pipe(Effect.ignore)
        return yield* Effect.fail(new StageFailed({ node: job.node, cause: new Error(message), damagedInput: result?.damagedInput }))
      }).pipe(
        Effect.scoped,
        Effect.flatMap((r): Effect.Effect<Built, StageFailed | StoreError | SlurmCallFailed> => (r._tag === "Retry" ? followNode(job, stage, build, true, since) : Effect.succeed(r)))
      )

    const build: RebuilderShape["build"] = (job, opts) => {
      const stage = job.stage
      if (!runsRemotely(stage, resourcesOf(stage, options))) return local.build(job, opts)
      const before = freshness(records, job.key, opts.force)
      if (before._tag === "UpToDate") return Effect.succeed({ _tag: "Cached", record: before.record } satisfies Built)
      return opts.slot(followNode(job, stage, opts, false, Date.now())).pipe(
        Effect.mapError((e: StageFailed | StoreError | SlurmCallFailed) =>
          e._tag === "StageFailed" ? e : new StageFailed({ node: job.node, during: "submitting to Slurm", cause: new Error(messageOf(e)) })
        )
      )
    }
    return Rebuilder.of({ build })
  })

/** The Slurm rebuilder as a layer over the store and a runner (for the light nodes). */
export const layer = (options: SlurmOptions) => Layer.effect(Rebuilder, make(options))
