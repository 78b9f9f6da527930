// One contract, run against both store layers (the disk store and the in-memory test double),
// damaging them through the contract's own Damage service; then what only the disk layer has.
import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Effect, Exit, Fiber } from "effect"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { TEMP_LEASE_MS, tempLeftOver } from "../src/store/Disk.ts"
import { sha256 } from "../src/Key.ts"
import type { NodeRecord } from "../src/Record.ts"
import { Locks, Runs } from "../src/Store.ts"
import { newRunId, type RunSummary } from "../src/store/Runs.ts"
import { damage, diskStore, memoryStore, objects, records, type TestStore } from "./helpers.ts"

const recordFor = (key: string, outputs: NodeRecord["outputs"]): NodeRecord => ({
  format: 1,
  key,
  pipeline: "p",
  node: "n",
  stage: "s",
  version: 1,
  fingerprint: "f",
  params: { a: 1 },
  inputs: {},
  outputs,
  startedAt: new Date(0).toISOString(),
  finishedAt: new Date(0).toISOString(),
  durationMs: 0,
  facts: {},
  log: ["hello"],
  host: { hostname: "h", pid: 1, node: "v20" }
})

const summaryFor = (id: string): RunSummary => ({
  format: 1,
  id,
  pipeline: "p",
  preset: "default",
  sets: ["clip=40"],
  paramsFiles: [],
  targets: [],
  force: [],
  startedAt: new Date(0).toISOString(),
  durationMs: 12,
  counts: { ran: 1, cached: 2, reused: 0, failed: 0, skipped: 0, cancelled: 0 },
  exit: 0,
  interrupted: false,
  keys: [sha256("a"), sha256("b")],
  host: { hostname: "h", pid: 1 }
})

