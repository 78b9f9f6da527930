// The correctness property, after Build Systems a la Carte: from any reachable cache state, a run
// gives the outputs of a run from an empty cache (correct), and two runs started together from that
// state compute each key at most once between them (minimal). Checked over every executor, store
// layer and runner: local x {memory, disk} x {inline, worker threads}, and the Slurm executor over
// the fake cluster (src/slurm/FakeSlurm.ts, in process, no cluster needed) x {memory, disk}. The
// state is reached by runs, kills of a runner, interrupts (Ctrl-C) at random moments, the fake's
// faults (requeue, node failure, time limit, sbatch killed after acceptance) and damage made only
// through the store contract's Damage service; the two final runs meet the fake's non-fatal faults. A rebuilder without its re-check under the lock is a mutant the
// property must catch (the last tests). The same mutation made in the source (the re-check in
// src/Rebuilder.ts guarded by `&& process.env.MUTATE_RECHECK !== "1"`, then
// `MUTATE_RECHECK=1 npx vitest run test/correctness.test.ts -t "inline"`) fails the memory and disk
// inline properties on the first case, an empty cache: "keys computed twice after []".
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import fc from "fast-check"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Pipeline from "../src/Pipeline.ts"
import * as Rebuilder from "../src/Rebuilder.ts"
import * as Reporter from "../src/Reporter.ts"
import { Runner } from "../src/Runner.ts"
import * as Scheduler from "../src/Scheduler.ts"
import type * as Store from "../src/Store.ts"
import type * as FakeSlurm from "../src/slurm/FakeSlurm.ts"
import toy from "../pipelines/toy.ts"
import {
  damage,
  diskStore,
  memoryStore,
  objects,
  outputsOf,
  planPipeline,
  records,
  runnerLayer,
  type RunnerKind,
  runPipeline,
  type TestStore
} from "./helpers.ts"
import { countingRunner as counting, fakeSlurm, type RunnerLayer } from "./slurm-fake-helpers.ts"

type Op =
  | { readonly op: "run"; readonly sets: ReadonlyArray<string>; readonly fault?: FakeSlurm.Fault | undefined }
  | { readonly op: "crash"; readonly sets: ReadonlyArray<string>; readonly after: number }
  | { readonly op: "interrupt"; readonly sets: ReadonlyArray<string>; readonly afterMs: number; readonly fault?: FakeSlurm.Fault | undefined }
  | { readonly op: "dropRecord"; readonly pick: number }
  | { readonly op: "dropObject"; readonly pick: number }
  | { readonly op: "truncateRecord"; readonly pick: number }
  | { readonly op: "flipObject"; readonly pick: number }

const variant = fc.record({ clip: fc.constantFrom(50, 90, 150), n: fc.constantFrom(30, 50) }).map((v) => [`clip=${v.clip}`, `n=${v.n}`])
/** The fake's faults that a run survives (the node is computed all the same). */
const survivable: fc.Arbitrary<FakeSlurm.Fault> = fc.oneof(
  fc.nat(30).map((afterMs) => ({ _tag: "Requeue" as const, afterMs })),
  fc.nat(30).map((afterMs) => ({ _tag: "NodeFail" as const, afterMs })),
  fc.constant({ _tag: "SbatchKilled" as const })
)
/** Any fault, those that fail the node included. */
const anyFault: fc.Arbitrary<FakeSlurm.Fault> = fc.oneof(
  survivable,
  fc.nat(30).map((afterMs) => ({ _tag: "TimeLimit" as const, afterMs })),
  fc.nat(30).map((afterMs) => ({ _tag: "NodeFail" as const, afterMs, requeue: false }))
)
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(variant, fc.option(anyFault, { nil: undefined })).map(([sets, fault]) => ({ op: "run" as const, sets, fault })),
  fc.tuple(variant, fc.nat(60), fc.option(anyFault, { nil: undefined })).map(([sets, afterMs, fault]) => ({ op: "interrupt" as const, sets, afterMs, fault })),
  fc.tuple(variant, fc.nat(12)).map(([sets, after]) => ({ op: "crash" as const, sets, after })),
  fc.nat().map((pick) => ({ op: "dropRecord" as const, pick })),
  fc.nat().map((pick) => ({ op: "dropObject" as const, pick })),
  fc.nat().map((pick) => ({ op: "truncateRecord" as const, pick })),
  fc.nat().map((pick) => ({ op: "flipObject" as const, pick }))
)

