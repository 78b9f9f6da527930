/**
 * `pipeline gc`: remove what nothing still needs. Its roots are every preset of every known pipeline
 * (what `Reach.reach` says a preset's graph needs, whatever state its inputs are in) and the runs of
 * the last `--keep-runs` days (the keys each run's summary holds, so `--set` sweeps survive).
 * Anything written within the `--grace` period, or since the start of a run still in progress, stays
 * too. Each record or object that goes is printed with why and how many bytes it frees (a record
 * frees the objects only it references); without `--dry-run` each line is printed once its removal
 * succeeded, so a failure (a read-only cache) stops gc having claimed nothing it did not do.
 */
import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { messageOf, UsageError } from "../Errors.ts"
import * as Pipeline from "../Pipeline.ts"
import * as Reach from "../Reach.ts"
import { type ObjectInfo, Objects, type RecordInfo, Records, Runs } from "../Store.ts"
import { sweepClaims } from "../slurm/Claims.ts"
import { SlurmClient } from "../slurm/Client.ts"
import { onPath, sweepFiles } from "../slurm/Sweep.ts"
import { App, cacheDir, storeLayer } from "./App.ts"
import { bytes } from "./format.ts"

const DAY = 86_400_000

const ago = (ms: number): string =>
  ms >= 2 * DAY ? `${Math.floor(ms / DAY)} days` : ms >= 2 * 3600_000 ? `${Math.floor(ms / 3600_000)} h` : `${Math.max(0, Math.floor(ms / 60_000))} min`

/** Why a record is kept; the first that applies. */
type Kept = "preset" | "preset-inputs-unknown" | "run" | "recent"

