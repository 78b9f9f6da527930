/**
 * A Slurm cluster simulated in process: a `SlurmClient` layer for tests (and CI without a cluster).
 * A job runs by calling the `exec` it is given on the job's file (an in-process `exec-node` against
 * the same store), in a fiber of its own; `scancel` interrupts that fiber, as SIGTERM does a real
 * job. Faults are scripted per submission (`faults`), or made on demand:
 *
 * - `Requeue`: after `afterMs` the run is killed and the job goes back to PENDING, then runs again;
 * - `NodeFail`: after `afterMs` the run is killed with its node; requeued (PENDING, then run again)
 *   or, with `requeue: false`, over as NODE_FAIL;
 * - `TimeLimit`: after `afterMs` the run is killed: TIMEOUT, no record;
 * - `SbatchKilled`: the controller accepts the job (it runs) but sbatch fails for the caller;
 * - `SlowSbatch`: the controller accepts the job (it runs) but sbatch answers only after `ms`;
 * - `foreign(id)`: job id reuse: an unrelated job, with another tag, now holds `id`.
 *
 * Job ids count up from 100; `jobs` shows every job's state, tag and how often it started.
 */
import { Effect, Fiber, Layer } from "effect"
import { appendFileSync } from "node:fs"
import { SlurmCallFailed, SlurmClient, type SlurmClientShape, type SubmitRequest } from "./Client.ts"
import { isGoing, type JobStatus } from "./Jobs.ts"

export type Fault =
  | { readonly _tag: "Requeue"; readonly afterMs: number }
  | { readonly _tag: "NodeFail"; readonly afterMs: number; readonly requeue?: boolean }
  | { readonly _tag: "TimeLimit"; readonly afterMs: number }
  | { readonly _tag: "SbatchKilled" }
  | { readonly _tag: "SlowSbatch"; readonly ms: number }

export interface FakeJob {
  readonly id: string
  readonly tag: string
  state: string
  reason: string
  exitCode?: string
  /** how many times its run started (a requeued job starts again) */
  starts: number
  readonly request?: SubmitRequest
  fiber?: Fiber.Fiber<number> | undefined
}

export interface FakeSlurmOptions {
  /**
   * Runs one job (its file, under its id), its output going to `write` (appended to the job's
   * `--output` file); resolves to the exit code. Interrupted by scancel.
   */
  readonly exec: (request: SubmitRequest, jobId: string, write: (text: string) => void) => Effect.Effect<number>
  /** The fault of the `n`th submission (0-based), if any. */
  readonly faults?: ((n: number, request: SubmitRequest) => Fault | undefined) | undefined
  /** What `sbatch --test-only` says to flags it refuses (undefined: accepted). */
  readonly refuse?: ((flags: ReadonlyArray<string>) => string | undefined) | undefined
  /** A site that drops job comments: status reports no tag for any job. */
  readonly dropComments?: boolean | undefined
}

/** A fake cluster: its client, its jobs, and the faults made on demand. */
export interface FakeCluster {
  readonly client: SlurmClientShape
  readonly layer: Layer.Layer<SlurmClient>
  readonly jobs: ReadonlyMap<string, FakeJob>
  /** Job id reuse: an unrelated job (another user's, another tag) now holds `id`, running. */
  readonly foreign: (id: string) => void
  /** Submissions so far (sbatch calls that reached the controller). */
  readonly submitted: () => number
  /** Interrupts every run still going. */
  readonly shutdown: Effect.Effect<void>
}