class Crash extends Error {}


/** A runner that dies after its `after`-th node has written its objects but before the record: a kill. */
const crashing = (inner: RunnerLayer, after: number): RunnerLayer =>
  Layer.effect(
    Runner,
    Effect.gen(function*() {
      const runner = yield* Runner
      let n = 0
      return { run: (job, events) => Effect.flatMap(runner.run(job, events), (r) => (++n > after ? Effect.die(new Crash()) : Effect.succeed(r))) }
    })
  ).pipe(Layer.provide(inner))


const pick = <A>(xs: ReadonlyArray<A>, i: number) => (xs.length ? xs[i % xs.length] : undefined)

type RebuilderLayer = Layer.Layer<Rebuilder.Rebuilder, never, Store.Store | Runner>

/** The rebuilder of an executor over `store`, its jobs (Slurm) running with `runner` and meeting `faults`. */
type Executor = (store: TestStore, runner: RunnerLayer, faults?: (n: number) => FakeSlurm.Fault | undefined) => RebuilderLayer

const executors = {
  local: () => Rebuilder.Rebuilder.layer,
  "slurm-fake": (store, runner, faults) => fakeSlurm(store, runner, { faults, cacheDir: cacheDirs.get(store) }).rebuilder
} satisfies Record<string, Executor>
type ExecutorKind = keyof typeof executors

// The Slurm executor keeps its claims and job files beside a disk store's objects; a memory store gets a temp dir.
const cacheDirs = new WeakMap<TestStore, string>()

const apply = (store: TestStore, runner: RunnerLayer, op: Op, executor: Executor) =>
  Effect.gen(function*() {
    const objectHashes = Effect.map(objects(store).list, (os) => os.map((o) => o.hash).sort())
    const recordKeys = Effect.map(records(store).list, (rs) => rs.map((r) => r.key).sort())
    const faults = "fault" in op ? () => op.fault : undefined
    switch (op.op) {
      case "run":
        return void (yield* runPipeline(store, toy, op.sets, {}, undefined, { runner, rebuilder: executor(store, runner, faults) }))
      case "interrupt": {
        // Ctrl-C at a random moment: everything in flight is cancelled, nothing half-done is trusted.
        const fiber = yield* Effect.forkChild(runPipeline(store, toy, op.sets, {}, undefined, { runner, rebuilder: executor(store, runner, faults) }))
        yield* Effect.sleep(op.afterMs)
        return void (yield* Fiber.interrupt(fiber))
      }
      case "crash": {
        const graph = yield* Pipeline.graph(toy, undefined, op.sets)
        const layer = executor(store, crashing(runner, op.after)).pipe(Layer.provideMerge(crashing(runner, op.after)), Layer.provideMerge(Reporter.layerSilent))
        return void (yield* Effect.exit(Scheduler.run(graph, { jobs: 2 }).pipe(Effect.provide(layer), Effect.provide(store))))
      }
      case "dropRecord": {
        const k = pick(yield* recordKeys, op.pick)
        if (k) yield* damage(store).deleteRecord(k)
        return
      }
      case "dropObject": {
        const h = pick(yield* objectHashes, op.pick)
        if (h) yield* damage(store).deleteObject(h)
        return
      }
      case "truncateRecord": {
        const k = pick(yield* recordKeys, op.pick)
        if (k) yield* damage(store).truncateRecord(k, 40)
        return
      }
      case "flipObject": {
        const h = pick(yield* objectHashes, op.pick)
        if (h) yield* damage(store).flipObjectByte(h)
      }
    }
  })

type StoreKind = "memory" | "disk"
const open = (kind: StoreKind): { readonly store: TestStore; readonly close: () => void } => {
  if (kind === "memory") {
    const { store } = memoryStore()
    const dir = mkdtempSync(join(tmpdir(), "w2s-claims-"))
    cacheDirs.set(store, dir)
    return { store, close: () => rmSync(dir, { recursive: true, force: true }) }
  }
  const { store, dir } = diskStore()
  cacheDirs.set(store, dir)
  return { store, close: () => rmSync(dir, { recursive: true, force: true }) }
}

