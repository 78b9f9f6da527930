// The Slurm executor end to end on a real single-node cluster (scripts/slurm-cluster.sh, loopback
// only): results equal to a local run's, failures with Slurm's reasons, and each node computed once
// through a driver's crash, a node's crash and two drivers at once. Skipped, saying why, where Slurm
// is not installed. The time-limit test takes Slurm's minute; it starts first and is checked late.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { cli, FIXTURES, snapshot, tempCache } from "./cli-helpers.ts"
import { type Cluster, jobLogs, launch, objectNames, refs, type Running, runningJob, slurm, slurmMissing, startCluster, until } from "./slurm-helpers.ts"

const missing = slurmMissing()
if (missing) console.warn(`Slurm executor tests skipped: ${missing}`)

describe("--executor: bad input, before anything is submitted", () => {
  it("an unknown executor is exit 2", () => {
    const cache = tempCache()
    const r = cli(["run", "toy", "--executor", "kubernetes", "--cache-dir", cache])
    assert.strictEqual(r.code, 2)
    assert.match(r.stderr, /Invalid value for flag --executor: "kubernetes"/)
    assert.isFalse(existsSync(cache))
  })

  it("slurm without sbatch on PATH is exit 2 with one line, and the cache is not created", () => {
    const cache = tempCache()
    // An empty PATH: the CLI itself is started by path.
    const r = cli(["run", "toy", "--executor", "slurm", "--cache-dir", cache], { PATH: mkdtempSync(join(tmpdir(), "w2s-path-")) })
    assert.strictEqual(r.code, 2)
    assert.strictEqual(r.stderr, "error: --executor slurm: sbatch is not on PATH (is Slurm installed on this machine?)\n")
    assert.isFalse(existsSync(cache))
  })

  it.skipIf(missing !== undefined)("slurm with a controller that does not answer is exit 2 with one line", () => {
    const cache = tempCache()
    const conf = join(dirname(cache), "dead.conf")
    // Port 9 (discard): nothing listens there on this machine.
    writeFileSync(conf, `ClusterName=dead\nSlurmctldHost=${hostname().split(".")[0]}(127.0.0.1)\nSlurmctldPort=9\nNodeName=x CPUs=1\nPartitionName=p Nodes=x\n`)
    const r = cli(["run", "toy", "--executor", "slurm", "--cache-dir", cache], { SLURM_CONF: conf })
    assert.strictEqual(r.code, 2)
    assert.match(r.stderr, /^error: --executor slurm: the Slurm controller does not answer \(scontrol ping: .*\)\n$/)
    assert.isFalse(existsSync(cache))
  })
})

describe("exec-node (what a job runs)", () => {
  it("computes one node from its job file alone and commits it; refuses a key this checkout does not compute", () => {
    const cache = tempCache()
    assert.strictEqual(cli(["run", "toy", "--set", "n=20", "clip/1", "--cache-dir", cache], FIXTURES).code, 0)
    // square/1's job as a driver would write it: the key from `plan`, the input from clip/1's record.
    const plan = JSON.parse(cli(["plan", "toy", "--set", "n=20", "square/1", "--json", "--cache-dir", cache], FIXTURES).stdout) as {
      nodes: Array<{ id: string; key: string }>
    }
    const key = plan.nodes.find((n) => n.id === "square/1")!.key
    const clipKey = plan.nodes.find((n) => n.id === "clip/1")!.key
    const clipRecord = readFileSync(join(cache, "records", clipKey.slice(0, 2), `${clipKey}.json`), "utf8")
    const rows = (JSON.parse(clipRecord.slice(clipRecord.indexOf("\n") + 1)) as { outputs: { rows: { hash: string } } }).outputs.rows.hash
    const job = (k: string) => {
      const file = join(dirname(cache), `job-${k.slice(0, 8)}.json`)
      writeFileSync(file, JSON.stringify({ format: 1, force: false, job: { pipeline: "toy", node: "square/1", stage: "toy-square", params: { sleepMs: 0, fail: "none" }, inputs: { rows }, key: k } }))
      return file
    }
    const wrong = cli(["exec-node", "--cache-dir", cache, job("f".repeat(64))], FIXTURES)
    assert.strictEqual(wrong.code, 2)
    assert.match(wrong.stdout, /failed: this host computes key [0-9a-f]{12} for square\/1, the driver sent ffffffffffff: its code or packages differ/)
    assert.isFalse(existsSync(join(cache, "records", "ff")))
    const right = cli(["exec-node", "--cache-dir", cache, job(key)], FIXTURES)
    assert.strictEqual(right.code, 0, right.stdout + right.stderr)
    assert.match(right.stdout, /^\[exec-node\] committed$/m)
    assert.strictEqual(JSON.parse(cli(["plan", "toy", "--set", "n=20", "square/1", "--json", "--cache-dir", cache], FIXTURES).stdout).nodes.find((n: { id: string }) => n.id === "square/1").status, "cached")
  })
})

