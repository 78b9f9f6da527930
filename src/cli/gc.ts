/** `pipeline gc`: remove what no preset of any known pipeline reaches. */
import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import * as Pipeline from "../Pipeline.ts"
import * as Planner from "../Planner.ts"
import { Objects, Records, Runs } from "../Store.ts"
import { sweepClaims } from "../slurm/Claims.ts"
import { onPath, SlurmClient } from "../slurm/Client.ts"
import * as Slurm from "../slurm/Executor.ts"
import { App, cacheDir, storeLayer } from "./App.ts"
import { bytes } from "./format.ts"

export const gc = Command.make(
  "gc",
  {
    dryRun: Flag.Boolean("dry-run").pipe(Flag.withDescription("List what would be removed; remove nothing"), Flag.withDefault(false)),
    grace: Flag.Int("grace").pipe(
      Flag.withDescription("Keep anything written in the last N minutes (a run may still need it); default 60"),
      Flag.withDefault(60)
    )
  },
  Effect.fn(function*(a) {
    const app = yield* App
    const records = yield* Records
    const objects = yield* Objects
    const runs = yield* Runs
    const keepRecords = new Set<string>()
    const keepObjects = new Set<string>()
    for (const p of app.pipelines) {
      for (const preset of Object.keys(p.presets)) {
        const graph = yield* Pipeline.graph(p, preset, [])
        for (const n of Planner.plan(graph, records).nodes) {
          if (n.record) {
            keepRecords.add(n.record.key)
            for (const o of Object.values(n.record.outputs)) keepObjects.add(o.hash)
          }
        }
      }
    }
    // Nothing written since the start of a run still in progress goes, whatever the grace period.
    const activeSince = yield* runs.activeSince
    const cutoff = Math.min(Date.now() - a.grace * 60_000, activeSince === undefined ? Infinity : activeSince - 1000)
    if (activeSince !== undefined) yield* Console.log(`a run is in progress (since ${new Date(activeSince).toISOString()}): keeping what it may need`)
    const all = yield* records.list
    const doomed = all.filter((r) => !keepRecords.has(r.key) && r.mtimeMs < cutoff)
    // Objects of records that stay (recent ones included) stay too.
    const goneRecords = new Set(doomed.map((r) => r.key))
    for (const r of all) {
      if (!goneRecords.has(r.key) && r.lookup._tag === "Present") for (const o of Object.values(r.lookup.record.outputs)) keepObjects.add(o.hash)
    }
    const unreached = (yield* objects.list).filter((o) => !keepObjects.has(o.hash) && o.mtimeMs < cutoff)
    const refs = (yield* records.listRefs).filter((r) => goneRecords.has(r.key))
    const size = unreached.reduce((s, o) => s + o.size, 0)
    const verb = a.dryRun ? "would remove" : "removed"
    for (const r of doomed) yield* Console.log(`${verb} record ${r.key.slice(0, 12)}${r.lookup._tag === "Present" ? ` (${r.lookup.record.pipeline}/${r.lookup.record.node})` : ""}`)
    for (const o of unreached) yield* Console.log(`${verb} object ${o.hash.slice(0, 12)} (${bytes(o.size)})`)
    if (!a.dryRun) {
      // Records first: a record never outlives its objects.
      for (const r of doomed) yield* records.remove(r.key)
      for (const r of refs) yield* records.removeRef(r)
      for (const o of unreached) yield* objects.remove(o.hash)
    }
    const dir = yield* cacheDir
    // Claims of Slurm jobs that are over (or whose id Slurm gave another job): only where Slurm answers.
    const staleClaims = a.dryRun || !onPath("squeue")
      ? 0
      : yield* sweepClaims(dir).pipe(Effect.provide(SlurmClient.layer), Effect.timeout(60_000), Effect.orElseSucceed(() => 0))
    const swept = a.dryRun ? 0 : (yield* runs.sweepLeftovers) + (yield* Slurm.sweepFiles(dir, cutoff)) + staleClaims
    yield* Console.log(
      `${verb} ${doomed.length} records and ${unreached.length} objects (${bytes(size)}); kept ${keepRecords.size} records reached by presets` +
        (swept ? `; cleared ${swept} leftovers of dead processes, old Slurm job files and stale claims` : "")
    )
  })
).pipe(Command.provide(storeLayer), Command.withDescription("Remove records and objects no preset of any pipeline reaches"))