const contract = (name: string, make: () => TestStore) =>
  describe(`store contract: ${name}`, () => {
    const bytes = new TextEncoder().encode("some artifact bytes")
    const key = sha256("key-1")

    it.effect("objects are addressed by their sha256 and read back verified", () =>
      Effect.gen(function*() {
        const store = make()
        const obj = objects(store)
        const ref = yield* obj.put(bytes)
        assert.strictEqual(ref.hash, sha256(bytes))
        assert.deepStrictEqual([...(yield* obj.get(ref.hash))], [...bytes])
        assert.strictEqual(yield* obj.check(ref.hash), undefined)
        assert.strictEqual(obj.sizeOf(ref.hash), bytes.byteLength)
        assert.deepStrictEqual((yield* obj.list).map((o) => [o.hash, o.size]), [[ref.hash, bytes.byteLength]])
        yield* damage(store).flipObjectByte(ref.hash)
        const exit = yield* Effect.exit(obj.get(ref.hash))
        assert.isTrue(Exit.isFailure(exit))
        assert.match((yield* obj.check(ref.hash)) ?? "", /does not match its hash/)
        yield* obj.remove(ref.hash)
        assert.strictEqual(obj.sizeOf(ref.hash), undefined)
        assert.match((yield* obj.check(ref.hash)) ?? "", /is missing/)
      }))

    it.effect("a committed record is found with its ref; absent keys are absent; list and remove", () =>
      Effect.gen(function*() {
        const store = make()
        const rec = records(store)
        const ref = yield* objects(store).put(bytes)
        assert.strictEqual(rec.lookup(key)._tag, "Absent")
        yield* rec.commit(recordFor(key, { out: { ...ref, kind: "json" } }))
        assert.strictEqual(rec.lookup(key)._tag, "Present")
        assert.deepStrictEqual((rec.read(key) as { record: NodeRecord }).record.log, ["hello"])
        assert.strictEqual(rec.previousKey("p", "n"), key)
        assert.deepStrictEqual((yield* rec.list).map((r) => [r.key, r.lookup._tag]), [[key, "Present"]])
        assert.deepStrictEqual(yield* rec.listRefs, [{ pipeline: "p", node: "n", key }])
        yield* rec.removeRef({ pipeline: "p", node: "n", key })
        assert.strictEqual(rec.previousKey("p", "n"), undefined)
        yield* rec.remove(key)
        assert.strictEqual(rec.lookup(key)._tag, "Absent")
      }))

    it.effect("a node's failure log is kept until the next failure, and only for the key that failed", () =>
      Effect.gen(function*() {
        const rec = records(make())
        const [k1, k2] = [sha256("one"), sha256("two")]
        assert.strictEqual(rec.failure("p", "a/b", k1), undefined)
        yield* rec.saveFailure("p", "a/b", k1, "one\n")
        assert.strictEqual(rec.failure("p", "a/b", k1), "one\n")
        yield* rec.saveFailure("p", "a/b", k2, "two\n")
        assert.strictEqual(rec.failure("p", "a/b", k2), "two\n")
        // the node under other params (another key) has no failure of its own
        assert.strictEqual(rec.failure("p", "a/b", k1), undefined)
      }))

    it.effect("run summaries are kept in the history, oldest first, read back as written", () =>
      Effect.gen(function*() {
        const runs = Context.get(make(), Runs)
        assert.deepStrictEqual(yield* runs.history, [])
        const later = summaryFor(newRunId(new Date(2026, 0, 2)))
        const earlier = { ...summaryFor(newRunId(new Date(2026, 0, 1))), interrupted: true, exit: 130 }
        yield* runs.record(later)
        yield* runs.record(earlier)
        assert.deepStrictEqual(yield* runs.history, [
          { _tag: "Read", id: earlier.id, summary: earlier },
          { _tag: "Read", id: later.id, summary: later }
        ])
      }))

    it.effect("a run's log is kept beside its summary; its params and node outcomes read back as written", () =>
      Effect.gen(function*() {
        const runs = Context.get(make(), Runs)
        const s = {
          ...summaryFor(newRunId(new Date(2026, 0, 3))),
          params: { clip: 40, seeds: [1, 2] },
          nodes: [{ id: "a", stage: "s", outcome: "ran" as const, key: sha256("a"), durationMs: 12 }, { id: "b", stage: "s", outcome: "cancelled" as const }]
        }
        yield* runs.record(s, "08:00:00 plan      p: 2 to run\n")
        const quiet = summaryFor(newRunId(new Date(2026, 0, 4)))
        yield* runs.record(quiet)
        assert.strictEqual(yield* runs.log(s.id), "08:00:00 plan      p: 2 to run\n")
        assert.strictEqual(yield* runs.log(quiet.id), undefined)
        assert.strictEqual(yield* runs.log("20260101T000000Z-1-00000000"), undefined)
        assert.deepStrictEqual((yield* runs.history)[0], { _tag: "Read", id: s.id, summary: s })
      }))

    it.effect("a record whose output is missing, or that is truncated, is damaged, never present", () =>
      Effect.gen(function*() {
        const store = make()
        const rec = records(store)
        const ref = yield* objects(store).put(bytes)
        yield* rec.commit(recordFor(key, { out: { ...ref, kind: "json" } }))
        yield* damage(store).deleteObject(ref.hash)
        const l1 = rec.lookup(key)
        assert.strictEqual(l1._tag, "Damaged")
        assert.match((l1 as { reason: string }).reason, /output 'out' \(object [0-9a-f]{12}\) is missing/)
        yield* objects(store).put(bytes)
        yield* damage(store).truncateRecord(key, 30)
        const l2 = rec.lookup(key)
        assert.strictEqual(l2._tag, "Damaged")
        assert.match((l2 as { reason: string }).reason, /record (digest mismatch|has no record header)/)
        yield* damage(store).deleteRecord(key)
        assert.strictEqual(rec.lookup(key)._tag, "Absent")
      }))

    it.live("the lock of a key admits one holder at a time; a waiter is told it waits", () =>
      Effect.gen(function*() {
        const locks = Context.get(make(), Locks)
        const inside = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        let waits = 0
        const order: Array<string> = []
        const first = yield* Effect.forkChild(
          locks.withLock(key, Effect.void, Effect.gen(function*() {
            order.push("first in")
            yield* Deferred.succeed(inside, undefined)
            yield* Deferred.await(release)
            order.push("first out")
          }))
        )
        yield* Deferred.await(inside)
        const second = yield* Effect.forkChild(
          locks.withLock(key, Effect.sync(() => void waits++), Effect.sync(() => void order.push("second in")))
        )
        yield* Effect.sleep(300)
        assert.deepStrictEqual(order, ["first in"])
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(first)
        yield* Fiber.join(second)
        assert.deepStrictEqual(order, ["first in", "first out", "second in"])
        assert.strictEqual(waits, 1)
      }), { timeout: 20_000 })

    it.live("a waiter for a held lock is interrupted at once, and the holder keeps the lock; an interrupted holder releases it", () =>
      Effect.gen(function*() {
        const locks = Context.get(make(), Locks)
        const inside = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const waiting = yield* Deferred.make<void>()
        const order: Array<string> = []
        const first = yield* Effect.forkChild(
          locks.withLock(key, Effect.void, Effect.gen(function*() {
            yield* Deferred.succeed(inside, undefined)
            yield* Deferred.await(release)
            order.push("first out")
          }))
        )
        yield* Deferred.await(inside)
        const waiter = yield* Effect.forkChild(
          locks.withLock(key, Deferred.succeed(waiting, undefined).pipe(Effect.asVoid), Effect.sync(() => void order.push("waiter ran")))
        )
        yield* Deferred.await(waiting)
        const t0 = Date.now()
        const exit = yield* Fiber.interrupt(waiter).pipe(Effect.andThen(Fiber.await(waiter)))
        const took = Date.now() - t0
        assert.isTrue(Exit.hasInterrupts(exit), "the waiter ends interrupted")
        // one poll of the disk layer at most (200 ms), never the holder's whole node
        assert.isBelow(took, 1000, `the interrupt took ${took} ms`)
        // the holder still holds it: a third taker waits until the holder is done
        const third = yield* Effect.forkChild(locks.withLock(key, Effect.void, Effect.sync(() => void order.push("third in"))))
        yield* Effect.sleep(300)
        assert.deepStrictEqual(order, [])
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(first)
        yield* Fiber.join(third)
        assert.deepStrictEqual(order, ["first out", "third in"])
        // a holder interrupted inside its hold releases the lock: the next taker does not wait
        const held = yield* Deferred.make<void>()
        const holder = yield* Effect.forkChild(locks.withLock(key, Effect.void, Deferred.succeed(held, undefined).pipe(Effect.andThen(Effect.never))))
        yield* Deferred.await(held)
        yield* Fiber.interrupt(holder)
        let waitedAfter = 0
        yield* locks.withLock(key, Effect.sync(() => void waitedAfter++), Effect.void)
        assert.strictEqual(waitedAfter, 0)
      }), { timeout: 20_000 })
  })

