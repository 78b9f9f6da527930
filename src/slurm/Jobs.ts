/**
 * The Slurm executor's pure half: what a batch job is told (the job file: a `WireJob` and whether it
 * is forced), where its files live in the shared cache, the `sbatch` arguments a stage's resources
 * map to, and what Slurm's job states mean (still going, or over, and in words why). No process is
 * started here; `Client.ts` talks to Slurm and `Executor.ts` puts the two together.
 */
import { Result, Schema } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import type { WireJob } from "../Runner.ts"
import type { Resources } from "../Stage.ts"

/** What `pipeline exec-node` reads: one node to compute, as the driver keyed it. */
export const JobFile = Schema.Struct({
  format: Schema.Literal(1),
  job: Schema.Struct({
    pipeline: Schema.String,
    node: Schema.String,
    stage: Schema.String,
    params: Schema.Unknown,
    inputs: Schema.Record(Schema.String, Schema.String),
    key: Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/))
  }),
  force: Schema.Boolean
})
export type JobFile = typeof JobFile.Type

export const encodeJobFile = (job: WireJob, force: boolean): string =>
  JSON.stringify({ format: 1, job, force } satisfies JobFile, null, 1) + "\n"

export const decodeJobFile = (text: string): Result.Result<JobFile, string> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return Result.fail(`not JSON: ${(e as Error).message}`)
  }
  const r = Schema.decodeUnknownResult(JobFile)(json)
  return Result.isFailure(r) ? Result.fail(r.failure.message.replace(/\n\s*/g, " ")) : Result.succeed(r.success)
}

/**
 * Where the executor keeps its files in the cache directory (which every host of the cluster must
 * see at the same path): per submission, the job file; per key, the claim (which job computes it now) and the
 * jobs' logs. Nothing here is needed to trust a record: `gc` may remove it all between runs.
 */
export const slurmLayout = (cacheDir: string) => {
  const dir = join(cacheDir, "slurm")
  return {
    dir,
    /** One job file per submission (`nonce` tells them apart): a pending job's file is never rewritten. */
    jobFile: (key: string, nonce: string) => join(dir, "jobs", `${key.slice(0, 16)}-${nonce}.json`),
    jobsDir: join(dir, "jobs"),
    claim: (key: string) => join(dir, "claims", key),
    claimsDir: join(dir, "claims"),
    /** Slurm's `--output` pattern (%j: the job id) and the file it becomes. */
    logPattern: (key: string) => join(dir, "logs", `${key.slice(0, 16)}-%j.log`),
    log: (key: string, jobId: string) => join(dir, "logs", `${key.slice(0, 16)}-${jobId}.log`),
    logsDir: join(dir, "logs"),
    /** What exec-node leaves for the driver besides the record (`ExecResult`). */
    result: (key: string, jobId: string) => join(dir, "results", `${key.slice(0, 16)}-${jobId}.json`)
  }
}

/**
 * Which job computes a key now (the claim file): its id, the submission's tag (sbatch `--comment`,
 * what the id is checked against before a driver follows it: ids are reused), its job file, who
 * submitted it and when, and whether it was forced (a second forcing driver follows it).
 */
export const Claim = Schema.Struct({
  jobId: Schema.String,
  tag: Schema.String,
  jobFile: Schema.String,
  host: Schema.String,
  pid: Schema.Number,
  submittedAt: Schema.String,
  forced: Schema.Boolean
})
export type Claim = typeof Claim.Type

/** A reader of JSON files of one schema: the decoded file, or undefined if it is missing or not that. */
const jsonFile = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S) => {
  const decode = Schema.decodeUnknownResult(Schema.fromJsonString(schema))
  return (path: string): S["Type"] | undefined => {
    try {
      const r = decode(readFileSync(path, "utf8"))
      return Result.isSuccess(r) ? r.success : undefined
    } catch {
      return undefined
    }
  }
}

/** The claim at `path`, if there is a readable one (an unreadable or older-format one is none). */
export const readClaim: (path: string) => Claim | undefined = jsonFile(Claim)

/** How an exec-node ended, in words: what the driver adds to Slurm's reason when there is no record. */
export const ExecResult = Schema.Struct({
  ok: Schema.Boolean,
  outcome: Schema.optional(Schema.Literals(["Ran", "Reused", "Cached"])),
  message: Schema.optional(Schema.String),
  damagedInput: Schema.optional(Schema.String),
  /** interrupted by a signal (scancel, a time limit, a node failure): it may run again */
  terminated: Schema.optional(Schema.Boolean)
})
export type ExecResult = typeof ExecResult.Type

/** The result file at `path`, if there is a readable one (one being written, or damaged, is none). */
export const readResult: (path: string) => ExecResult | undefined = jsonFile(ExecResult)

/** Lines of a job's log that are progress, or the engine's own words, not the stage's. */
export const PROGRESS_PREFIX = "[progress] "
export const ENGINE_PREFIX = "[exec-node] "

/** A pipeline's resources for a stage over the stage's own, field by field (either may be absent). */
export const mergeResources = (own: Resources | undefined, over: Resources | undefined): Resources | undefined => {
  if (own === undefined) return over
  if (over === undefined) return own
  const pick = <K extends keyof Resources>(k: K) => (over[k] !== undefined ? { [k]: over[k] } : own[k] !== undefined ? { [k]: own[k] } : {})
  return { ...pick("cpus"), ...pick("memoryMb"), ...pick("gpu") }
}

