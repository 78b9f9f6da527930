/**
 * Talking to Slurm through its commands (`sbatch`, `squeue`, `scontrol`, `sacct`, `scancel`), as a
 * user on a login node would: no library, no daemon of ours. Every call is bounded in time, so a
 * controller that stops answering shows as a failed call, never a hung run. `preflight` is the check
 * `--executor slurm` makes before anything is submitted: the commands are on PATH and the
 * controller answers.
 */
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { accessSync, constants } from "node:fs"
import { delimiter, join } from "node:path"
import { UsageError } from "../Errors.ts"
import { type JobStatus, parseSacct, parseScontrol, parseSqueue } from "./Jobs.ts"

/** A Slurm command that failed or timed out, with what it printed. */
export class SlurmCallFailed extends Error {
  readonly _tag = "SlurmCallFailed"
  constructor(readonly command: string, readonly detail: string) {
    super(`${command}: ${detail}`)
  }
}

/** Runs a command with a time limit; its stdout, or a `SlurmCallFailed`. Interruption kills it. */
export const call = (command: string, args: ReadonlyArray<string>, options: { readonly input?: string; readonly timeoutMs?: number } = {}) =>
  Effect.callback<string, SlurmCallFailed>((resume) => {
    const child = execFile(command, args, { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 << 20, encoding: "utf8" }, (err, stdout, stderr) => {
      if (!err) return resume(Effect.succeed(stdout))
      const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string }
      const said = (stderr || stdout || "").trim().split("\n").filter(Boolean).pop()
      const detail = e.code === "ENOENT"
        ? "not found on PATH"
        : e.killed || e.signal === "SIGTERM"
        ? `no answer within ${Math.round((options.timeoutMs ?? 30_000) / 1000)} s`
        : said ?? e.message
      resume(Effect.fail(new SlurmCallFailed(command, detail)))
    })
    if (options.input !== undefined) child.stdin?.end(options.input)
    return Effect.sync(() => void child.kill("SIGKILL"))
  })

/** Whether `name` is an executable file on PATH. */
export const onPath = (name: string): boolean =>
  (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || ".", name), constants.X_OK)
      return true
    } catch {
      return false
    }
  })

/**
 * Fails with a one-line `UsageError` (exit 2) when Slurm cannot be used from here: its commands are
 * not on PATH, or the controller does not answer `scontrol ping` within `timeoutMs`.
 */
export const preflight = (timeoutMs = 15_000) =>
  Effect.gen(function*() {
    for (const cmd of ["sbatch", "squeue", "scontrol", "scancel"]) {
      if (!onPath(cmd)) return yield* Effect.fail(new UsageError({ message: `--executor slurm: ${cmd} is not on PATH (is Slurm installed on this machine?)` }))
    }
    // `scontrol ping` exits 1 when the controller is down, printing the verdict on its first line.
    const out = yield* Effect.callback<string>((resume) => {
      const child = execFile("scontrol", ["ping"], { timeout: timeoutMs, encoding: "utf8" }, (err, stdout, stderr) =>
        resume(Effect.succeed(`${stdout}\n${stderr}${(err as { killed?: boolean } | null)?.killed ? `\nno answer within ${timeoutMs / 1000} s` : ""}`)))
      return Effect.sync(() => void child.kill("SIGKILL"))
    })
    if (!/\bis UP\b/.test(out)) {
      const lines = out.split("\n").map((l) => l.trim()).filter((l) => l && !/^\*+$|RESTORE SLURMCTLD/.test(l))
      const said = lines.join("; ")
      return yield* Effect.fail(new UsageError({ message: `--executor slurm: the Slurm controller does not answer (scontrol ping: ${said.replace(/\s+/g, " ")})` }))
    }
  })

/**
 * Fails with a one-line `UsageError` when sbatch refuses the flags every job will get (an unknown
 * partition, a malformed `--slurm-arg`): `sbatch --test-only` checks them and submits nothing.
 */
export const checkFlags = (flags: ReadonlyArray<string>, timeoutMs = 30_000) =>
  Effect.callback<void, UsageError>((resume) => {
    const child = execFile("sbatch", ["--test-only", ...flags, "--wrap", "true"], { timeout: timeoutMs, encoding: "utf8" }, (err, _stdout, stderr) => {
      if (!err) return resume(Effect.void)
      const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean)
      const said = lines.find((l) => /error|unrecognized|invalid/i.test(l)) ?? lines[0] ?? (err as Error).message
      resume(Effect.fail(new UsageError({ message: `--executor slurm: sbatch refuses the job flags ${flags.join(" ")} (${said.replace(/^sbatch: (error: )?/, "")})` })))
    })
    return Effect.sync(() => void child.kill("SIGKILL"))
  })

/** Submits a batch script (given on stdin) with `args`; the job id. */
export const submit = (args: ReadonlyArray<string>, script: string) =>
  Effect.map(call("sbatch", args, { input: script, timeoutMs: 60_000 }), (out) => out.trim().split(";")[0]!)

/** Cancels jobs; best effort (a job already over is no error). */
export const cancel = (ids: ReadonlyArray<string>) =>
  ids.length === 0 ? Effect.void : call("scancel", [...ids], { timeoutMs: 15_000 }).pipe(Effect.ignore)

/** Whether sacct can read job completions here (`JobCompType=jobcomp/filetxt` or accounting). */
let sacctWorks: boolean | undefined

/**
 * The status of each job the controller still knows, from one `squeue` call; jobs it no longer
 * lists are asked about one by one (`scontrol show job`, then `sacct -c`). A job nobody knows is
 * `UNKNOWN`: over.
 */
export const statuses = (ids: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const out = new Map<string, JobStatus>()
    if (ids.length === 0) return out
    const listed = yield* call("squeue", ["-h", "-t", "all", "-j", ids.join(","), "-o", "%i|%T|%r"], { timeoutMs: 20_000 }).pipe(
      Effect.map(parseSqueue),
      // squeue fails outright when none of the ids is known any more.
      Effect.catch((e) => (/Invalid job id/i.test(e.detail) ? Effect.succeed(new Map<string, JobStatus>()) : Effect.fail(e)))
    )
    for (const id of ids) {
      const s = listed.get(id)
      if (s) {
        out.set(id, s)
        continue
      }
      out.set(id, yield* finalStatus(id))
    }
    return out
  })

/** The status of a job that squeue no longer lists. */
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

/** The exit code of a job that is over ("code:signal"), when Slurm still has it. */
export const exitCodeOf = (id: string) =>
  Effect.map(finalStatus(id), (s) => s.exitCode)