describe("exec-node under the runtime's main", () => {
  it("SIGTERM mid-stage (scancel, a time limit): the key's lock is released and the result file says it was terminated", async () => {
    const cache = tempCache()
    const sets = ["--set", "seeds=[1]", "--set", "squareMs=20000"]
    assert.strictEqual(cli(["run", "toy-jobs", ...sets, "clip/1", "--cache-dir", cache], FIXTURES).code, 0)
    const plan = JSON.parse(cli(["plan", "toy-jobs", ...sets, "square/1", "--json", "--cache-dir", cache], FIXTURES).stdout) as { nodes: Array<{ id: string; key: string }> }
    const key = plan.nodes.find((n) => n.id === "square/1")!.key
    const clipKey = plan.nodes.find((n) => n.id === "clip/1")!.key
    const clipRecord = readFileSync(join(cache, "records", clipKey.slice(0, 2), `${clipKey}.json`), "utf8")
    const rows = (JSON.parse(clipRecord.slice(clipRecord.indexOf("\n") + 1)) as { outputs: { rows: { hash: string } } }).outputs.rows.hash
    const file = join(dirname(cache), "job.json")
    writeFileSync(file, JSON.stringify({ format: 1, force: false, job: { pipeline: "toy-jobs", node: "square/1", stage: "toy-square", params: { sleepMs: 20000, fail: "none" }, inputs: { rows }, key } }))
    const r = launch(["exec-node", "--cache-dir", cache, file], { ...FIXTURES, SLURM_JOB_ID: "4242" })
    await until("the stage to start", () => /^\[exec-node\] started$/m.test(r.output()), 20_000)
    assert.isTrue(existsSync(join(cache, "locks", `${key}.lock`)), "the key's lock is held while the stage runs")
    const t0 = Date.now()
    r.kill("SIGTERM")
    const done = await r.done
    assert.isBelow(Date.now() - t0, 5000)
    assert.strictEqual(done.code, 143, done.stdout + done.stderr)
    assert.isFalse(existsSync(join(cache, "locks", `${key}.lock`)), "the key's lock was released")
    const result = JSON.parse(readFileSync(join(cache, "slurm", "results", `${key.slice(0, 16)}-4242.json`), "utf8")) as { ok: boolean; terminated?: boolean }
    assert.deepInclude(result, { ok: false, terminated: true })
    assert.isFalse(existsSync(join(cache, "records", key.slice(0, 2), `${key}.json`)))
  })
})

