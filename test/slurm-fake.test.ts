// The Slurm executor's claim protocol against the fake cluster (src/slurm/FakeSlurm.ts), no cluster
// needed: one test per fault the fake scripts (requeue, node failure, time limit, job-id reuse, sbatch
// killed after the controller accepted the job), each showing the node computed once, the right
// failure message and nothing leaked (no claim, no lock, no job left running); then forced drivers,
// job files per submission, and preflight's check of each stage's resources.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Pipeline from "../src/Pipeline.ts"
import * as Runner from "../src/Runner.ts"
import * as FakeSlurm from "../src/slurm/FakeSlurm.ts"
import { sweepClaims } from "../src/slurm/Claims.ts"
import { sweepFiles } from "../src/slurm/Sweep.ts"
import { tryLock, unlock } from "../src/store/Disk.ts"
import { type Claim, slurmLayout } from "../src/slurm/Jobs.ts"
import * as Preflight from "../src/slurm/Preflight.ts"
import toy from "../pipelines/toy.ts"
import toyJobs from "../pipelines/toy-jobs.ts"
import { damage, diskStore, outputsOf, planPipeline, runPipeline } from "./helpers.ts"
import { countingRunner, fakeSlurm } from "./slurm-fake-helpers.ts"

const seeds1 = ["seeds=[1]"]

/** A disk store, a counting runner, and the Slurm rebuilder over a fake cluster with these faults. */
const setup = (faults?: FakeSlurm.FakeSlurmOptions["faults"]) => {
  const { store, dir } = diskStore()
  const counts = new Map<string, number>()
  const runner = countingRunner(Runner.layerInline, counts)
  const fake = fakeSlurm(store, runner, { cacheDir: dir, faults })
  const run = (sets: ReadonlyArray<string>, options: { force?: (id: string) => boolean } = {}) =>
    runPipeline(store, toyJobs, sets, options, undefined, { runner, rebuilder: fake.rebuilder })
  return { store, dir, counts, fake, run }
}

/**
 * Nothing leaked: no claim, no key lock, no job of the fake still going (a job that committed may
 * take a moment to end after its driver saw the record).
 */
const leftNothing = (dir: string, cluster: FakeSlurm.FakeCluster, except: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    const isGoing = () => [...cluster.jobs.values()].filter((j) => ["PENDING", "RUNNING"].includes(j.state) && !except.includes(j.id))
    for (let i = 0; i < 100 && isGoing().length > 0; i++) yield* Effect.sleep(10)
    checkLeft(dir, cluster, except)
  })

const checkLeft = (dir: string, cluster: FakeSlurm.FakeCluster, except: ReadonlyArray<string>) => {
  const claims = existsSync(slurmLayout(dir).claimsDir) ? readdirSync(slurmLayout(dir).claimsDir) : []
  assert.deepStrictEqual(claims, [], "claims left")
  const locks = existsSync(join(dir, "locks")) ? readdirSync(join(dir, "locks")) : []
  assert.deepStrictEqual(locks, [], "key locks left")
  const going = [...cluster.jobs.values()].filter((j) => ["PENDING", "RUNNING"].includes(j.state) && !except.includes(j.id))
  assert.deepStrictEqual(going.map((j) => j.id), [], "jobs left going")
}

const squareKey = (r: { readonly summary: { readonly nodes: ReadonlyArray<{ readonly id: string; readonly key?: string | undefined }> } }) =>
  r.summary.nodes.find((n) => n.id === "square/1")!.key!

const jobTexts = (events: ReadonlyArray<{ readonly _tag: string }>) =>
  events.flatMap((e) => (e._tag === "Job" ? [(e as unknown as { text: string }).text] : []))

