// One contract, run against both store layers (the disk store and the in-memory test double).
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { sha256 } from "../src/Key.ts"
import type { NodeRecord } from "../src/Record.ts"
import { makeDisk, makeMemory, type StoreShape } from "../src/Store.ts"

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

interface Damage {
  readonly flipObjectByte: (hash: string) => void
  readonly deleteObject: (hash: string) => void
  readonly truncateRecord: (key: string) => void
}

const contract = (name: string, make: () => { store: StoreShape; damage: Damage }) =>
  describe(`store contract: ${name}`, () => {
    const bytes = new TextEncoder().encode("some artifact bytes")
    const key = sha256("key-1")

    it.effect("objects are addressed by their sha256 and read back verified", () =>
      Effect.gen(function*() {
        const { store, damage } = make()
        const ref = yield* store.putObject(bytes)
        assert.strictEqual(ref.hash, sha256(bytes))
        assert.deepStrictEqual([...(yield* store.getObject(ref.hash))], [...bytes])
        assert.strictEqual(yield* store.checkObject(ref.hash), undefined)
        damage.flipObjectByte(ref.hash)
        const exit = yield* Effect.exit(store.getObject(ref.hash))
        assert.isTrue(Exit.isFailure(exit))
        assert.match((yield* store.checkObject(ref.hash)) ?? "", /does not match its hash/)
      }))

    it.effect("a committed record is found; absent keys are absent", () =>
      Effect.gen(function*() {
        const { store } = make()
        const ref = yield* store.putObject(bytes)
        assert.strictEqual(store.view.lookup(key)._tag, "Absent")
        yield* store.commit(recordFor(key, { out: { ...ref, kind: "json" } }))
        const found = store.view.lookup(key)
        assert.strictEqual(found._tag, "Present")
        assert.strictEqual(store.view.previousKey("p", "n"), key)
      }))

    it.effect("a record whose output is missing, or that is truncated, is damaged, never present", () =>
      Effect.gen(function*() {
        const { store, damage } = make()
        const ref = yield* store.putObject(bytes)
        yield* store.commit(recordFor(key, { out: { ...ref, kind: "json" } }))
        damage.deleteObject(ref.hash)
        const l1 = store.view.lookup(key)
        assert.strictEqual(l1._tag, "Damaged")
        assert.match((l1 as { reason: string }).reason, /output 'out' \(object [0-9a-f]{12}\) is missing/)
        yield* store.putObject(bytes)
        damage.truncateRecord(key)
        const l2 = store.view.lookup(key)
        assert.strictEqual(l2._tag, "Damaged")
        assert.match((l2 as { reason: string }).reason, /record (digest mismatch|has no record header)/)
      }))

    it.live("the lock of a key admits one holder at a time; a waiter is told it waits", () =>
      Effect.gen(function*() {
        const { store } = make()
        const inside = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        let waits = 0
        const order: Array<string> = []
        const first = yield* Effect.forkChild(
          store.withLock(key, Effect.void, Effect.gen(function*() {
            order.push("first in")
            yield* Deferred.succeed(inside, undefined)
            yield* Deferred.await(release)
            order.push("first out")
          }))
        )
        yield* Deferred.await(inside)
        const second = yield* Effect.forkChild(
          store.withLock(key, Effect.sync(() => void waits++), Effect.sync(() => void order.push("second in")))
        )
        yield* Effect.sleep(300)
        assert.deepStrictEqual(order, ["first in"])
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(first)
        yield* Fiber.join(second)
        assert.deepStrictEqual(order, ["first in", "first out", "second in"])
        assert.strictEqual(waits, 1)
      }), { timeout: 20_000 })
  })

contract("memory", () => {
  const m = makeMemory()
  return {
    store: m.store,
    damage: {
      flipObjectByte: (h) => {
        const o = m.objects.get(h)!
        const b = o.bytes.slice()
        b[0] = b[0]! ^ 0xff
        m.objects.set(h, { ...o, bytes: b })
      },
      deleteObject: (h) => void m.objects.delete(h),
      truncateRecord: (k) => void m.records.set(k, { text: m.records.get(k)!.text.slice(0, 30), mtimeMs: 0 })
    }
  }
})