describe("gc and the Slurm executor's files", () => {
  it("gc removes job files, results and logs older than its grace period, and keeps newer ones and claims", () => {
    const cache = tempCache()
    assert.strictEqual(cli(["run", "toy", "--set", "n=5", "--cache-dir", cache], FIXTURES).code, 0)
    const file = (sub: string, name: string, old: boolean) => {
      mkdirSync(join(cache, "slurm", sub), { recursive: true })
      writeFileSync(join(cache, "slurm", sub, name), "x")
      if (old) utimesSync(join(cache, "slurm", sub, name), new Date(0), new Date(0))
    }
    file("logs", "old-1.log", true)
    file("jobs", "old.json", true)
    file("results", "old-1.json", true)
    file("logs", "new-2.log", false)
    file("claims", "old-claim", true)
    const r = cli(["gc", "--grace", "5", "--cache-dir", cache], FIXTURES)
    assert.strictEqual(r.code, 0, r.stderr)
    assert.match(r.stdout, /cleared 3 leftovers/)
    assert.deepStrictEqual(["logs", "jobs", "results", "claims"].map((d) => readdirSync(join(cache, "slurm", d))), [["new-2.log"], [], [], ["old-claim"]])
  })
})

describe.skipIf(missing !== undefined)("--executor slurm on a single-node cluster", () => {
  let c: Cluster
  let timeLimited: Running
  const timeCache = tempCache()
  const run = (args: ReadonlyArray<string>, timeoutMs = 120_000) => cli(["run", ...args, "--executor", "slurm"], c.env, timeoutMs)
  const state = (job: string) => slurm(c, "squeue", ["-h", "-t", "all", "-j", job, "-o", "%T"]).trim()

  beforeAll(() => {
    c = startCluster()
    // Slurm's time limits are whole minutes: this job starts now and is looked at last.
    timeLimited = launch(
      ["run", "toy-jobs", "--set", "seeds=[1]", "--set", "squareMs=300000", "--executor", "slurm", "--slurm-arg=--time=1", "--cache-dir", timeCache],
      c.env
    )
  })
  afterAll(() => {
    timeLimited?.kill("SIGKILL")
    c?.stop()
  })

  it("the toy pipeline gives byte-identical results to a local run; show names the job and its log", () => {
    const remote = tempCache()
    const local = tempCache()
    const r = run(["toy", "--cache-dir", remote])
    assert.strictEqual(r.code, 0, r.stderr)
    assert.match(r.stderr, /slurm\s+square\/1\s+job \d+ submitted, log /)
    assert.match(r.stderr, /slurm\s+square\/1\s+job \d+ running/)
    assert.strictEqual(cli(["run", "toy", "--cache-dir", local], FIXTURES).code, 0)
    assert.deepStrictEqual(refs(remote, "toy"), refs(local, "toy"))
    assert.deepStrictEqual(objectNames(remote), objectNames(local))
    const results = (cache: string) => cli(["results", "toy", "--format", "json", "--cache-dir", cache], FIXTURES).stdout
    assert.strictEqual(results(remote), results(local))
    const show = cli(["show", "toy", "square/1", "--cache-dir", remote], FIXTURES)
    const m = /slurm {5}job (\d+), log (\S+)/.exec(show.stdout)
    assert.isNotNull(m, show.stdout)
    assert.include(readFileSync(m![2]!, "utf8"), `computing toy/square/1`)
    assert.strictEqual(cli(["verify", "--cache-dir", remote], FIXTURES).code, 0)
  })

  it("a failing stage fails its node with exit 1; show prints the job's log", () => {
    const cache = tempCache()
    // --keep-going: both squares fail by themselves (fail-fast would cancel whichever is second).
    const r = run(["toy", "--set", "fail=throw", "--keep-going", "--cache-dir", cache])
    assert.strictEqual(r.code, 1)
    assert.match(r.stderr, /failed: square\/\d: slurm job \d+: job failed with exit code 1: toy-square was told to fail/)
    const show = cli(["show", "toy", "square/1", "--set", "fail=throw", "--cache-dir", cache], FIXTURES)
    assert.match(show.stdout, /last failure log\n {2}slurm job \d+, log .*\n(.*\n)* {2}squaring 1000 rows\n(.*\n)* {2}FAILED: slurm job \d+: job failed/)
  })

  it("a partition or --slurm-arg that sbatch refuses is exit 2 with one line, before anything is submitted", () => {
    const cache = tempCache()
    const bad = run(["toy", "--slurm-partition", "nowhere", "--cache-dir", cache])
    assert.strictEqual(bad.code, 2)
    assert.match(bad.stderr, /^error: --executor slurm: sbatch refuses the job flags --partition=nowhere \(invalid partition specified: nowhere\)\n$/)
    const flag = run(["toy", "--slurm-arg=--no-such-flag", "--cache-dir", cache])
    assert.strictEqual(flag.code, 2)
    assert.match(flag.stderr, /^error: --executor slurm: sbatch refuses the job flags --no-such-flag \(unrecognized option '--no-such-flag'\)\n$/)
    assert.isFalse(existsSync(cache))
  })

  it("a stage whose resources no node can meet (a GPU here) is exit 2 naming the stage, before anything is submitted", () => {
    const cache = tempCache()
    const r = run(["toy-gpu", "--cache-dir", cache])
    assert.strictEqual(r.code, 2, r.stderr)
    assert.match(r.stderr, /^error: --executor slurm: sbatch refuses stage toy-square's job \(--cpus-per-task=1 --gres=gpu:1\) \(.+\)\n$/)
    assert.isFalse(existsSync(cache))
  })

  it("a job cancelled from outside (scancel) fails its node naming the reason", async () => {
    const cache = tempCache()
    const r = launch(["run", "toy-jobs", "--set", "seeds=[1]", "--set", "squareMs=60000", "--executor", "slurm", "--cache-dir", cache], c.env)
    const job = await runningJob(r, "square/1")
    slurm(c, "scancel", [job])
    const done = await r.done
    assert.strictEqual(done.code, 1)
    assert.match(done.stderr, new RegExp(`failed: square/1: slurm job ${job}: cancelled in Slurm \\(scancel\\)`))
  })

  it("Ctrl-C on the driver cancels its jobs and exits 130", async () => {
    const cache = tempCache()
    const r = launch(["run", "toy-jobs", "--set", "squareMs=60000", "--executor", "slurm", "--cache-dir", cache], c.env)
    const job = await runningJob(r, "square/1")
    const show = cli(["show", "toy-jobs", "square/1", "--set", "squareMs=60000", "--cache-dir", cache], FIXTURES)
    assert.match(show.stdout, new RegExp(`slurm {5}job ${job} computing it \\(submitted .* from .*\\), log .*-${job}\\.log`))
    r.kill("SIGINT")
    const done = await r.done
    assert.strictEqual(done.code, 130)
    await until("the job to be cancelled", () => state(job) === "CANCELLED", 15_000)
    assert.deepStrictEqual(readdirSync(join(cache, "slurm", "claims")), [])
  })

  it("the driver killed with kill -9 mid-run: the re-run reuses what was committed, submits nothing twice, verify finds nothing", async () => {
    const cache = tempCache()
    const args = ["run", "toy-jobs", "--set", "seeds=[1,2,3]", "--set", "squareMs=2500", "--executor", "slurm", "--jobs", "2", "--cache-dir", cache]
    const first = launch(args, c.env)
    await until("a square node to finish", () => /done\s+square\//.test(first.output()))
    first.kill("SIGKILL")
    await first.done
    const committed = snapshot(join(cache, "records"))
    assert.isAbove(Object.keys(committed).length, 0)
    const again = cli(args, c.env)
    assert.strictEqual(again.code, 0, again.stderr)
    const after = snapshot(join(cache, "records"))
    for (const [file, hash] of Object.entries(committed)) assert.strictEqual(after[file], hash, `record ${file} was rewritten`)
    const squares = Object.entries(refs(cache, "toy-jobs")).filter(([id]) => id.startsWith("square/"))
    assert.strictEqual(squares.length, 3)
    const logs = jobLogs(cache)
    for (const [id, key] of squares) assert.deepStrictEqual(logs.get(key.slice(0, 16)), { jobs: 1, committed: 1 }, id)
    const verify = cli(["verify", "--cache-dir", cache], FIXTURES)
    assert.strictEqual(verify.code, 0, verify.stdout)
    assert.match(verify.stdout, /no damage found/)
  })

  it("two Slurm drivers and a local run at once compute each node once", async () => {
    const cache = tempCache()
    const args = ["run", "toy-jobs", "--set", "squareMs=1500", "--cache-dir", cache]
    const runs = [launch([...args, "--executor", "slurm"], c.env), launch([...args, "--executor", "slurm"], c.env), launch(args, c.env)]
    const results = await Promise.all(runs.map((r) => r.done))
    for (const r of results) assert.strictEqual(r.code, 0, r.stderr)
    const ran = results.reduce((n, r) => n + Number(/: (\d+) ran/.exec(r.stdout)?.[1]), 0)
    assert.strictEqual(ran, 11, results.map((r) => r.stdout).join(""))
    for (const [, e] of jobLogs(cache)) assert.isAtMost(e.committed, 1)
  })

  it("a job killed by its time limit fails its node naming the reason", async () => {
    const done = await timeLimited.done
    assert.strictEqual(done.code, 1)
    assert.match(done.stderr, /failed: square\/1: slurm job \d+: killed by Slurm: time limit reached/)
  }, 150_000)

  it("slurmd killed with its job mid-run: Slurm requeues it; the node is committed once, whole", async () => {
    const cache = tempCache()
    const r = launch(["run", "toy-jobs", "--set", "seeds=[1]", "--set", "squareMs=3000", "--executor", "slurm", "--cache-dir", cache], c.env)
    const job = await runningJob(r, "square/1")
    await until("exec-node to start the stage", () => /square\/1 \| squaring/.test(r.output()))
    // The job's processes and their slurmstepd, by id, as a crashing machine would take them.
    const pids = slurm(c, "scontrol", ["listpids", job]).split("\n").slice(1).map((l) => Number(l.trim().split(/\s+/)[0])).filter((p) => p > 0)
    const stepd = Number(readFileSync(`/proc/${pids[0]}/stat`, "utf8").split(") ")[1]!.split(" ")[1])
    const node = hostname().split(".")[0]!
    for (const pid of [Number(readFileSync(join(c.dir, "slurmd.pid"), "utf8")), stepd, ...pids]) {
      try {
        process.kill(pid, "SIGKILL")
      } catch {
        // already gone
      }
    }
    slurm(c, "scontrol", ["update", `nodename=${node}`, "state=down", "reason=test-crash"])
    await until("the job to be requeued", () => state(job) === "PENDING", 20_000)
    execFileSync("slurmd", ["-f", c.env.SLURM_CONF!, "-N", node], { env: { ...process.env, ...c.env }, timeout: 20_000 })
    await until("the node to return", () => /idle|mix/.test(slurm(c, "sinfo", ["-h", "-o", "%t"])), 20_000)
    // The controller still has a kill of the lost run on its way to the node: a run started before it
    // arrives would be killed with it (the job id is the same). Let it arrive first.
    await new Promise((ok) => setTimeout(ok, 5000))
    // Slurm holds a requeued job for a while; an admin (here, the test) lets it start now.
    slurm(c, "scontrol", ["update", `jobid=${job}`, "StartTime=now"])
    const done = await r.done
    assert.strictEqual(done.code, 0, done.stderr)
    assert.match(done.stderr, new RegExp(`job ${job} requeued by Slurm`))
    const key = refs(cache, "toy-jobs")["square/1"]!
    assert.deepStrictEqual(jobLogs(cache).get(key.slice(0, 16)), { jobs: 1, committed: 1 })
    assert.strictEqual(cli(["verify", "--cache-dir", cache], FIXTURES).code, 0)
  }, 90_000)
})
