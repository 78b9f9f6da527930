/**
 * `SlurmClient`: the executor's one way to talk to Slurm, as a service. The real layer runs Slurm's
 * commands (`sbatch`, `squeue`, `scontrol`, `sacct`, `scancel`) as a user on a login node would: no
 * library, no daemon of ours. One helper (`run`) spawns them, with node's `child_process` under
 * `Effect.callback` rather than Effect's process API, whose stream machinery added about 110 kB to
 * the CLI bundle that every run (a local no-op included) loads: measured, it cost a no-op run 10%. Every call is bounded in time, so a
 * controller that stops answering shows as a failed call (`SlurmCallFailed`), never a hung run; an
 * interrupted call kills its process. `sbatch` runs detached, in a process group of its own, so a
 * Ctrl-C in the terminal reaches the driver only (which then cancels what it submitted), never an
 * sbatch whose job the controller has just accepted. The fake layer (`FakeSlurm.ts`) simulates a
 * cluster in process for tests; `Preflight.ts` holds the checks `--executor slurm` makes first.
 */
import { Context, Effect, Layer, Schema } from "effect"
import { spawn } from "node:child_process"
import { userInfo } from "node:os"
import { resolve } from "node:path"
import { type JobStatus, parseSacct, parseScontrol, parseSqueue } from "./Jobs.ts"

/** A Slurm command that failed or timed out, with the last line it printed. */
export class SlurmCallFailed extends Schema.TaggedError<SlurmCallFailed>()("SlurmCallFailed", {
  command: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return `${this.command}: ${this.detail}`
  }
}

/** One job to submit: its sbatch flags (with `--comment=TAG`), and the job file its batch script runs. */
export interface SubmitRequest {
  readonly flags: ReadonlyArray<string>
  /** the shared cache directory the job's exec-node works on */
  readonly cacheDir: string
  readonly jobFile: string
  /** the submission's tag (sbatch `--comment`): what a claim checks a job id against */
  readonly tag: string
}

export interface SlurmClientShape {
  /** Submits one job; its id. */
  readonly submit: (request: SubmitRequest) => Effect.Effect<string, SlurmCallFailed>
  /**
   * The status of each job, with its tag (`comment`) while Slurm lists it and its exit code once it
   * is over; a job nobody knows any more is `UNKNOWN`: over.
   */
  readonly status: (ids: ReadonlyArray<string>) => Effect.Effect<Map<string, JobStatus>, SlurmCallFailed>
  /** The ids of this user's jobs still going whose tag is `tag` (a submission whose sbatch was killed). */
  readonly find: (tag: string) => Effect.Effect<ReadonlyArray<string>, SlurmCallFailed>
  /** Cancels jobs; best effort (a job already over is no error). */
  readonly cancel: (ids: ReadonlyArray<string>) => Effect.Effect<void>
  /** `sbatch --test-only` with these flags: submits nothing; fails with sbatch's words if it refuses. */
  readonly testOnly: (flags: ReadonlyArray<string>) => Effect.Effect<void, SlurmCallFailed>
  /** Whether the controller answers (`scontrol ping`); fails saying what it printed. */
  readonly ping: Effect.Effect<void, SlurmCallFailed>
}

export class SlurmClient extends Context.Service<SlurmClient, SlurmClientShape>()("w2s/slurm/SlurmClient") {
  /** The real client, over Slurm's commands on PATH. */
  static readonly layer: Layer.Layer<SlurmClient> = Layer.effect(SlurmClient, Effect.suspend(() => makeReal))
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** The batch script of one job: this node and launcher, on the job file, against the cache. */
export const batchScript = (cacheDir: string, jobFile: string) =>
  `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(resolve(process.argv[1] ?? "bin/pipeline.cjs"))} exec-node --cache-dir ${quote(cacheDir)} ${quote(jobFile)}\n`

interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const lastLine = (r: Ran) => (r.stderr || r.stdout).trim().split("\n").filter(Boolean).pop() ?? `exit code ${r.code}`

/**
 * Runs a command to its end within `timeoutMs`: its exit code and output. It runs detached, in a
 * process group of its own (the terminal's Ctrl-C does not reach it); an interrupt, or no answer in
 * time, kills the group (TERM, then KILL after 2 s). Not found, or no answer in time, is a
 * `SlurmCallFailed`.
 */
export const run = (command: string, args: ReadonlyArray<string>, options: { readonly input?: string; readonly timeoutMs: number }) =>
  Effect.callback<Ran, SlurmCallFailed>((resume) => {
    const child = spawn(command, [...args], { detached: true, stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] })
    const out: Array<Buffer> = [], err: Array<Buffer> = []
    child.stdout?.on("data", (b: Buffer) => out.push(b))
    child.stderr?.on("data", (b: Buffer) => err.push(b))
    let done = false
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal)
      } catch {
        // the group is gone already
      }
    }
    const stop = () => {
      killGroup("SIGTERM")
      setTimeout(() => killGroup("SIGKILL"), 2000).unref()
    }
    const timer = setTimeout(() => {
      if (done) return
      done = true
      stop()
      resume(Effect.fail(new SlurmCallFailed({ command, detail: `no answer within ${Math.round(options.timeoutMs / 1000)} s` })))
    }, options.timeoutMs)
    child.on("error", (e: NodeJS.ErrnoException) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resume(Effect.fail(new SlurmCallFailed({ command, detail: e.code === "ENOENT" ? "not found on PATH" : e.message })))
    })
    child.on("close", (code, signal) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resume(Effect.succeed({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }))
    })
    // a command that exits before reading its input must not crash the driver with EPIPE
    child.stdin?.on("error", () => {})
    if (options.input !== undefined) child.stdin?.end(options.input)
    return Effect.sync(() => {
      if (done) return
      done = true
      clearTimeout(timer)
      stop()
    })
  })