export const make = (options: FakeSlurmOptions): FakeCluster => {
  const jobs = new Map<string, FakeJob>()
  let next = 100
  let submissions = 0

  const kill = (job: FakeJob) =>
    Effect.suspend(() => {
      const fiber = job.fiber
      job.fiber = undefined
      return fiber ? Fiber.interrupt(fiber) : Effect.void
    })

  /** Starts (or starts again) a job's run; its end sets the job's final state unless a fault did. */
  const start = (job: FakeJob, fault: Fault | undefined) => {
    job.state = "RUNNING"
    job.reason = "None"
    job.starts++
    const run = Effect.gen(function*() {
      const output = job.request!.flags.find((f) => f.startsWith("--output="))?.slice("--output=".length).replace(/%j/g, job.id)
      const write = (text: string) => {
        if (output) appendFileSync(output, text)
      }
      const code = yield* options.exec(job.request!, job.id, write)
      job.fiber = undefined
      job.state = code === 0 ? "COMPLETED" : "FAILED"
      job.exitCode = `${code}:0`
      job.reason = code === 0 ? "None" : "NonZeroExitCode"
      return code
    })
    job.fiber = Effect.runFork(run)
    // A fault strikes the first run only: a requeued job then runs to its end.
    if (fault && fault._tag !== "SbatchKilled" && fault._tag !== "SlowSbatch" && job.starts === 1) {
      Effect.runFork(Effect.gen(function*() {
        yield* Effect.sleep(fault.afterMs)
        if (job.state !== "RUNNING") return
        yield* kill(job)
        if (fault._tag === "TimeLimit") return void Object.assign(job, { state: "TIMEOUT", reason: "TimeLimit", exitCode: "0:15" })
        if (fault._tag === "NodeFail" && fault.requeue === false) return void Object.assign(job, { state: "NODE_FAIL", reason: "NodeDown", exitCode: "0:9" })
        Object.assign(job, { state: "PENDING", reason: fault._tag === "NodeFail" ? "NodeDown" : "Requeued" })
        yield* Effect.sleep(20)
        if ((job.state as string) === "PENDING") start(job, undefined)
      }))
    }
  }

  const submit: SlurmClientShape["submit"] = (request) =>
    Effect.suspend(() => {
      const n = submissions++
      const fault = options.faults?.(n, request)
      while (jobs.has(String(next))) next++
      const job: FakeJob = { id: String(next++), tag: request.tag, state: "PENDING", reason: "None", starts: 0, request }
      jobs.set(job.id, job)
      start(job, fault)
      return fault?._tag === "SbatchKilled"
        ? Effect.fail(new SlurmCallFailed({ command: "sbatch", detail: "killed by signal SIGINT" }))
        : fault?._tag === "SlowSbatch"
        ? Effect.as(Effect.sleep(fault.ms), job.id)
        : Effect.succeed(job.id)
    })

  const status: SlurmClientShape["status"] = (ids) =>
    Effect.sync(() =>
      new Map(ids.map((id): [string, JobStatus] => {
        const j = jobs.get(id)
        return [id, j ? { state: j.state, reason: j.reason, ...(options.dropComments ? {} : { comment: j.tag }), exitCode: j.exitCode } : { state: "UNKNOWN", reason: "no longer known to Slurm" }]
      }))
    )

  const find: SlurmClientShape["find"] = (tag) => Effect.sync(() => [...jobs.values()].filter((j) => j.tag === tag && isGoing(j.state)).map((j) => j.id))

  const cancel: SlurmClientShape["cancel"] = (ids) =>
    Effect.forEach(ids, (id) => {
      const j = jobs.get(id)
      if (!j || !isGoing(j.state)) return Effect.void
      return Effect.andThen(kill(j), Effect.sync(() => Object.assign(j, { state: "CANCELLED", reason: "None", exitCode: "0:15" })))
    }, { discard: true })

  const testOnly: SlurmClientShape["testOnly"] = (flags) =>
    Effect.suspend(() => {
      const said = options.refuse?.(flags)
      return said === undefined ? Effect.void : Effect.fail(new SlurmCallFailed({ command: "sbatch --test-only", detail: said }))
    })

  const client: SlurmClientShape = { submit, status, find, cancel, testOnly, ping: Effect.void }
  return {
    client,
    layer: Layer.succeed(SlurmClient, SlurmClient.of(client)),
    jobs,
    foreign: (id) => void jobs.set(id, { id, tag: "someone-else", state: "RUNNING", reason: "None", starts: 1 }),
    submitted: () => submissions,
    shutdown: Effect.forEach([...jobs.values()], kill, { discard: true })
  }
}