contract("memory", () => memoryStore().store)
contract("disk", () => diskStore().store)

describe("disk store writes", () => {
  it.effect("leave no temp files behind and create nothing until written", () =>
    Effect.gen(function*() {
      const dir = join(mkdtempSync(join(tmpdir(), "w2s-store-")), "cache")
      const { store } = diskStore(dir)
      assert.strictEqual(records(store).lookup(sha256("x"))._tag, "Absent")
      assert.throws(() => readdirSync(dir))
      yield* objects(store).put(new Uint8Array([1, 2, 3]))
      assert.deepStrictEqual(readdirSync(join(dir, "tmp")), [])
    }))
})

describe("the record index", () => {
  // A store that commits two records, reads them and saves its index; each test then opens the directory
  // afresh, as the next CLI call does, and damages something behind the index's back.
  const prepared = () =>
    Effect.gen(function*() {
      const { dir, store: first } = diskStore()
      const a = yield* objects(first).put(new Uint8Array([1, 2, 3]))
      const b = yield* objects(first).put(new Uint8Array([4, 5]))
      const [ka, kb] = [sha256("a"), sha256("b")]
      yield* records(first).commit(recordFor(ka, { out: { ...a, kind: "json" } }))
      yield* records(first).commit(recordFor(kb, { out: { ...b, kind: "json" } }))
      // records enter the index when a plan reads them back
      assert.strictEqual(records(first).lookup(ka)._tag, "Present")
      assert.strictEqual(records(first).lookup(kb)._tag, "Present")
      yield* records(first).saveIndex
      const rec = (k: string) => join(dir, "records", k.slice(0, 2), `${k}.json`)
      return { dir, ka, kb, rec, indexFile: join(dir, "index", "records.json") }
    })
  const reopen = (dir: string) => records(diskStore(dir).store)

  it.effect("is written once records exist, and a fresh store answers from it like from the files", () =>
    Effect.gen(function*() {
      const { dir, ka, kb, indexFile } = yield* prepared()
      const before = readFileSync(indexFile, "utf8")
      assert.match(before, /^w2s-index\/3 sha256:[0-9a-f]{64}\n/)
      const again = reopen(dir)
      assert.strictEqual(again.lookup(ka)._tag, "Present")
      assert.strictEqual(again.lookup(kb)._tag, "Present")
      assert.strictEqual(again.lookup(sha256("c"))._tag, "Absent")
      yield* again.saveIndex
      assert.strictEqual(readFileSync(indexFile, "utf8"), before, "nothing new: the index is not rewritten")
    }))

  it.effect("never hides an edited, truncated or deleted record", () =>
    Effect.gen(function*() {
      const { dir, ka, kb, rec } = yield* prepared()
      // same length, one byte changed, and the modification time put back: ctime still moves
      const text = readFileSync(rec(ka), "utf8")
      const { mtime } = statSync(rec(ka))
      writeFileSync(rec(ka), text.replace('"hello"', '"hellp"'))
      utimesSync(rec(ka), mtime, mtime)
      rmSync(rec(kb))
      const again = reopen(dir)
      const la = again.lookup(ka)
      assert.strictEqual(la._tag, "Damaged")
      assert.match((la as { reason: string }).reason, /digest mismatch/)
      assert.strictEqual(again.lookup(kb)._tag, "Absent")
    }))

  it.effect("a damaged index is ignored, not trusted", () =>
    Effect.gen(function*() {
      const { dir, ka, rec, indexFile } = yield* prepared()
      // an index entry that claims other outputs for ka, with the digest left as it was
      const text = readFileSync(indexFile, "utf8")
      const truth = (again: ReturnType<typeof reopen>) => (again.read(ka) as { record: NodeRecord }).record.outputs
      const real = truth(reopen(dir)).out!.hash
      assert.include(text, real)
      writeFileSync(indexFile, text.replace(real, sha256("forged")))
      const again = reopen(dir)
      const l = again.lookup(ka)
      assert.strictEqual(l._tag, "Present")
      assert.strictEqual((l as { record: { outputs: Record<string, { hash: string }> } }).record.outputs.out!.hash, real)
      assert.deepStrictEqual((again.read(ka) as { record: NodeRecord }).record.log, ["hello"])
      // a garbage index: the same
      writeFileSync(indexFile, "not an index")
      assert.strictEqual(reopen(dir).lookup(ka)._tag, "Present")
      truncateSync(rec(ka), 30)
      assert.strictEqual(reopen(dir).lookup(ka)._tag, "Damaged")
    }))
})