contract("disk", () => {
  const dir = mkdtempSync(join(tmpdir(), "w2s-store-"))
  const obj = (h: string) => join(dir, "objects", h.slice(0, 2), h)
  return {
    store: makeDisk(dir),
    damage: {
      flipObjectByte: (h) => {
        const b = Buffer.from(readFileSync(obj(h)))
        b[0] = b[0]! ^ 0xff
        writeFileSync(obj(h), b)
      },
      deleteObject: (h) => rmSync(obj(h)),
      truncateRecord: (k) => truncateSync(join(dir, "records", k.slice(0, 2), `${k}.json`), 30)
    }
  }
})

describe("disk store writes", () => {
  it.effect("leave no temp files behind and create nothing until written", () =>
    Effect.gen(function*() {
      const dir = join(mkdtempSync(join(tmpdir(), "w2s-store-")), "cache")
      const store = makeDisk(dir)
      assert.strictEqual(store.view.lookup(sha256("x"))._tag, "Absent")
      assert.throws(() => readdirSync(dir))
      yield* store.putObject(new Uint8Array([1, 2, 3]))
      assert.deepStrictEqual(readdirSync(join(dir, "tmp")), [])
    }))
})

describe("the record index", () => {
  // A store that commits two records, reads them and saves its index; each test then opens the directory
  // afresh, as the next CLI call does, and damages something behind the index's back.
  const prepared = () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "w2s-index-"))
      const first = makeDisk(dir)
      const a = yield* first.putObject(new Uint8Array([1, 2, 3]))
      const b = yield* first.putObject(new Uint8Array([4, 5]))
      const [ka, kb] = [sha256("a"), sha256("b")]
      yield* first.commit(recordFor(ka, { out: { ...a, kind: "json" } }))
      yield* first.commit(recordFor(kb, { out: { ...b, kind: "json" } }))
      // records enter the index when a plan reads them back
      assert.strictEqual(first.view.lookup(ka)._tag, "Present")
      assert.strictEqual(first.view.lookup(kb)._tag, "Present")
      yield* first.saveIndex
      const rec = (k: string) => join(dir, "records", k.slice(0, 2), `${k}.json`)
      return { dir, ka, kb, rec, indexFile: join(dir, "index", "records.json") }
    })

  it.effect("is written once records exist, and a fresh store answers from it like from the files", () =>
    Effect.gen(function*() {
      const { dir, ka, kb, indexFile } = yield* prepared()
      const before = readFileSync(indexFile, "utf8")
      assert.match(before, /^w2s-index\/3 sha256:[0-9a-f]{64}\n/)
      const again = makeDisk(dir)
      assert.strictEqual(again.view.lookup(ka)._tag, "Present")
      assert.strictEqual(again.view.lookup(kb)._tag, "Present")
      assert.strictEqual(again.view.lookup(sha256("c"))._tag, "Absent")
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
      const again = makeDisk(dir)
      const la = again.view.lookup(ka)
      assert.strictEqual(la._tag, "Damaged")
      assert.match((la as { reason: string }).reason, /digest mismatch/)
      assert.strictEqual(again.view.lookup(kb)._tag, "Absent")
    }))

  it.effect("a damaged index is ignored, not trusted", () =>
    Effect.gen(function*() {
      const { dir, ka, rec, indexFile } = yield* prepared()
      // an index entry that claims other outputs for ka, with the digest left as it was
      const text = readFileSync(indexFile, "utf8")
      const truth = (again: ReturnType<typeof makeDisk>) => (again.view.read(ka) as { record: NodeRecord }).record.outputs
      const real = truth(makeDisk(dir)).out!.hash
      assert.include(text, real)
      writeFileSync(indexFile, text.replace(real, sha256("forged")))
      const again = makeDisk(dir)
      const l = again.view.lookup(ka)
      assert.strictEqual(l._tag, "Present")
      assert.strictEqual((l as { record: { outputs: Record<string, { hash: string }> } }).record.outputs.out!.hash, real)
      assert.deepStrictEqual((again.view.read(ka) as { record: NodeRecord }).record.log, ["hello"])
      // a garbage index: the same
      writeFileSync(indexFile, "not an index")
      assert.strictEqual(makeDisk(dir).view.lookup(ka)._tag, "Present")
      truncateSync(rec(ka), 30)
      assert.strictEqual(makeDisk(dir).view.lookup(ka)._tag, "Damaged")
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
