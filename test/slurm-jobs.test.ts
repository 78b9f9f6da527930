// The Slurm executor's pure half: job files, the sbatch flags a stage's resources map to, and what
// Slurm's states and outputs mean. No cluster needed.
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { makeLines } from "../src/Reporter.ts"
import { decodeJobFile, encodeJobFile, endedText, goingText, isGoing, mergeResources, parseSacct, parseScontrol, parseSqueue, runsRemotely, sbatchArgs } from "../src/slurm/Jobs.ts"

const job = { pipeline: "toy", node: "square/1", stage: "toy-square", params: { sleepMs: 0 }, inputs: { rows: "a".repeat(64) }, key: "b".repeat(64) }
const where = { name: "w2s:square/1", output: "/c/slurm/logs/x-%j.log", workdir: "/w" }

describe("Slurm jobs", () => {
  it("a job file round-trips; a damaged one is refused with the reason", () => {
    const back = decodeJobFile(encodeJobFile(job, true))
    assert.isTrue(Result.isSuccess(back))
    assert.deepStrictEqual((back as Result.Success<unknown, string>).success, { format: 1, job, force: true })
    assert.match((decodeJobFile("{") as Result.Failure<unknown, string>).failure, /not JSON/)
    assert.isTrue(Result.isFailure(decodeJobFile(JSON.stringify({ format: 1, job: { ...job, key: "short" }, force: false }))))
  })

  it("resources map to --cpus-per-task, --mem and --gres; the user's flags come last so they win", () => {
    assert.deepStrictEqual(sbatchArgs(undefined, where, { extra: [] }).filter((a) => /cpus|mem|gres|partition/.test(a)), ["--cpus-per-task=1"])
    const args = sbatchArgs({ cpus: 4, memoryMb: 1500.5, gpu: true }, where, { partition: "gpu", extra: ["--time=10", "--mem=8G"] })
    for (const a of ["--cpus-per-task=4", "--mem=1501M", "--gres=gpu:1", "--partition=gpu", "--output=/c/slurm/logs/x-%j.log", "--parsable"]) assert.include(args, a)
    assert.deepStrictEqual(args.slice(-2), ["--time=10", "--mem=8G"])
  })

  it("heavy stages and stages with resources go to Slurm; light ones stay on the driver", () => {
    assert.isTrue(runsRemotely({ heavy: true }, undefined))
    assert.isTrue(runsRemotely({}, { cpus: 2 }))
    assert.isFalse(runsRemotely({}, undefined))
  })

  it("states: going or over, and the reason a node without a record gives", () => {
    for (const s of ["PENDING", "RUNNING", "COMPLETING", "REQUEUED", "SUSPENDED"]) assert.isTrue(isGoing(s), s)
    for (const s of ["COMPLETED", "FAILED", "TIMEOUT", "CANCELLED", "OUT_OF_MEMORY", "NODE_FAIL", "UNKNOWN"]) assert.isFalse(isGoing(s), s)
    assert.strictEqual(endedText({ state: "TIMEOUT", reason: "TimeLimit" }), "killed by Slurm: time limit reached")
    assert.strictEqual(endedText({ state: "OUT_OF_MEMORY", reason: "" }), "killed by Slurm: out of memory")
    assert.strictEqual(endedText({ state: "NODE_FAIL", reason: "" }), "Slurm: node failure")
    assert.strictEqual(endedText({ state: "CANCELLED", reason: "" }), "cancelled in Slurm (scancel)")
    assert.strictEqual(endedText({ state: "FAILED", reason: "NonZeroExitCode", exitCode: "3:0" }), "job failed with exit code 3")
    assert.strictEqual(endedText({ state: "FAILED", reason: "", exitCode: "0:9" }), "job failed with exit code 0:9 (signal 9)")
    assert.strictEqual(endedText({ state: "COMPLETED", reason: "", exitCode: "0:0" }), "job completed but committed no record")
    assert.strictEqual(goingText({ state: "PENDING", reason: "Priority" }), "pending (Priority)")
    assert.strictEqual(goingText({ state: "RUNNING", reason: "None" }), "running")
  })

  it("parses squeue, scontrol and sacct output", () => {
    assert.deepStrictEqual([...parseSqueue("2|PENDING|Resources\n1|RUNNING|None\n")], [
      ["2", { state: "PENDING", reason: "Resources" }],
      ["1", { state: "RUNNING", reason: "None" }]
    ])
    assert.deepStrictEqual(parseScontrol("JobId=1 JobName=x JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 Restarts=0"), {
      state: "FAILED",
      reason: "NonZeroExitCode",
      exitCode: "3:0"
    })
    assert.isUndefined(parseScontrol("slurm_load_jobs error: Invalid job id specified"))
    assert.deepStrictEqual(parseSacct("3|CANCELLED by 0|0:0\n1|FAILED|3:0\n", "3"), { state: "CANCELLED", reason: "", exitCode: "0:0" })
    assert.isUndefined(parseSacct("1|FAILED|3:0\n", "7"))
  })

  it("the plain log shows a job's state changes, the first naming its log", () => {
    const lines: Array<string> = []
    const r = makeLines((l) => lines.push(l.slice(9)))
    r.emit({ _tag: "Job", node: "square/1", id: "12", state: "SUBMITTED", text: "submitted", log: "/c/slurm/logs/x-12.log" })
    r.emit({ _tag: "Job", node: "square/1", id: "12", state: "PENDING", text: "pending (Priority)" })
    assert.deepStrictEqual(lines, ["slurm     square/1  job 12 submitted, log /c/slurm/logs/x-12.log", "slurm     square/1  job 12 pending (Priority)"])
  })
})

describe("resources", () => {
  it("a pipeline's resources for a stage merge over the stage's own, field by field", () => {
    assert.deepStrictEqual(mergeResources({ cpus: 4, gpu: true }, { memoryMb: 2000 }), { cpus: 4, memoryMb: 2000, gpu: true })
    assert.deepStrictEqual(mergeResources({ cpus: 4, memoryMb: 100 }, { cpus: 2, memoryMb: undefined }), { cpus: 2, memoryMb: 100 })
    assert.deepStrictEqual(mergeResources(undefined, { cpus: 2 }), { cpus: 2 })
    assert.deepStrictEqual(mergeResources({ gpu: true }, undefined), { gpu: true })
    assert.isUndefined(mergeResources(undefined, undefined))
  })
})