const makeReal = Effect.gen(function*() {
  /** `run`, failing with the command's last line when it exits non-zero. */
  const call = (command: string, args: ReadonlyArray<string>, options: { readonly input?: string; readonly timeoutMs: number }) =>
    Effect.flatMap(run(command, args, options), (r) => (r.code === 0 ? Effect.succeed(r.stdout) : Effect.fail(new SlurmCallFailed({ command, detail: lastLine(r) }))))

  // Whether sacct can read job completions here (`JobCompType=jobcomp/filetxt` or accounting).
  let sacctWorks: boolean | undefined

  /** The status of a job that squeue no longer lists, or lists as over without its exit code. */
  const finalStatus = (id: string) =>
    Effect.gen(function*() {
      const shown = yield* call("scontrol", ["-o", "show", "job", id], { timeoutMs: 15_000 }).pipe(
        Effect.map(parseScontrol),
        Effect.catch(() => Effect.succeed(undefined))
      )
      if (shown) return shown
      if (sacctWorks !== false) {
        const acct = yield* call("sacct", ["-c", "-n", "-P", "-j", id, "-o", "jobid,state,exitcode"], { timeoutMs: 15_000 }).pipe(
          Effect.map((t) => parseSacct(t, id)),
          Effect.catch(() => Effect.sync(() => void (sacctWorks = false)))
        )
        if (acct) return acct
      }
      return { state: "UNKNOWN", reason: "no longer known to Slurm" } satisfies JobStatus
    })

  const isOver = (s: JobStatus) => !GOING_FOR_STATUS.has(s.state)

  const status: SlurmClientShape["status"] = (ids) =>
    Effect.gen(function*() {
      const out = new Map<string, JobStatus>()
      if (ids.length === 0) return out
      const listed = yield* call("squeue", ["-h", "-t", "all", "-j", ids.join(","), "-o", "%i|%T|%r|%k"], { timeoutMs: 20_000 }).pipe(
        Effect.map(parseSqueue),
        // squeue fails outright when none of the ids is known any more.
        Effect.catch((e) => (/Invalid job id/i.test(e.detail) ? Effect.succeed(new Map<string, JobStatus>()) : Effect.fail(e)))
      )
      for (const id of ids) {
        const s = listed.get(id)
        if (s && !isOver(s)) out.set(id, s)
        else if (s) out.set(id, { ...s, exitCode: (yield* finalStatus(id)).exitCode })
        else out.set(id, yield* finalStatus(id))
      }
      return out
    })

  const find: SlurmClientShape["find"] = (tag) =>
    Effect.map(
      call("squeue", ["-h", "-u", userInfo().username, "-o", "%i|%T|%r|%k"], { timeoutMs: 20_000 }),
      (t) => [...parseSqueue(t)].filter(([, s]) => s.comment === tag && !isOver(s)).map(([id]) => id)
    )

  const submit: SlurmClientShape["submit"] = (request) =>
    Effect.map(
      call("sbatch", request.flags, { input: batchScript(request.cacheDir, request.jobFile), timeoutMs: 60_000 }),
      (out) => out.trim().split(";")[0]!
    )

  const cancel: SlurmClientShape["cancel"] = (ids) => (ids.length === 0 ? Effect.void : Effect.ignore(call("scancel", [...ids], { timeoutMs: 15_000 })))

  const testOnly: SlurmClientShape["testOnly"] = (flags) =>
    Effect.flatMap(run("sbatch", ["--test-only", ...flags, "--wrap", "true"], { timeoutMs: 30_000 }), (r) => {
      if (r.code === 0) return Effect.void
      const lines = r.stderr.split("\n").map((l) => l.trim()).filter(Boolean)
      const said = lines.find((l) => /error|unrecognized|invalid/i.test(l)) ?? lines[0] ?? `exit code ${r.code}`
      return Effect.fail(new SlurmCallFailed({ command: "sbatch --test-only", detail: said.replace(/^sbatch: (error: )?/, "") }))
    })

  // `scontrol ping` exits 1 when the controller is down, printing the verdict on its first line.
  const ping: SlurmClientShape["ping"] = Effect.flatMap(run("scontrol", ["ping"], { timeoutMs: 15_000 }), (r) => {
    const out = `${r.stdout}\n${r.stderr}`
    if (/\bis UP\b/.test(out)) return Effect.void
    const lines = out.split("\n").map((l) => l.trim()).filter((l) => l && !/^\*+$|RESTORE SLURMCTLD/.test(l))
    return Effect.fail(new SlurmCallFailed({ command: "scontrol ping", detail: lines.join("; ").replace(/\s+/g, " ") }))
  })

  return SlurmClient.of({ submit, status, find, cancel, testOnly, ping })
})

const GOING_FOR_STATUS = new Set(["PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING", "SIGNALING", "STAGE_OUT", "RESV_DEL_HOLD", "STOPPED"])

