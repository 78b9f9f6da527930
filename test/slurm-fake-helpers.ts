// The Slurm executor over the fake cluster (src/slurm/FakeSlurm.ts), in process: jobs run exec-node's
// program (`execJob`) against the test's own store, with a runner that counts each key's stage runs.
import { Effect, Layer } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { execJob } from "../src/cli/execNode.ts"
import type * as Rebuilder from "../src/Rebuilder.ts"
import { Runner } from "../src/Runner.ts"
import * as Executor from "../src/slurm/Executor.ts"
import * as FakeSlurm from "../src/slurm/FakeSlurm.ts"
import type * as Store from "../src/Store.ts"
import type { TestStore } from "./helpers.ts"

export type RunnerLayer = Layer.Layer<Runner, never, Store.Objects>

/**
 * A runner that counts, per key, the stage runs that succeeded, and takes a little while first, so
 * that two concurrent runs meet at the lock of a key.
 */
export const countingRunner = (inner: RunnerLayer, counts: Map<string, number>): RunnerLayer =>
  Layer.effect(
    Runner,
    Effect.gen(function*() {
      const runner = yield* Runner
      return {
        run: (job, events) =>
          Effect.andThen(Effect.sleep(5), runner.run(job, events)).pipe(
            Effect.tap(() => Effect.sync(() => void counts.set(job.key, (counts.get(job.key) ?? 0) + 1)))
          )
      }
    })
  ).pipe(Layer.provide(inner))

export interface FakeSetup {
  readonly cluster: FakeSlurm.FakeCluster
  /** the Slurm rebuilder over the fake cluster (a layer for `runPipeline`'s `using.rebuilder`) */
  readonly rebuilder: Layer.Layer<Rebuilder.Rebuilder, never, Store.Store | Runner>
  readonly cacheDir: string
}

/**
 * A fake cluster whose jobs run against `store` with `runner`, and the Slurm rebuilder over it.
 * `cacheDir` holds the executor's files (claims, job files, logs, results): the disk store's own
 * directory, or a fresh one for a memory store.
 */
export const fakeSlurm = (
  store: TestStore,
  runner: RunnerLayer,
  options: Omit<FakeSlurm.FakeSlurmOptions, "exec"> & { readonly cacheDir?: string | undefined; readonly resources?: Executor.SlurmOptions["resources"] } = {}
): FakeSetup => {
  const cacheDir = options.cacheDir ?? mkdtempSync(join(tmpdir(), "w2s-fake-slurm-"))
  const cluster = FakeSlurm.make({
    ...options,
    exec: (request, jobId, write) =>
      execJob({ cacheDir: request.cacheDir, jobFile: request.jobFile, jobId, stamp: true, write }).pipe(
        Effect.provide(runner),
        Effect.provide(store)
      )
  })
  const rebuilder = Executor.layer({ cacheDir, extra: [], pollMs: 10, recordVisibleS: 1, resources: options.resources }).pipe(Layer.provide(cluster.layer))
  return { cluster, rebuilder, cacheDir }
}
