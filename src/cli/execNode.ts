/**
 * `pipeline exec-node --cache-dir DIR JOB-FILE`: the hidden command a Slurm job runs (see
 * `slurm/Executor.ts`). It computes one node from its job file alone (stage name, params, input
 * object hashes, key) against the cache: it recomputes the key from this checkout's code first and
 * refuses on a mismatch (a host with other code must not commit under a key it did not compute),
 * then builds with the local rebuilder (key lock -> re-check -> run -> commit). It prints the
 * stage's lines and progress to its log (the job's output) and leaves a result file saying how it
 * ended. Exit 0: the record is committed; 1: the stage failed; 2: a bad job file or key mismatch.
 *
 * It runs under the runtime's main (`main.ts`), so SIGTERM (scancel, a time limit, a node being
 * drained) interrupts it: its finalizers run (the key's lock released, worker threads ended) and the
 * result file says it was terminated (exit 143). `execJob` is the same program over whatever store
 * and runner the context gives: the fake cluster (`slurm/FakeSlurm.ts`) runs jobs with it in process.
 */
import { Cause, Effect, Exit, Layer, Result } from "effect"
import * as fs from "node:fs"
import { dirname, resolve } from "node:path"
import { messageOf, StageFailed } from "../Errors.ts"
import { type Json, nodeKey } from "../Key.ts"
import * as Rebuilder from "../Rebuilder.ts"
import type { Runner } from "../Runner.ts"
import { lookup } from "../Stage.ts"
import type * as Store from "../Store.ts"
import { Runs } from "../store/Runs.ts"
import { writeAtomic } from "../store/Disk.ts"
import { decodeJobFile, ENGINE_PREFIX, type ExecResult, PROGRESS_PREFIX, slurmLayout } from "../slurm/Jobs.ts"

/** Parses `[--cache-dir DIR] JOB-FILE`. */
export const parseArgs = (argv: ReadonlyArray<string>): { cacheDir: string; jobFile: string } | string => {
  let cacheDir = process.env.PIPELINE_CACHE_DIR ?? "cache"
  let jobFile: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === "--cache-dir") cacheDir = argv[++i] ?? ""
    else if (a.startsWith("--cache-dir=")) cacheDir = a.slice("--cache-dir=".length)
    else if (!a.startsWith("--")) jobFile = a
  }
  return jobFile && cacheDir ? { cacheDir: resolve(cacheDir), jobFile } : "usage: pipeline exec-node --cache-dir DIR JOB-FILE"
}

export interface ExecJob {
  readonly cacheDir: string
  readonly jobFile: string
  /** the Slurm job id the result file is named after */
  readonly jobId: string
  /** whether the record names the job (it does in a Slurm job) */
  readonly stamp: boolean
  /** where the job's output goes (its log) */
  readonly write: (text: string) => void
}

/** The exit code of a job terminated by a signal (SIGTERM), as a shell reports it. */
export const TERMINATED = 143

/**
 * Computes the node of a job file against the store in context; resolves to the exit code, having
 * written the result file. Interrupted, it writes a result saying so before the interrupt goes on.
 */
export const execJob = (args: ExecJob): Effect.Effect<number, never, Store.Store | Runner> =>
  Effect.gen(function*() {
    const say = (line: string) => args.write(`${ENGINE_PREFIX}${line}\n`)
    const finish = (code: number, result: ExecResult, key?: string) =>
      Effect.gen(function*() {
        if (key) {
          const path = slurmLayout(args.cacheDir).result(key, args.jobId)
          yield* Effect.exit(writeAtomic(dirname(path), path, JSON.stringify(result) + "\n"))
        }
        if (!result.ok) say(`failed: ${result.message}`)
        return code
      })
    let text: string
    try {
      text = fs.readFileSync(args.jobFile, "utf8")
    } catch (e) {
      return yield* finish(2, { ok: false, message: `cannot read job file ${args.jobFile}: ${messageOf(e)}` })
    }
    const decoded = decodeJobFile(text)
    if (Result.isFailure(decoded)) return yield* finish(2, { ok: false, message: `job file ${args.jobFile}: ${decoded.failure}` })
    const { job, force } = decoded.success
    const stage = lookup(job.stage)
    if (!stage) return yield* finish(2, { ok: false, message: `no stage named ${job.stage} in this checkout` }, job.key)
    // The design's safety rule: a host whose code keys the node otherwise must not commit under this key.
    const key = nodeKey({ stage: stage.name, version: stage.version, fingerprint: stage.fingerprint(), params: job.params as never, inputs: job.inputs })
    if (key !== job.key) {
      return yield* finish(2, {
        ok: false,
        message: `this host computes key ${key.slice(0, 12)} for ${job.node}, the driver sent ${job.key.slice(0, 12)}: its code or packages differ from the driver's`
      }, job.key)
    }
    say(`computing ${job.pipeline}/${job.node} (key ${job.key.slice(0, 12)}) as job ${args.jobId}`)
    let lastProgress = 0
    const events: Rebuilder.BuildEvents = {
      waiting: () => say("waiting: another run holds the key's lock"),
      started: () => say("started"),
      log: (line) => args.write(line + "\n"),
      progress: (p) => {
        const now = Date.now()
        if (now - lastProgress < 1000 && p.done !== p.total) return
        lastProgress = now
        args.write(PROGRESS_PREFIX + JSON.stringify(p) + "\n")
      }
    }
    const program = Effect.scoped(Effect.gen(function*() {
      // While this job runs, gc keeps what it writes (its driver may be gone).
      yield* (yield* Runs).register.pipe(Effect.ignore)
      const rebuilder = yield* Rebuilder.make({ job: args.stamp ? args.jobId : undefined })
      return yield* rebuilder.build({ ...job, stage, params: job.params as Json }, { force, slot: (e) => e, events })
    }))
    const exit = yield* Effect.exit(program.pipe(
      Effect.onInterrupt(() =>
        Effect.asVoid(finish(TERMINATED, { ok: false, terminated: true, message: "terminated by a signal (scancel, a time limit or a node failure)" }, job.key))
      )
    ))
    if (Exit.isSuccess(exit)) {
      say(exit.value._tag === "Ran" ? "committed" : "found committed by another run")
      return yield* finish(0, { ok: true, outcome: exit.value._tag }, job.key)
    }
    if (Cause.hasInterruptsOnly(exit.cause)) return yield* Effect.interrupt
    const err = Cause.squash(exit.cause)
    return yield* finish(1, { ok: false, message: messageOf(err), ...(err instanceof StageFailed && err.damagedInput ? { damagedInput: err.damagedInput } : {}) }, job.key)
  })

/** `exec-node` with `argv` (the words after it), over the disk store and a runner layer: the exit code. */
export const execNode = (
  argv: ReadonlyArray<string>,
  layers: (cacheDir: string) => Layer.Layer<Store.Store | Runner>
): Effect.Effect<number> => {
  const args = parseArgs(argv)
  if (typeof args === "string") return Effect.sync(() => (process.stderr.write(`error: ${args}\n`), 2))
  const jobId = process.env.SLURM_JOB_ID ?? `local-${process.pid}`
  return execJob({ ...args, jobId, stamp: process.env.SLURM_JOB_ID !== undefined, write: (t) => void process.stdout.write(t) }).pipe(Effect.provide(layers(args.cacheDir)))
}