/** The resources a stage's jobs ask for: the pipeline's for it (`options.resources`) merged over the stage's own. */
export const resourcesOf = (stage: { readonly name: string; readonly resources?: Resources | undefined }, options: Pick<SubmitOptions, "resources">): Resources | undefined =>
  mergeResources(stage.resources, options.resources?.[stage.name])

/** Whether a node of a stage is sent to Slurm (else it runs on the driver): heavy, or with resources. */
export const runsRemotely = (stage: { readonly heavy?: boolean | undefined }, resources: Resources | undefined): boolean =>
  stage.heavy === true || resources !== undefined

export interface SubmitOptions {
  /** Resources by stage name, over each stage's own (the pipeline's `resources`). */
  readonly resources?: Readonly<Record<string, Resources>> | undefined
  readonly partition?: string | undefined
  /** Passed to sbatch as they are, after the engine's own (so a user's `--time`, `--mem` win). */
  readonly extra: ReadonlyArray<string>
}

/** The sbatch flags of one node's job (before the command). */
export const sbatchArgs = (
  resources: Resources | undefined,
  job: { readonly name: string; readonly output: string; readonly workdir: string; readonly tag?: string | undefined },
  options: SubmitOptions
): Array<string> => {
  const args = [
    "--parsable",
    `--job-name=${job.name}`,
    ...(job.tag !== undefined ? [`--comment=${job.tag}`] : []),
    `--output=${job.output}`,
    // A requeued job appends to its log rather than truncating it (the driver reads it as it grows).
    "--open-mode=append",
    `--chdir=${job.workdir}`,
    "--ntasks=1",
    `--cpus-per-task=${Math.max(1, Math.floor(resources?.cpus ?? 1))}`
  ]
  if (resources?.memoryMb !== undefined) args.push(`--mem=${Math.ceil(resources.memoryMb)}M`)
  if (resources?.gpu) args.push("--gres=gpu:1")
  if (options.partition !== undefined) args.push(`--partition=${options.partition}`)
  return [...args, ...options.extra]
}

/** A job's state as `squeue`/`scontrol` print it (PENDING, RUNNING, TIMEOUT...) and Slurm's reason. */
export interface JobStatus {
  readonly state: string
  readonly reason: string
  /** the job's tag (sbatch `--comment`), where Slurm reports it */
  readonly comment?: string | undefined
  /** "code:signal", where known */
  readonly exitCode?: string | undefined
}

const GOING = new Set(["PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING", "SIGNALING", "STAGE_OUT", "RESV_DEL_HOLD", "STOPPED"])

/** Whether a job may still run (or run again: a requeued job is not over). */
export const isGoing = (state: string): boolean => GOING.has(state)

/** A job that is over, in words: why it ended, for a node that has no record after it. */
export const endedText = (s: JobStatus): string => {
  const code = s.exitCode && s.exitCode !== "0:0" ? s.exitCode : undefined
  switch (s.state) {
    case "COMPLETED":
      return "job completed but committed no record"
    case "TIMEOUT":
      return "killed by Slurm: time limit reached"
    case "OUT_OF_MEMORY":
      return "killed by Slurm: out of memory"
    case "NODE_FAIL":
      return "Slurm: node failure"
    case "CANCELLED":
      return "cancelled in Slurm (scancel)"
    case "PREEMPTED":
      return "preempted by Slurm"
    case "BOOT_FAIL":
      return "Slurm: node failed to boot"
    case "DEADLINE":
      return "killed by Slurm: deadline reached"
    case "FAILED":
      return code ? `job failed with exit code ${code.replace(/:0$/, "")}${code.endsWith(":0") ? "" : ` (signal ${code.split(":")[1]})`}` : "job failed"
    default:
      return `job ended: ${s.state}${s.reason && s.reason !== "None" ? ` (${s.reason})` : ""}`
  }
}

/** A job still going, in words for the live view: "pending (Resources)", "running". */
export const goingText = (s: JobStatus): string => {
  const why = s.reason && s.reason !== "None" ? ` (${s.reason})` : ""
  switch (s.state) {
    case "PENDING":
      return `pending${why}`
    case "RUNNING":
      return "running"
    case "REQUEUED":
    case "REQUEUE_HOLD":
    case "REQUEUE_FED":
      return `requeued by Slurm${why}`
    default:
      return `${s.state.toLowerCase()}${why}`
  }
}

/** The lines of `squeue -h -t all -o "%i|%T|%r|%k"`: job id -> status (and tag, when printed). */
export const parseSqueue = (text: string): Map<string, JobStatus> => {
  const out = new Map<string, JobStatus>()
  for (const line of text.split("\n")) {
    const [id, state, reason, comment] = line.trim().split("|")
    if (id && state) out.set(id, { state, reason: reason ?? "", ...(comment !== undefined && comment !== "(null)" ? { comment } : {}) })
  }
  return out
}

/** `scontrol -o show job ID`: its state, reason and exit code. */
export const parseScontrol = (text: string): JobStatus | undefined => {
  const field = (name: string) => new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(text)?.[1]
  const state = field("JobState")
  const comment = field("Comment")
  return state ? { state, reason: field("Reason") ?? "", exitCode: field("ExitCode"), ...(comment && comment !== "(null)" ? { comment } : {}) } : undefined
}

/** `sacct -c -n -P -o jobid,state,exitcode` (from jobcomp/filetxt, without accounting): the last line for `id`. */
export const parseSacct = (text: string, id: string): JobStatus | undefined => {
  let found: JobStatus | undefined
  for (const line of text.split("\n")) {
    const [jid, state, exitCode] = line.trim().split("|")
    if (jid === id && state) found = { state: state.split(" ")[0]!, reason: "", exitCode }
  }
  return found
}
