/** `pipeline verify`: re-hash every object and check every record; report (and optionally drop) damage. */
import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { short } from "../Key.ts"
import { Objects, Records } from "../Store.ts"
import { storeLayer } from "./App.ts"
import { bytes, duration } from "./format.ts"

export const verify = Command.make(
  "verify",
  { repair: Flag.Boolean("repair").pipe(Flag.withDescription("Delete what is damaged so the next run recomputes it"), Flag.withDefault(false)) },
  Effect.fn(function*(a) {
    const t0 = Date.now()
    const store = { records: yield* Records, objects: yield* Objects }
    const damage: Array<string> = []
    const records = yield* store.records.list
    const objects = yield* store.objects.list
    const badObjects = new Set<string>()
    for (const o of objects) {
      const problem = yield* store.objects.check(o.hash)
      if (problem) {
        damage.push(`object ${short(o.hash)}: ${problem}`)
        badObjects.add(o.hash)
      }
    }
    const badRecords: Array<string> = []
    for (const r of records) {
      if (r.lookup._tag === "Damaged") {
        damage.push(`record ${short(r.key)}: ${r.lookup.reason}`)
        badRecords.push(r.key)
      } else if (r.lookup._tag === "Present") {
        const bad = Object.entries(r.lookup.record.outputs).filter(([, o]) => badObjects.has(o.hash))
        if (bad.length) {
          damage.push(`record ${short(r.key)} (${r.lookup.record.node}): output ${bad.map(([p]) => p).join(", ")} damaged`)
          badRecords.push(r.key)
        }
      }
    }
    const total = objects.reduce((s, o) => s + o.size, 0)
    yield* Console.log(`checked ${records.length} records and ${objects.length} objects (${bytes(total)}) in ${store.objects.location} in ${duration(Date.now() - t0)}`)
    if (damage.length === 0) return yield* Console.log("no damage found")
    yield* Console.log(`${damage.length} problem${damage.length > 1 ? "s" : ""}:\n  ${damage.join("\n  ")}`)
    if (a.repair) {
      for (const k of badRecords) yield* store.records.remove(k)
      for (const h of badObjects) yield* store.objects.remove(h)
      yield* Console.log(`removed ${badRecords.length} records and ${badObjects.size} objects; the next run recomputes them`)
    } else {
      process.exitCode = 1
    }
  })
).pipe(Command.provide(storeLayer), Command.withDescription("Re-hash the store and report damage (exit 1 if any; --repair drops it)"))
