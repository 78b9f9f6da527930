/**
 * The Slurm executor: a `Rebuilder` (the engine's seam) that computes each node needing a machine of
 * its own as one `sbatch` job, and the light ones on the driver with the local rebuilder. A job runs
 * `pipeline exec-node` on its job file (the `NodeJob` and nothing else); that process recomputes the
 * key, takes the key's lock, builds and commits to the shared cache exactly as a local run would.
 *
 * What the driver trusts is the committed record, never a job's exit code: after a job is over the
 * node succeeded exactly when its record is in the store; otherwise it failed, with Slurm's reason
 * (time limit, out of memory, node failure, cancelled, exit code) and the job's log. Each node is
 * computed once: a claim file per key names the job computing it, written under a lock, so a
 * driver that finds a claim whose job is still going follows that job instead of submitting
 * another (two drivers, or a driver re-run after a crash); and should two jobs ever run for one
 * key, the key's lock inside `exec-node` makes the second find the first one's record. Interrupted
 * (Ctrl-C), the driver cancels the jobs it submitted.
 */
import { Effect, Layer } from "effect"
import { hostname } from "node:os"
import * as fs from "node:fs"
import { dirname, resolve } from "node:path"
import { messageOf, StageFailed, type StoreError } from "../Errors.ts"
import { freshness } from "../Freshness.ts"
import { type Built, make as makeLocal, Rebuilder, type RebuilderShape } from "../Rebuilder.ts"
import type { NodeJob } from "../Runner.ts"
import { type AnyStage, lookup as lookupStage, type Resources } from "../Stage.ts"
import { io, tryLock, unlock, writeAtomic } from "../store/Disk.ts"
import { withHold } from "../store/Hold.ts"
import { Records } from "../store/Records.ts"
import * as Client from "./Client.ts"
import { logTail, makeWatcher } from "./Follow.ts"
import { type Claim, encodeJobFile, endedText, type ExecResult, goingText, isGoing, type JobStatus, readClaim, runsRemotely, sbatchArgs, slurmLayout, type SubmitOptions } from "./Jobs.ts"

export interface SlurmOptions extends SubmitOptions {
  /** The shared cache directory (absolute): the same path on every host. */
  readonly cacheDir: string
  /** How often job states and logs are looked at (ms); default 500. */
  readonly pollMs?: number
}

/** Seconds a record reported committed by a job may take to become visible to the driver. */
const RECORD_VISIBLE_S = 60

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** The batch script of one job: this node and launcher, on the job file, against the cache. */
const script = (cacheDir: string, jobFile: string) =>
  `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(resolve(process.argv[1] ?? "bin/pipeline.cjs"))} exec-node --cache-dir ${quote(cacheDir)} ${quote(jobFile)}\n`

const readJson = <A>(path: string): A | undefined => {
  try {
    return JSON.parse(fs.readFileSync(path, "utf8")) as A
  } catch {
    return undefined
  }
}

