/**
 * `pipeline exec-node --cache-dir DIR JOB-FILE`: the hidden command a Slurm job runs (see
 * `slurm/Executor.ts`). It computes one node from its job file alone (stage name, params, input
 * object hashes, key) against the cache: it recomputes the key from this checkout's code first and
 * refuses on a mismatch (a host with other code must not commit under a key it did not compute),
 * then builds with the local rebuilder (key lock -> re-check -> run -> commit). It prints the
 * stage's lines and progress to its log (the job's output) and leaves a result file saying how it
 * ended. Exit 0: the record is committed; 1: the stage failed; 2: a bad job file or key mismatch.
 */
import { Cause, Effect, Exit, Layer, Result } from "effect"
import * as fs from "node:fs"
import { dirname, resolve } from "node:path"
import { messageOf, StageFailed } from "../Errors.ts"
import { type Json, nodeKey } from "../Key.ts"
import * as Rebuilder from "../Rebuilder.ts"
import * as Runner from "../Runner.ts"
import { lookup } from "../Stage.ts"
import * as Store from "../Store.ts"
import { Runs } from "../store/Runs.ts"
import { writeAtomic } from "../store/Disk.ts"
import { decodeJobFile, ENGINE_PREFIX, type ExecResult, PROGRESS_PREFIX, slurmLayout } from "../slurm/Jobs.ts"
import * as Workers from "../Workers.ts"

const say = (line: string) => process.stdout.write(`${ENGINE_PREFIX}${line}\n`)

/** Parses `[--cache-dir DIR] JOB-FILE`. */
const parseArgs = (argv: ReadonlyArray<string>): { cacheDir: string; jobFile: string } | string => {
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

/** Runs exec-node with `argv` (the words after `exec-node`); resolves to the exit code. */
export const execNode = async (argv: ReadonlyArray<string>, workerEntry: URL | undefined): Promise<number> => {
  const args = parseArgs(argv)
  if (typeof args === "string") {
    process.stderr.write(`error: ${args}\n`)
    return 2
  }
  const jobId = process.env.SLURM_JOB_ID ?? `local-${process.pid}`
  const finish = async (code: number, result: ExecResult, key?: string) => {
    if (key) {
      const path = slurmLayout(args.cacheDir).result(key, jobId)
      await Effect.runPromiseExit(writeAtomic(dirname(path), path, JSON.stringify(result) + "\n"))
    }
    if (!result.ok) say(`failed: ${result.message}`)
    return code
  }
  let text: string
  try {
    text = fs.readFileSync(args.jobFile, "utf8")
  } catch (e) {
    return finish(2, { ok: false, message: `cannot read job file ${args.jobFile}: ${messageOf(e)}` })
  }
  const decoded = decodeJobFile(text)
  if (Result.isFailure(decoded)) return finish(2, { ok: false, message: `job file ${args.jobFile}: ${decoded.failure}` })
  const { job, force } = decoded.success
  const stage = lookup(job.stage)
  if (!stage) return finish(2, { ok: false, message: `no stage named ${job.stage} in this checkout` }, job.key)
  const key = nodeKey({ stage: stage.name, version: stage.version, fingerprint: stage.fingerprint(), params: job.params as never, inputs: job.inputs })
  if (key !== job.key) {
    return finish(2, {
      ok: false,
      message: `this host computes key ${key.slice(0, 12)} for ${job.node}, the driver sent ${job.key.slice(0, 12)}: its code or packages differ from the driver's`
    }, job.key)
  }
  say(`computing ${job.pipeline}/${job.node} (key ${job.key.slice(0, 12)}) as job ${jobId}`)
  let lastProgress = 0
  const events: Rebuilder.BuildEvents = {
    waiting: () => say("waiting: another run holds the key's lock"),
    started: () => say("started"),
    log: (line) => process.stdout.write(line + "\n"),
    progress: (p) => {
      const now = Date.now()
      if (now - lastProgress < 1000 && p.done !== p.total) return
      lastProgress = now
      process.stdout.write(PROGRESS_PREFIX + JSON.stringify(p) + "\n")
    }
  }
  // As a local run does: PIPELINE_WORKER_MEMORY_MB caps each worker thread's heap.
  const heap = Number(process.env.PIPELINE_WORKER_MEMORY_MB ?? 0)
  const runner = workerEntry ? Workers.layer(workerEntry, heap > 0 ? { maxOldGenerationSizeMb: heap } : undefined) : Runner.layerInline
  const program = Effect.scoped(Effect.gen(function*() {
    // While this job runs, gc keeps what it writes (its driver may be gone).
    yield* (yield* Runs).register.pipe(Effect.ignore)
    return yield* Rebuilder.build({ ...job, params: job.params as Json }, { force, slot: (e) => e, events })
  })).pipe(Effect.provide(Rebuilder.Rebuilder.layer.pipe(Layer.provideMerge(runner), Layer.provideMerge(Store.layerDisk(args.cacheDir)))))
  const exit = await Effect.runPromiseExit(program)
  if (Exit.isSuccess(exit)) {
    say(exit.value._tag === "Ran" ? "committed" : "found committed by another run")
    return finish(0, { ok: true, outcome: exit.value._tag }, job.key)
  }
  const err = Cause.squash(exit.cause)
  const message = messageOf(err)
  return finish(1, { ok: false, message, ...(err instanceof StageFailed && err.damagedInput ? { damagedInput: err.damagedInput } : {}) }, job.key)
}