const target = ["clip=90", "n=50"]

/** The outputs of `target` run from an empty cache. */
const reference = Effect.gen(function*() {
  const clean = memoryStore()
  const ref = yield* runPipeline(clean.store, toy, target)
  assert.strictEqual(ref.tally.ran, 11)
  return outputsOf(clean.store, yield* planPipeline(clean.store, toy, target))
})

/**
 * The property for one store and runner kind: after `ops`, two runs of `target` started together
 * both succeed, end with the reference outputs, and compute no key twice between them.
 */
const property = (
  storeKind: StoreKind,
  runnerKind: RunnerKind,
  expected: Record<string, unknown>,
  executorKind: ExecutorKind = "local",
  mutant?: RebuilderLayer
) =>
  fc.asyncProperty(fc.array(opArb, { maxLength: 5 }), fc.array(survivable, { maxLength: 4 }), async (ops, finalFaults) => {
    const { store, close } = open(storeKind)
    const executor: Executor = mutant ? () => mutant : executors[executorKind]
    try {
      const runner = runnerLayer(runnerKind)
      for (const op of ops) await Effect.runPromise(apply(store, runner, op, executor))
      const counts = new Map<string, number>()
      const both = Effect.gen(function*() {
        // Two drivers on one cluster (one fake for both), meeting its non-fatal faults.
        const rebuilder = executor(store, counting(runner, counts), (n) => finalFaults[n])
        const using = { runner: counting(runner, counts), rebuilder }
        const a = yield* Effect.forkChild(runPipeline(store, toy, target, {}, undefined, using))
        const b = yield* Effect.forkChild(runPipeline(store, toy, target, {}, undefined, using))
        return [yield* Fiber.join(a), yield* Fiber.join(b)] as const
      })
      const runs = await Effect.runPromise(both)
      for (const r of runs) if (r.tally.failed) throw new Error(`run failed after ${JSON.stringify(ops)}: ${JSON.stringify(r.summary.nodes.filter((n) => n.outcome === "failed"))}`)
      const got = outputsOf(store, await Effect.runPromise(planPipeline(store, toy, target)))
      assert.deepStrictEqual(got, expected, `outputs after ${JSON.stringify(ops)}`)
      const twice = [...counts].filter(([, n]) => n > 1)
      assert.deepStrictEqual(twice, [], `keys computed twice after ${JSON.stringify(ops)}`)
    } finally {
      close()
    }
  })

// Runs per combination: the memory x inline one is cheap; workers start a thread per heavy node and
// the disk store's lock waits poll every 200 ms, so those take longer per run.
const combos: ReadonlyArray<readonly [ExecutorKind, StoreKind, RunnerKind, number]> = [
  ["local", "memory", "inline", 60],
  ["local", "memory", "workers", 10],
  ["local", "disk", "inline", 12],
  ["local", "disk", "workers", 8],
  ["slurm-fake", "memory", "inline", 15],
  ["slurm-fake", "disk", "inline", 8]
]

describe("correctness property", () => {
  for (const [executorKind, storeKind, runnerKind, numRuns] of combos) {
    it.live(`${executorKind} executor x ${storeKind} store x ${runnerKind}: from any reachable cache state, correct and minimal`, () =>
      Effect.gen(function*() {
        const expected = yield* reference
        assert.isTrue(Object.values(expected).every((o) => o !== undefined))
        yield* Effect.promise(() => fc.assert(property(storeKind, runnerKind, expected, executorKind), { numRuns }))
      }), 300_000)
  }

  for (const storeKind of ["memory", "disk"] as const) {
    it.live(`catches a rebuilder whose re-check under the lock is disabled (${storeKind} store)`, () =>
      Effect.gen(function*() {
        const expected = yield* reference
        const mutant = Layer.effect(Rebuilder.Rebuilder, Rebuilder.make({ recheck: false }))
        const result = yield* Effect.promise(() => fc.check(property(storeKind, "inline", expected, "local", mutant), { numRuns: 5 }))
        assert.isTrue(result.failed, "the property passed with the re-check disabled")
        assert.match(String(result.errorInstance), /keys computed twice/)
      }), 120_000)
  }
})