describe("record checks", () => {
  it("a record body with a valid digest but the wrong schema is caught by the strict check (verify)", async () => {
    const Record = await import("../src/Record.ts")
    const { sha256: h } = await import("../src/Key.ts")
    const key = h("k")
    const body = JSON.stringify({ key, outputs: {}, format: 1, surprise: true }) + "\n"
    const text = `w2s-record/1 sha256:${h(body)}\n${body}`
    const strict = Record.decode(text, key, true)
    assert.strictEqual(strict._tag, "Failure")
    assert.match((strict as { failure: string }).failure, /wrong shape/)
    const wrongKey = Record.decode(text, h("other"))
    assert.match((wrongKey as { failure: string }).failure, /holds key/)
  })
})

describe("the run registry and the leftovers sweep (disk)", () => {
  it.live("a registered run is active for the life of its scope; a dead process's temp file and an unheld lock are swept", () =>
    Effect.gen(function*() {
      const { dir, store } = diskStore()
      const runs = Context.get(store, Runs)
      assert.strictEqual(yield* runs.activeSince, undefined)
      const t0 = Date.now()
      yield* Effect.scoped(Effect.gen(function*() {
        yield* runs.register
        const since = yield* runs.activeSince
        assert.isTrue(since !== undefined && since >= t0 - 1000 && since <= Date.now())
      }))
      assert.strictEqual(yield* runs.activeSince, undefined)
      mkdirSync(join(dir, "tmp"), { recursive: true })
      writeFileSync(join(dir, "tmp", "999999999-half-written"), "x")
      writeFileSync(join(dir, "tmp", `${process.pid}-in-flight`), "x")
      mkdirSync(join(dir, "locks", `${sha256("k")}.lock`), { recursive: true })
      utimesSync(join(dir, "locks", `${sha256("k")}.lock`), new Date(0), new Date(0))
      assert.strictEqual(yield* runs.sweepLeftovers, 2)
      assert.deepStrictEqual(readdirSync(join(dir, "tmp")), [`${process.pid}-in-flight`])
      assert.deepStrictEqual(readdirSync(join(dir, "locks")), [])
    }))

  it.live("a run summary that does not decode is reported unreadable, with why, never trusted", () =>
    Effect.gen(function*() {
      const { dir, store } = diskStore()
      const runs = Context.get(store, Runs)
      const good = summaryFor(newRunId(new Date()))
      yield* runs.record(good)
      const bad = newRunId(new Date(0))
      writeFileSync(join(dir, "history", `${bad}.json`), JSON.stringify({ ...good, id: bad, keys: ["not-a-key"] }))
      const truncated = newRunId(new Date(1000))
      writeFileSync(join(dir, "history", `${truncated}.json`), readFileSync(join(dir, "history", `${good.id}.json`), "utf8").slice(0, 40))
      const h = yield* runs.history
      assert.deepStrictEqual(h.map((e) => [e.id, e._tag]), [[bad, "Unreadable"], [truncated, "Unreadable"], [good.id, "Read"]])
      assert.match((h[0] as { reason: string }).reason, /keys/)
    }))

  it.live("on a cache shared by hosts, another host's temp file is judged by its age, never by a pid here", () =>
    Effect.gen(function*() {
      const { dir, store } = diskStore()
      const runs = Context.get(store, Runs)
      const tmp = join(dir, "tmp")
      mkdirSync(tmp, { recursive: true })
      const here = hostname().split(".")[0]!.replace(/[@-]/g, "_")
      // pid 999999999 is dead here; on the other host it may be alive, so only an old file goes.
      writeFileSync(join(tmp, "999999999@otherhost-busy"), "x")
      writeFileSync(join(tmp, "999999999@otherhost-idle"), "x")
      utimesSync(join(tmp, "999999999@otherhost-idle"), new Date(0), new Date(0))
      writeFileSync(join(tmp, `999999999@${here}-dead`), "x")
      writeFileSync(join(tmp, `${process.pid}@${here}-alive`), "x")
      assert.strictEqual(yield* runs.sweepLeftovers, 2)
      assert.deepStrictEqual(readdirSync(tmp).sort(), [`${process.pid}@${here}-alive`, "999999999@otherhost-busy"].sort())
      assert.isFalse(tempLeftOver("999999999@otherhost-x", Date.now()))
      assert.isTrue(tempLeftOver("999999999@otherhost-x", Date.now() - TEMP_LEASE_MS - 1))
    }))
})