describe("Slurm executor on the fake cluster", () => {
  it.live("a run gives a local run's outputs; each key computed once; nothing left behind", () =>
    Effect.gen(function*() {
      const s = setup()
      const r = yield* s.run([])
      assert.strictEqual(r.tally.failed, 0)
      assert.strictEqual(s.fake.cluster.submitted(), 2, "one job per square node")
      assert.deepStrictEqual([...s.counts.values()].filter((n) => n > 1), [])
      const local = diskStore()
      yield* runPipeline(local.store, toyJobs, [])
      assert.deepStrictEqual(outputsOf(s.store, yield* planPipeline(s.store, toyJobs, [])), outputsOf(local.store, yield* planPipeline(local.store, toyJobs, [])))
      yield* leftNothing(s.dir, s.fake.cluster)
    }))

  it.live("requeue: the job's run is killed and runs again; the node is computed once and committed whole", () =>
    Effect.gen(function*() {
      const s = setup((n) => (n === 0 ? { _tag: "Requeue", afterMs: 60 } : undefined))
      const r = yield* s.run([...seeds1, "squareMs=400"])
      assert.strictEqual(r.tally.failed, 0, JSON.stringify(r.summary.nodes))
      const job = s.fake.cluster.jobs.get("100")!
      assert.strictEqual(job.starts, 2)
      assert.strictEqual(job.state, "COMPLETED")
      assert.strictEqual(s.counts.get(squareKey(r)), 1)
      assert.isTrue(jobTexts(r.events).some((t) => t.startsWith("requeued by Slurm")), jobTexts(r.events).join("; "))
      yield* leftNothing(s.dir, s.fake.cluster)
    }))

  it.live("node failure, requeued: computed once; not requeued: the node fails naming the node failure", () =>
    Effect.gen(function*() {
      const s = setup((n) => (n === 0 ? { _tag: "NodeFail", afterMs: 60 } : undefined))
      const r = yield* s.run([...seeds1, "squareMs=400"])
      assert.strictEqual(r.tally.failed, 0)
      assert.strictEqual(s.fake.cluster.jobs.get("100")!.starts, 2)
      assert.strictEqual(s.counts.get(squareKey(r)), 1)
      yield* leftNothing(s.dir, s.fake.cluster)

      const t = setup((n) => (n === 0 ? { _tag: "NodeFail", afterMs: 60, requeue: false } : undefined))
      const f = yield* t.run([...seeds1, "squareMs=400"])
      const failed = f.summary.nodes.find((n) => n.id === "square/1")!
      assert.strictEqual(failed.outcome, "failed")
      assert.match(failed.message!, /^slurm job 100: Slurm: node failure$/)
      yield* leftNothing(t.dir, t.fake.cluster)
    }))

  it.live("time limit: the job is killed, TIMEOUT, no record; its exec-node's finalizers ran (lock released, result says terminated)", () =>
    Effect.gen(function*() {
      const s = setup((n) => (n === 0 ? { _tag: "TimeLimit", afterMs: 80 } : undefined))
      const r = yield* s.run([...seeds1, "squareMs=5000"])
      const square = r.summary.nodes.find((n) => n.id === "square/1")!
      assert.strictEqual(square.outcome, "failed")
      assert.match(square.message!, /^slurm job 100: killed by Slurm: time limit reached$/)
      assert.strictEqual(s.fake.cluster.jobs.get("100")!.state, "TIMEOUT")
      const result = JSON.parse(readFileSync(slurmLayout(s.dir).result(squareKey(r), "100"), "utf8")) as { ok: boolean; terminated?: boolean }
      assert.deepInclude(result, { ok: false, terminated: true })
      assert.isUndefined(s.counts.get(squareKey(r)))
      yield* leftNothing(s.dir, s.fake.cluster)
    }))

  it.live("job-id reuse: a stale claim whose id now names an unrelated job is replaced, not followed; that job is left alone", () =>
    Effect.gen(function*() {
      const s = setup()
      const first = yield* s.run(seeds1)
      const key = squareKey(first)
      yield* damage(s.store).deleteRecord(key)
      // A driver that died left its claim on job 100; Slurm has since given id 100 to another job.
      const stale: Claim = { jobId: "100", tag: "w2s:dead", jobFile: "/nowhere.json", host: "gone", pid: 1, submittedAt: new Date(0).toISOString(), forced: false }
      mkdirSync(slurmLayout(s.dir).claimsDir, { recursive: true })
      writeFileSync(slurmLayout(s.dir).claim(key), JSON.stringify(stale))
      s.fake.cluster.foreign("100")
      const again = yield* s.run(seeds1).pipe(Effect.timeout(10_000))
      assert.strictEqual(again.tally.failed, 0)
      assert.strictEqual(again.tally.ran, 1, "square/1 computed again, by a job of its own")
      assert.strictEqual(s.counts.get(key), 2, "once per run: the first run's and this one's")
      assert.strictEqual(s.fake.cluster.jobs.get("100")!.state, "RUNNING", "the unrelated job is not cancelled")
      yield* leftNothing(s.dir, s.fake.cluster, ["100"])
    }))

  it.live("sbatch killed after the controller accepted the job: the driver finds the job by its tag and adopts it", () =>
    Effect.gen(function*() {
      const s = setup((n) => (n === 0 ? { _tag: "SbatchKilled" } : undefined))
      const r = yield* s.run([...seeds1, "squareMs=100"])
      assert.strictEqual(r.tally.failed, 0, JSON.stringify(r.summary.nodes))
      assert.strictEqual(s.fake.cluster.submitted(), 1, "not submitted again")
      assert.strictEqual(s.fake.cluster.jobs.get("100")!.state, "COMPLETED")
      assert.strictEqual(s.counts.get(squareKey(r)), 1)
      yield* leftNothing(s.dir, s.fake.cluster)
    }))

  it.live("interrupted, the driver cancels its job and unclaims it", () =>
    Effect.gen(function*() {
      const s = setup()
      const fiber = yield* Effect.forkChild(s.run([...seeds1, "squareMs=5000"]))
      for (let i = 0; i < 200 && s.fake.cluster.jobs.get("100")?.state !== "RUNNING"; i++) yield* Effect.sleep(10)
      yield* Effect.sleep(50)
      const exit = yield* Fiber.interrupt(fiber).pipe(Effect.andThen(Fiber.await(fiber)))
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(s.fake.cluster.jobs.get("100")!.state, "CANCELLED")
      yield* leftNothing(s.dir, s.fake.cluster)
    }))

  it.live("a slow sbatch interrupted: the driver answers within 2 s, and the job the controller accepted is cancelled", () =>
    Effect.gen(function*() {
      const s = setup((n) => (n === 0 ? { _tag: "SlowSbatch", ms: 30_000 } : undefined))
      const fiber = yield* Effect.forkChild(s.run([...seeds1, "squareMs=5000"]))
      for (let i = 0; i < 200 && s.fake.cluster.jobs.get("100")?.state !== "RUNNING"; i++) yield* Effect.sleep(10)
      assert.strictEqual(s.fake.cluster.jobs.get("100")?.state, "RUNNING", "the controller accepted the job")
      const t0 = Date.now()
      const exit = yield* Fiber.interrupt(fiber).pipe(Effect.andThen(Fiber.await(fiber)))
      const took = Date.now() - t0
      assert.isTrue(Exit.isFailure(exit))
      assert.isBelow(took, 2000, `answered after ${took} ms`)
      assert.strictEqual(s.fake.cluster.jobs.get("100")!.state, "CANCELLED")
      yield* leftNothing(s.dir, s.fake.cluster)
    }))

  it.live("two drivers forcing one node: the second follows the first's forced job; one submission, one computation", () =>
    Effect.gen(function*() {
      const s = setup()
      const sets = [...seeds1, "squareMs=300"]
      const first = yield* s.run(sets)
      const key = squareKey(first)
      const force = { force: (id: string) => id === "square/1" }
      const [a, b] = yield* Effect.all([s.run(sets, force), s.run(sets, force)], { concurrency: 2 })
      assert.strictEqual(a.tally.failed + b.tally.failed, 0)
      assert.strictEqual(s.fake.cluster.submitted(), 2, "the first run's job and one forced job")
      assert.strictEqual(s.counts.get(key), 2)
      // Each forced submission has its own job file.
      assert.strictEqual(readdirSync(slurmLayout(s.dir).jobsDir).filter((n) => n.startsWith(key.slice(0, 16))).length, 2)
      yield* leftNothing(s.dir, s.fake.cluster)
    }))

  it.live("gc's sweep keeps the job file, log and result of the job a live claim names, however old", () =>
    Effect.gen(function*() {
      const { dir } = diskStore()
      const paths = slurmLayout(dir)
      for (const d of [paths.jobsDir, paths.claimsDir, paths.logsDir, join(paths.dir, "results")]) mkdirSync(d, { recursive: true })
      const key = "c".repeat(64)
      const named = paths.jobFile(key, "aaaa")
      const loose = paths.jobFile(key, "bbbb")
      const kept = [named, paths.log(key, "7"), paths.result(key, "7")]
      const swept = [loose, paths.log(key, "6"), paths.result(key, "6")]
      for (const f of [...kept, ...swept]) {
        writeFileSync(f, "{}")
        utimesSync(f, new Date(0), new Date(0))
      }
      const claim: Claim = { jobId: "7", tag: "w2s:aaaa", jobFile: named, host: "h", pid: 1, submittedAt: new Date(0).toISOString(), forced: false }
      writeFileSync(paths.claim(key), JSON.stringify(claim))
      assert.strictEqual(yield* sweepFiles(dir, Date.now()), 3)
      for (const f of kept) assert.isTrue(existsSync(f), f)
      for (const f of swept) assert.isFalse(existsSync(f), f)
      rmSync(dir, { recursive: true, force: true })
    }))

  it.live("preflight refuses a stage's impossible resources with sbatch --test-only, naming the stage; merged resources keep the stage's own fields", () =>
    Effect.gen(function*() {
      const cluster = FakeSlurm.make({ exec: () => Effect.succeed(0), refuse: (flags) => (flags.includes("--gres=gpu:1") ? "Invalid generic resource (gres) specification" : undefined) })
      const graph = yield* Pipeline.graph(toy, undefined, [])
      const checks: Array<ReadonlyArray<string>> = []
      const recording = FakeSlurm.make({ exec: () => Effect.succeed(0), refuse: (flags) => void checks.push(flags) })
      yield* Preflight.checkResources(graph, { resources: { "toy-square": { memoryMb: 512 } }, extra: [] }).pipe(Effect.provide(recording.layer))
      assert.strictEqual(checks.length, 1, "one check per distinct request (two square nodes)")
      assert.includeMembers([...checks[0]!], ["--mem=512M", "--cpus-per-task=1"])
      const bad = yield* Effect.flip(Preflight.checkResources(graph, { resources: { "toy-square": { gpu: true } }, extra: [] }).pipe(Effect.provide(cluster.layer)))
      assert.strictEqual(bad.message, "--executor slurm: sbatch refuses stage toy-square's job (--cpus-per-task=1 --gres=gpu:1) (Invalid generic resource (gres) specification)")
    }))
})