/** The Slurm rebuilder, with the local rebuilder for light nodes (over the same store and runner). */
export const make = (options: SlurmOptions) =>
  Effect.gen(function*() {
    const records = yield* Records
    const local = yield* makeLocal()
    const watcher = yield* makeWatcher(options.pollMs ?? 500)
    const paths = slurmLayout(options.cacheDir)
    const me = { host: hostname(), pid: process.pid }

    /** Under the claim's lock: the job already computing `key`, or a new one submitted now. */
    const claimOrSubmit = (job: NodeJob, force: boolean, submitted: { id?: string | undefined }) =>
      withHold(
        tryLock(paths.claimsDir, paths.claim(job.key)),
        unlock,
        // Held only while one driver submits: a short wait, interruptible.
        { pollMs: 100 },
        () =>
          Effect.gen(function*() {
            const prior = readClaim(paths.claim(job.key))
            if (prior && !force) {
              const st = yield* Client.statuses([prior.jobId]).pipe(Effect.catch(() => Effect.succeed(undefined)))
              const s = st?.get(prior.jobId)
              // A claim whose state is unknown (Slurm not answering) is followed, not doubled.
              if (!s || isGoing(s.state)) return { jobId: prior.jobId, mine: false }
            }
            // Another run may have committed the key while this one waited for the claim.
            const now = records.lookup(job.key)
            if (!force && now._tag === "Present") return { committed: now.record }
            yield* writeAtomic(dirname(paths.jobFile(job.key)), paths.jobFile(job.key), encodeJobFile(job, force))
            yield* io(paths.logsDir, () => fs.promises.mkdir(paths.logsDir, { recursive: true }))
            const args = sbatchArgs(resourcesOf(lookupStage(job.stage)!), { name: `w2s:${job.node}`, output: paths.logPattern(job.key), workdir: process.cwd() }, options)
            // Submitting and claiming are one step that Ctrl-C cannot cut: a job Slurm accepted is either
            // claimed and known to the caller (which cancels it if interrupted later), or cancelled here.
            const jobId = yield* Effect.uninterruptible(Effect.gen(function*() {
              const id = yield* Client.submit(args, script(options.cacheDir, paths.jobFile(job.key)))
              const claim: Claim = { jobId: id, ...me, submittedAt: new Date().toISOString() }
              yield* writeAtomic(dirname(paths.claim(job.key)), paths.claim(job.key), JSON.stringify(claim) + "\n").pipe(
                Effect.onError(() => Client.cancel([id]).pipe(Effect.ignore))
              )
              submitted.id = id
              return id
            }))
            return { jobId, mine: true }
          })
      )

    const resourcesOf = (stage: AnyStage): Resources | undefined => options.resources?.[stage.name] ?? stage.resources

    /** Drops our claim on `key` if it still names our job. */
    const unclaim = (key: string, jobId: string) =>
      Effect.sync(() => {
        if (readClaim(paths.claim(key))?.jobId === jobId) fs.rmSync(paths.claim(key), { force: true })
      })

    /** Whether `key` is committed (by job `jobId`, when given). */
    const committedBy = (key: string, jobId: string | undefined): boolean => {
      if (jobId === undefined) return records.lookup(key)._tag === "Present"
      const r = records.read(key)
      return r._tag === "Present" && r.record.host.job === jobId
    }

    const remote = (job: NodeJob, build: Parameters<RebuilderShape["build"]>[1]): Effect.Effect<Built, StageFailed | StoreError | Client.SlurmCallFailed> => {
      // The job this driver submitted and still follows: cancelled (and unclaimed) if following it ends
      // early, by an interrupt or a defect.
      const submitted: { id?: string | undefined } = {}
      return followNode(job, build, false, submitted).pipe(
        Effect.onExit(() => (submitted.id ? Effect.andThen(Client.cancel([submitted.id]), unclaim(job.key, submitted.id)).pipe(Effect.ignore) : Effect.void))
      )
    }

    const followNode = (job: NodeJob, build: Parameters<RebuilderShape["build"]>[1], retried: boolean, submitted: { id?: string | undefined }): Effect.Effect<Built, StageFailed | StoreError | Client.SlurmCallFailed> =>
      Effect.gen(function*() {
        const { events, force } = build
        const claimed = yield* claimOrSubmit(job, force, submitted)
        if ("committed" in claimed) return { _tag: "Reused", record: claimed.committed } satisfies Built
        const { jobId, mine } = claimed
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
          return committedBy(job.key, force ? jobId : undefined)
        })
        submitted.id = undefined
        tail()
        if (mine) yield* unclaim(job.key, jobId)
        let result = readJson<ExecResult>(paths.result(job.key, jobId))
        // On a network filesystem a file another host just wrote can take a while to show here: a
        // job that says it committed is given a minute for its record to appear.
        for (let i = 0; i < RECORD_VISIBLE_S && result?.ok && !committedBy(job.key, force ? jobId : undefined); i++) {
          yield* Effect.sleep(1000)
          result = readJson<ExecResult>(paths.result(job.key, jobId))
        }
        const found = records.read(job.key)
        // Forced, only this job's own record counts (an older one under the key was to be replaced).
        if (found._tag === "Present" && (!force || found.record.host.job === jobId)) {
          return (mine && found.record.host.job === jobId ? { _tag: "Ran", record: found.record } : { _tag: "Reused", record: found.record }) satisfies Built
        }
        // Another driver's job that ended without a record and without a result (cancelled by that
        // driver's Ctrl-C, or by hand, before its stage finished): this node is still wanted here, so
        // it is claimed or submitted afresh, once. A stage that failed wrote its result: not retried.
        if (!mine && !retried && !result) return yield* followNode(job, build, true, submitted)
        const why = result?.ok
          ? `the job says it committed, but its record is not in ${options.cacheDir} here (is the cache shared with the compute nodes?)`
          : over.state === "COMPLETED" && !result
          ? `${endedText(over)} (is ${options.cacheDir} shared with the compute nodes?)`
          : endedText(over)
        const message = `slurm job ${jobId}: ${why}${result?.message ? `: ${result.message}` : ""}`
        const text = (() => {
          try {
            return fs.readFileSync(log, "utf8")
          } catch {
            return ""
          }
        })()
        yield* records.saveFailure(job.pipeline, job.node, job.key, `slurm job ${jobId}, log ${log}\n${text}FAILED: ${message}\n`).pipe(Effect.ignore)
        return yield* Effect.fail(new StageFailed({ node: job.node, cause: new Error(message), damagedInput: result?.damagedInput }))
      })

    const build: RebuilderShape["build"] = (job, opts) => {
      const stage = lookupStage(job.stage)
      if (!stage || !runsRemotely(stage, resourcesOf(stage))) return local.build(job, opts)
      const before = freshness(records, job.key, opts.force)
      if (before._tag === "UpToDate") return Effect.succeed({ _tag: "Cached", record: before.record } satisfies Built)
      return opts.slot(remote(job, opts)).pipe(
        Effect.mapError((e: StageFailed | StoreError | Client.SlurmCallFailed) =>
          e._tag === "StageFailed" ? e : new StageFailed({ node: job.node, during: "submitting to Slurm", cause: new Error(messageOf(e)) })
        )
      )
    }
    return Rebuilder.of({ build })
  })

/**
 * Removes the executor's job files, results and logs last changed before `cutoff` (ms since epoch);
 * returns how many. Claims stay: a driver removes its own, and one naming a job long over is
 * simply replaced. `gc` calls this with its grace period.
 */
export const sweepFiles = (cacheDir: string, cutoff: number) =>
  io(slurmLayout(cacheDir).dir, async () => {
    let n = 0
    for (const sub of ["jobs", "results", "logs"]) {
      const dir = resolve(slurmLayout(cacheDir).dir, sub)
      const names = await fs.promises.readdir(dir).catch(() => [] as Array<string>)
      for (const name of names) {
        const path = resolve(dir, name)
        const st = await fs.promises.stat(path).catch(() => undefined)
        if (st && st.mtimeMs < cutoff) {
          await fs.promises.rm(path, { force: true })
          n++
        }
      }
    }
    return n
  })

/** The Slurm rebuilder as a layer over the store and a runner (for the light nodes). */
export const layer = (options: SlurmOptions) => Layer.effect(Rebuilder, make(options))