export const gc = Command.make(
  "gc",
  {
    dryRun: Flag.Boolean("dry-run").pipe(Flag.withDescription("List what would be removed, and why; remove nothing"), Flag.withDefault(false)),
    grace: Flag.Int("grace").pipe(
      Flag.withDescription("Keep anything written in the last N minutes (a run may still need it); default 60"),
      Flag.withDefault(60)
    ),
    keepRuns: Flag.Int("keep-runs").pipe(
      Flag.withDescription("Keep what the runs of the last N days used or made (sweeps with --set included); 0: presets only; default 30"),
      Flag.withDefault(30)
    )
  },
  Effect.fn(function*(a) {
    if (a.grace < 0) return yield* Effect.fail(new UsageError({ message: `--grace must be 0 or more minutes, got ${a.grace}` }))
    if (a.keepRuns < 0) return yield* Effect.fail(new UsageError({ message: `--keep-runs must be 0 or more days, got ${a.keepRuns}` }))
    const app = yield* App
    const records = yield* Records
    const objects = yield* Objects
    const runs = yield* Runs
    const now = Date.now()

    // Roots: the presets of every pipeline, then the recent runs.
    const presetKeys = new Set<string>()
    const patterns: Array<Reach.Pattern> = []
    for (const p of app.pipelines) {
      for (const preset of Object.keys(p.presets)) {
        const reached = Reach.reach(yield* Pipeline.graph(p, preset, []), records)
        for (const k of reached.keys) presetKeys.add(k)
        patterns.push(...reached.patterns)
      }
    }
    const runKeys = new Set<string>()
    let recentRuns = 0
    for (const entry of yield* runs.history) {
      if (entry._tag === "Unreadable") {
        yield* Console.error(`warning: run summary ${entry.id} is unreadable (${entry.reason}): what that run used is not kept for it`)
        continue
      }
      const s = entry.summary
      if (a.keepRuns > 0 && Date.parse(s.startedAt) + s.durationMs >= now - a.keepRuns * DAY) {
        recentRuns++
        for (const k of s.keys) runKeys.add(k)
      }
    }
    const matchesNode = Reach.matcher(patterns)

    // Nothing written since the start of a run still in progress goes, whatever the grace period.
    const activeSince = yield* runs.activeSince
    const cutoff = Math.min(now - a.grace * 60_000, activeSince === undefined ? Infinity : activeSince - 1000)
    if (activeSince !== undefined) yield* Console.log(`a run is in progress (since ${new Date(activeSince).toISOString()}): keeping what it may need`)

    const kept = new Map<Kept, number>([["preset", 0], ["preset-inputs-unknown", 0], ["run", 0], ["recent", 0]])
    const keepObjects = new Set<string>()
    const doomed: Array<RecordInfo> = []
    for (const r of yield* records.list) {
      const record = r.lookup._tag === "Present" ? r.lookup.record : undefined
      const why: Kept | undefined = presetKeys.has(r.key)
        ? "preset"
        : record && matchesNode(record)
        ? "preset-inputs-unknown"
        : runKeys.has(r.key)
        ? "run"
        : r.mtimeMs >= cutoff
        ? "recent"
        : undefined
      if (why === undefined) {
        doomed.push(r)
        continue
      }
      kept.set(why, kept.get(why)! + 1)
      // Objects of records that stay stay too.
      if (record) for (const o of Object.values(record.outputs)) keepObjects.add(o.hash)
    }

    // An object goes when no record that stays references it and it is older than the cutoff; the
    // bytes a record frees are those of the objects that only it references.
    const unreached = (yield* objects.list).filter((o) => !keepObjects.has(o.hash) && o.mtimeMs < cutoff)
    const unreachedByHash = new Map(unreached.map((o) => [o.hash, o]))
    const owners = new Map<string, Array<string>>()
    for (const r of doomed) {
      if (r.lookup._tag !== "Present") continue
      for (const o of new Set(Object.values(r.lookup.record.outputs).map((x) => x.hash))) {
        if (unreachedByHash.has(o)) owners.set(o, [...(owners.get(o) ?? []), r.key])
      }
    }
    const own = new Map<string, Array<ObjectInfo>>()
    const loose: Array<ObjectInfo> = []
    for (const o of unreached) {
      const by = owners.get(o.hash)
      if (by?.length === 1) own.set(by[0]!, [...(own.get(by[0]!) ?? []), o])
      else loose.push(o)
    }

    const unreachedWhy = a.keepRuns > 0
      ? `not reached by any preset or by a run in the last ${a.keepRuns} days`
      : "not reached by any preset (runs are not roots with --keep-runs 0)"
    const grace = (mtimeMs: number) => `written ${ago(now - mtimeMs)} ago, past the grace period (${a.grace} min)`
    const verb = a.dryRun ? "would remove" : "removed"
    const recordLine = (r: RecordInfo, freed: number) => {
      const what = r.lookup._tag === "Present" ? ` ${r.lookup.record.pipeline}/${r.lookup.record.node}` : ""
      const damaged = r.lookup._tag === "Damaged" ? `; damaged: ${r.lookup.reason}` : ""
      return `${verb} record ${r.key.slice(0, 12)}${what}, frees ${bytes(freed)}: ${unreachedWhy}${damaged}; ${grace(r.mtimeMs)}`
    }
    const objectLine = (o: ObjectInfo) => {
      const n = owners.get(o.hash)?.length ?? 0
      const whose = n > 1 ? `shared only by ${n} records that go` : "referenced by no record that stays"
      return `${verb} object ${o.hash.slice(0, 12)}, frees ${bytes(o.size)}: ${whose}; ${grace(o.mtimeMs)}`
    }
    const sizeOf = (os: ReadonlyArray<ObjectInfo> | undefined) => (os ?? []).reduce((s, o) => s + o.size, 0)
    const goneRecords = new Set(doomed.map((r) => r.key))
    const refs = (yield* records.listRefs).filter((r) => goneRecords.has(r.key))

    let removedRecords = 0
    let removedObjects = 0
    let freed = 0
    const removal = Effect.gen(function*() {
      // A record goes before the objects it references: a record never outlives its objects.
      for (const r of doomed) {
        if (!a.dryRun) {
          yield* records.remove(r.key)
          removedRecords++
          for (const o of own.get(r.key) ?? []) {
            yield* objects.remove(o.hash)
            removedObjects++
            freed += o.size
          }
        }
        yield* Console.log(recordLine(r, sizeOf(own.get(r.key))))
      }
      if (!a.dryRun) for (const ref of refs) yield* records.removeRef(ref)
      for (const o of loose) {
        if (!a.dryRun) {
          yield* objects.remove(o.hash)
          removedObjects++
          freed += o.size
        }
        yield* Console.log(objectLine(o))
      }
    })
    yield* removal.pipe(
      Effect.tapError((e) =>
        removedRecords + removedObjects > 0
          ? Console.error(`gc stopped (${messageOf(e)}) having removed ${removedRecords} records and ${removedObjects} objects (${bytes(freed)})`)
          : Effect.void
      )
    )
    const dir = yield* cacheDir
    // Claims of Slurm jobs that are over (or whose id Slurm gave another job): only where Slurm answers.
    const staleClaims = a.dryRun || !onPath("squeue")
      ? 0
      : yield* sweepClaims(dir).pipe(Effect.provide(SlurmClient.layer), Effect.timeout(60_000), Effect.orElseSucceed(() => 0))
    const swept = a.dryRun ? 0 : (yield* runs.sweepLeftovers) + (yield* sweepFiles(dir, cutoff)) + staleClaims
    const keptParts = [
      `kept ${kept.get("preset")! + kept.get("preset-inputs-unknown")!} records reached by presets` +
      (kept.get("preset-inputs-unknown") ? ` (${kept.get("preset-inputs-unknown")} of nodes whose inputs must be recomputed first)` : ""),
      a.keepRuns > 0 ? `${kept.get("run")} more used by ${recentRuns} runs of the last ${a.keepRuns} days` : "none for runs (--keep-runs 0)",
      `${kept.get("recent")} more written within the grace period`
    ]
    yield* Console.log(
      `${verb} ${doomed.length} records and ${unreached.length} objects (${bytes(sizeOf(unreached))}); ${keptParts.join(", ")}` +
        (swept ? `; cleared ${swept} leftovers of dead processes, old Slurm job files and stale claims` : "")
    )
  })
).pipe(Command.provide(storeLayer), Command.withDescription("Remove records and objects that no preset of any pipeline and no recent run reaches"))