describe("claims", () => {
  it.live("release unclaims under the claim lock: it waits for another driver's hold, and never removes the claim that driver wrote", () =>
    Effect.gen(function*() {
      const s = setup()
      const fiber = yield* Effect.forkChild(s.run([...seeds1, "squareMs=5000"]))
      const paths = slurmLayout(s.dir)
      const claimed = () => (existsSync(paths.claimsDir) ? readdirSync(paths.claimsDir) : []).filter((n) => !n.endsWith(".lock"))
      // The claim is written, and its lock let go, once the job is submitted.
      for (let i = 0; i < 300 && (claimed().length === 0 || readdirSync(paths.claimsDir).length > 1); i++) yield* Effect.sleep(10)
      const key = claimed()[0]!
      // Another driver takes the claim lock (to replace this claim, say) just as this one is interrupted.
      const release = yield* tryLock(paths.claimsDir, paths.claim(key))
      assert.isDefined(release)
      yield* Effect.forkChild(Fiber.interrupt(fiber))
      yield* Effect.sleep(300)
      assert.isTrue(existsSync(paths.claim(key)), "the claim was removed without its lock")
      const theirs: Claim = { jobId: "999", tag: "w2s:theirs", jobFile: "/x.json", host: "h", pid: 1, submittedAt: new Date().toISOString(), forced: false }
      writeFileSync(paths.claim(key), JSON.stringify(theirs))
      yield* unlock(release!)
      yield* Fiber.await(fiber)
      assert.strictEqual(s.fake.cluster.jobs.get("100")!.state, "CANCELLED")
      assert.deepStrictEqual(JSON.parse(readFileSync(paths.claim(key), "utf8")), theirs, "the other driver's claim was removed")
    }))

  it.live("on a site that drops job comments, a claim of a job still going is live (kept by the sweep); one over is not", () =>
    Effect.gen(function*() {
      const { dir } = diskStore()
      const paths = slurmLayout(dir)
      const cluster = FakeSlurm.make({ exec: () => Effect.never, dropComments: true })
      const live = yield* cluster.client.submit({ flags: [], cacheDir: dir, jobFile: "/j.json", tag: "w2s:live" })
      const over = yield* cluster.client.submit({ flags: [], cacheDir: dir, jobFile: "/j.json", tag: "w2s:over" })
      yield* cluster.client.cancel([over])
      mkdirSync(paths.claimsDir, { recursive: true })
      const claim = (jobId: string, tag: string): Claim => ({ jobId, tag, jobFile: "/j.json", host: "h", pid: 1, submittedAt: new Date().toISOString(), forced: false })
      writeFileSync(paths.claim("a".repeat(64)), JSON.stringify(claim(live, "w2s:live")))
      writeFileSync(paths.claim("b".repeat(64)), JSON.stringify(claim(over, "w2s:over")))
      assert.strictEqual(yield* sweepClaims(dir).pipe(Effect.provide(cluster.layer)), 1)
      assert.deepStrictEqual(readdirSync(paths.claimsDir), ["a".repeat(64)])
      yield* cluster.shutdown
      rmSync(dir, { recursive: true, force: true })
    }))

  it.live("gc's claim sweep removes claims of jobs over or of reused ids, under the lock; keeps live claims and other files", () =>
    Effect.gen(function*() {
      const { dir } = diskStore()
      const paths = slurmLayout(dir)
      const cluster = FakeSlurm.make({ exec: () => Effect.never })
      const live = yield* cluster.client.submit({ flags: [], cacheDir: dir, jobFile: "/j.json", tag: "w2s:live" })
      const over = yield* cluster.client.submit({ flags: [], cacheDir: dir, jobFile: "/j.json", tag: "w2s:over" })
      yield* cluster.client.cancel([over])
      cluster.foreign("555")
      mkdirSync(paths.claimsDir, { recursive: true })
      const claim = (jobId: string, tag: string): Claim => ({ jobId, tag, jobFile: "/j.json", host: "h", pid: 1, submittedAt: new Date().toISOString(), forced: false })
      writeFileSync(paths.claim("a".repeat(64)), JSON.stringify(claim(live, "w2s:live")))
      writeFileSync(paths.claim("b".repeat(64)), JSON.stringify(claim(over, "w2s:over")))
      writeFileSync(paths.claim("c".repeat(64)), JSON.stringify(claim("555", "w2s:mine")))
      writeFileSync(paths.claim("d".repeat(64)), JSON.stringify(claim("777", "w2s:gone")))
      writeFileSync(paths.claim("not-a-claim"), "x")
      assert.strictEqual(yield* sweepClaims(dir).pipe(Effect.provide(cluster.layer)), 3)
      assert.deepStrictEqual(readdirSync(paths.claimsDir).sort(), ["a".repeat(64), "not-a-claim"])
      yield* cluster.shutdown
      rmSync(dir, { recursive: true, force: true })
    }))
})
