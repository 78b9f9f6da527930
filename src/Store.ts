/**
 * The content-addressed store: immutable objects named by the sha256 of their bytes, one record per
 * node key (the commit point), and per-pipeline refs to the last key committed for each node (so a
 * plan can say *why* a node re-runs). Two layers: `layerDisk(dir)` (the default, `./cache`) and
 * `layerMemory` (tests). Both give the same guarantees to the executor:
 *
 * - objects are written whole or not at all (temp file, fsync, rename); records last;
 * - a record is trusted only when its digest checks and its outputs exist at their recorded size;
 * - `getObject` re-hashes what it reads, so damaged bytes are never handed to a stage;
 * - `withLock` keeps two runs (processes) from computing one key at once; a lock left by a killed
 *   process goes stale and is taken over.
 */
import { Context, Effect, Layer, Result, type Scope, Semaphore } from "effect"
import { createHash, randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import { dirname, join, sep } from "node:path"
import type * as Lockfile from "proper-lockfile"
import { createRequire } from "node:module"
import { ObjectDamaged, StoreError } from "./Errors.ts"
import { sha256 } from "./Key.ts"
import * as Record from "./Record.ts"

// proper-lockfile loads on the first lock: a run with nothing to do takes no lock and skips its cost.
let lockfileModule: typeof Lockfile | undefined
const lockfile = (): typeof Lockfile => (lockfileModule ??= createRequire(import.meta.url)("proper-lockfile") as typeof Lockfile)

/** What the store holds for a key: by default what a plan needs of a record, or the whole record. */
export type Lookup<R extends Record.Committed = Record.Committed> =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Present"; readonly record: R }
  | { readonly _tag: "Damaged"; readonly reason: string }

/** A synchronous reader of the store's current state, for the (pure) planner. */
export interface StoreView {
  /**
   * Whether `key` is committed, and where its outputs are; `Damaged` when the record fails its checks
   * or an output is missing or resized. What planning asks, thousands of times: served from the
   * record index when the record file is unchanged.
   */
  readonly lookup: (key: string) => Lookup
  /**
   * The whole record of `key`, read from its file and checked like `lookup`; `strict` also checks the
   * record's schema (verify does).
   */
  readonly read: (key: string, strict?: boolean) => Lookup<Record.NodeRecord>
  /** The key last committed for a node of a pipeline. */
  readonly previousKey: (pipeline: string, node: string) => string | undefined
}

export interface ObjectInfo {
  readonly hash: string
  readonly size: number
  readonly mtimeMs: number
}

export interface RefInfo {
  readonly pipeline: string
  readonly node: string
  readonly key: string
}

export interface StoreShape {
  /** Where the store lives, for messages. */
  readonly location: string
  readonly view: StoreView
  readonly putObject: (bytes: Uint8Array) => Effect.Effect<{ hash: string; size: number }, StoreError>
  /** The bytes of an object, re-hashed: damaged or missing objects fail. */
  readonly getObject: (hash: string) => Effect.Effect<Uint8Array, ObjectDamaged | StoreError>
  /** Writes the record (the commit point), then the node's ref. */
  readonly commit: (record: Record.NodeRecord) => Effect.Effect<void, StoreError>
  /** Runs `use` holding the lock of `key`; calls `onWait` once if another run holds it. */
  readonly withLock: <A, E, R>(
    key: string,
    onWait: Effect.Effect<void>,
    use: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | StoreError, R>
  readonly listRecords: Effect.Effect<ReadonlyArray<{ key: string; lookup: Lookup<Record.NodeRecord>; mtimeMs: number }>, StoreError>
  readonly listObjects: Effect.Effect<ReadonlyArray<ObjectInfo>, StoreError>
  readonly listRefs: Effect.Effect<ReadonlyArray<RefInfo>, StoreError>
  /** Re-hashes one object: `undefined` when intact, else what is wrong. */
  readonly checkObject: (hash: string) => Effect.Effect<string | undefined, StoreError>
  readonly removeRecord: (key: string) => Effect.Effect<void, StoreError>
  readonly removeObject: (hash: string) => Effect.Effect<void, StoreError>
  readonly removeRef: (ref: RefInfo) => Effect.Effect<void, StoreError>
  /** Keeps the log of a node's latest failure (a failed node has no record to hold it). */
  readonly saveFailure: (pipeline: string, node: string, text: string) => Effect.Effect<void, StoreError>
  /** The log of a node's latest failure, if it has one. */
  readonly failure: (pipeline: string, node: string) => string | undefined
  /** Removes temp files and locks left by processes that are gone; returns how many. */
  readonly sweepLeftovers: Effect.Effect<number, StoreError>
  /** Marks a run as active for the life of the scope (what `gc` must not pull out from under). */
  readonly registerRun: Effect.Effect<void, StoreError, Scope.Scope>
  /** Saves what speeds up the next plan (the disk store's record index); best effort. */
  readonly saveIndex: Effect.Effect<void>
  /** When the earliest run still active started (ms since epoch), if any is. */
  readonly activeRunsSince: Effect.Effect<number | undefined, StoreError>
}

/** The store service. */
export class Store extends Context.Service<Store, StoreShape>()("w2s/Store") {}

const describe = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException
  switch (err?.code) {
    case "ENOSPC":
      return "no space left on device"
    case "EACCES":
    case "EPERM":
      return "permission denied"
    case "EROFS":
      return "read-only file system"
    case "EDQUOT":
      return "disk quota exceeded"
  }
  return err?.message ?? String(e)
}

/** A record read and checked before: its file's signature then, and what a plan needs of it. */
interface IndexEntry {
  readonly sig: Signature
  readonly record: Record.Committed
}

/** A file's size, mtime, ctime (ms) and inode: compared as numbers, never formatted. */
type Signature = readonly [number, number, number, number]

const signature = (st: fs.Stats): Signature => [st.size, st.mtimeMs, st.ctimeMs, st.ino]
const sameSignature = (st: fs.Stats, sig: Signature): boolean =>
  st.size === sig[0] && st.mtimeMs === sig[1] && st.ctimeMs === sig[2] && st.ino === sig[3]

const INDEX_HEADER = "w2s-index/3 sha256:"
const INDEX_MIN_ENTRIES = 2_000

const encodeIndex = (entries: ReadonlyMap<string, IndexEntry>): string => {
  const body = JSON.stringify([...entries].map(([k, e]) => [k, e.sig, e.record.outputs])) + "\n"
  return `${INDEX_HEADER}${sha256(body)}\n${body}`
}

/** The index's entries, or undefined when its digest does not match (then it is ignored). */
const decodeIndex = (text: string): Map<string, IndexEntry> | undefined => {
  const nl = text.indexOf("\n")
  if (!text.startsWith(INDEX_HEADER) || nl < 0) return undefined
  const body = text.slice(nl + 1)
  if (sha256(body) !== text.slice(INDEX_HEADER.length, nl)) return undefined
  const rows = JSON.parse(body) as Array<[string, Signature, Record.Committed["outputs"]]>
  const entries = new Map<string, IndexEntry>()
  for (const row of rows) {
    // only a writer with a bug (or a forger who also fixed the digest) could make rows of another shape
    if (!Array.isArray(row) || typeof row[0] !== "string" || !Array.isArray(row[1]) || typeof row[2] !== "object" || row[2] === null) return undefined
    const [key, sig, outputs] = row
    entries.set(key, { sig, record: { key, outputs } })
  }
  return entries
}

const checkOutputs = <R extends Record.Committed>(record: R, sizeOf: (hash: string) => number | undefined): Lookup<R> => {
  for (const port in record.outputs) {
    const out = record.outputs[port]!
    const size = sizeOf(out.hash)
    if (size === undefined) return { _tag: "Damaged", reason: `output '${port}' (object ${out.hash.slice(0, 12)}) is missing from the store` }
    if (size !== out.size) return { _tag: "Damaged", reason: `output '${port}' has ${size} bytes, the record says ${out.size}` }
  }
  return { _tag: "Present", record }
}

const processAlive = (pid: number): boolean => {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

const NO_THROW_IF_ABSENT = { throwIfNoEntry: false } as const

/** Milliseconds after which a lock whose owner stopped refreshing it is taken over. */
const LOCK_STALE_MS = Number(process.env.PIPELINE_LOCK_STALE_MS ?? 5000)

// ---------------------------------------------------------------------------------------------
// Disk
// ---------------------------------------------------------------------------------------------

/** The local-disk store rooted at `root`. Nothing is created until something is written. */
export const makeDisk = (root: string): StoreShape => {
  // Built by concatenation (a plan makes thousands of these; keys and hashes are hex, never "..").
  const objectsDir = join(root, "objects")
  const recordsDir = join(root, "records")
  const objectPath = (hash: string) => `${objectsDir}${sep}${hash.slice(0, 2)}${sep}${hash}`
  const recordPath = (key: string) => `${recordsDir}${sep}${key.slice(0, 2)}${sep}${key}.json`
  const refPath = (pipeline: string, node: string) =>
    join(root, "refs", encodeURIComponent(pipeline), encodeURIComponent(node))
  const failurePath = (pipeline: string, node: string) =>
    join(root, "failures", encodeURIComponent(pipeline), `${encodeURIComponent(node)}.log`)
  const tmpDir = join(root, "tmp")
  const lockDir = join(root, "locks")

  const io = <A>(path: string, f: () => Promise<A>) =>
    Effect.tryPromise({ try: f, catch: (e) => new StoreError({ path, message: describe(e) }) })

  const writeAtomic = (target: string, data: Uint8Array | string) =>
    io(target, async () => {
      await fsp.mkdir(tmpDir, { recursive: true })
      await fsp.mkdir(dirname(target), { recursive: true })
      const tmp = join(tmpDir, `${process.pid}-${randomUUID()}`)
      try {
        const fh = await fsp.open(tmp, "wx")
        try {
          await fh.writeFile(data)
          await fh.sync()
        } finally {
          await fh.close()
        }
        await fsp.rename(tmp, target)
      } catch (e) {
        await fsp.rm(tmp, { force: true }).catch(() => {})
        throw e
      }
    })

  const sizeOf = (hash: string): number | undefined => {
    try {
      return fs.statSync(objectPath(hash), NO_THROW_IF_ABSENT)?.size
    } catch {
      return undefined
    }
  }

  // The record index (index/records.json): records already read and digest-checked, each with the
  // signature (size, mtime, ctime, inode) its file had then. A lookup whose record file still has
  // that signature takes the parsed record from the index instead of reading and checking the file
  // again, so a no-op plan of N nodes costs N stats, not N reads. Any write to a record file changes
  // its signature (ctime cannot be set back), so an edited or damaged record is read and checked
  // again. The index carries a digest of its body; a damaged or stale index is ignored, never trusted.
  const indexPath = join(root, "index", "records.json")
  let index: Map<string, IndexEntry> | undefined
  const touched = new Map<string, IndexEntry>()
  let indexDirty = false
  const loadIndex = (): Map<string, IndexEntry> => {
    if (index) return index
    index = new Map()
    try {
      const parsed = decodeIndex(fs.readFileSync(indexPath, "utf8"))
      if (parsed) index = parsed
    } catch {
      // no index yet, or unreadable: plan from the record files
    }
    return index
  }
  const remember = (key: string, entry: IndexEntry) => {
    touched.set(key, entry)
    const old = loadIndex().get(key)?.sig
    if (!old || old.some((x, i) => x !== entry.sig[i])) indexDirty = true
  }

  const readRecord = (key: string, strict: boolean | undefined): Lookup<Record.NodeRecord> => {
    let text: string
    let sig: Signature
    try {
      const fd = fs.openSync(recordPath(key), "r")
      try {
        sig = signature(fs.fstatSync(fd))
        text = fs.readFileSync(fd, "utf8")
      } finally {
        fs.closeSync(fd)
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return { _tag: "Absent" }
      return { _tag: "Damaged", reason: `record unreadable: ${describe(e)}` }
    }
    const r = Record.decode(text, key, strict)
    if (Result.isFailure(r)) return { _tag: "Damaged", reason: `record ${r.failure}` }
    remember(key, { sig, record: { key, outputs: r.success.outputs } })
    return checkOutputs(r.success, sizeOf)
  }

  const view: StoreView = {
    lookup: (key) => {
      const known = loadIndex().get(key)
      if (known) {
        let st: fs.Stats | undefined
        try {
          st = fs.statSync(recordPath(key), NO_THROW_IF_ABSENT)
          if (st === undefined) return { _tag: "Absent" }
        } catch {
          // unreadable: the record read below says why
        }
        if (st && sameSignature(st, known.sig)) {
          touched.set(key, known)
          return checkOutputs(known.record, sizeOf)
        }
      }
      return readRecord(key, false)
    },
    read: readRecord,
    previousKey: (pipeline, node) => {
      try {
        const key = fs.readFileSync(refPath(pipeline, node), "utf8").trim()
        return /^[0-9a-f]{64}$/.test(key) ? key : undefined
      } catch {
        return undefined
      }
    }
  }

  const putObject = (bytes: Uint8Array) =>
    Effect.gen(function*() {
      const hash = sha256(bytes)
      const target = objectPath(hash)
      if (sizeOf(hash) === bytes.byteLength) {
        // Already stored: refresh its time so a concurrent gc's grace period covers this run.
        const now = new Date()
        yield* io(target, () => fsp.utimes(target, now, now))
      } else {
        yield* writeAtomic(target, bytes)
      }
      return { hash, size: bytes.byteLength }
    })

  const getObject = (hash: string) =>
    Effect.gen(function*() {
      const bytes = yield* Effect.tryPromise({
        try: () => fsp.readFile(objectPath(hash)),
        catch: (e) =>
          (e as NodeJS.ErrnoException).code === "ENOENT"
            ? new ObjectDamaged({ hash, message: `object ${hash.slice(0, 12)} is missing` })
            : new StoreError({ path: objectPath(hash), message: describe(e) })
      })
      if (sha256(bytes) !== hash) {
        return yield* Effect.fail(new ObjectDamaged({ hash, message: `object ${hash.slice(0, 12)} does not match its hash` }))
      }
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    })

  // A record written here enters the index only when a later plan reads it back: pairing the file's
  // signature with what we wrote could race with another process renaming its own record for the key.
  const commit = (record: Record.NodeRecord) =>
    Effect.andThen(
      writeAtomic(recordPath(record.key), Record.encode(record)),
      writeAtomic(refPath(record.pipeline, record.node), record.key + "\n")
    )

  // Saves the entries this process used or wrote, plus earlier entries up to twice as many (at least
  // INDEX_MIN_ENTRIES), when any is new: the index stays about the size of the graphs run lately, so
  // reading it costs less than the record reads it saves. Concurrent runs may each save: the last
  // rename wins and the loser's entries are simply read from their files next time.
  const saveIndex = Effect.suspend(() => {
    if (!indexDirty) return Effect.void
    const merged = new Map(touched)
    const cap = Math.max(INDEX_MIN_ENTRIES, 2 * touched.size)
    for (const [k, v] of loadIndex()) {
      if (merged.size >= cap) break
      if (!merged.has(k)) merged.set(k, v)
    }
    return writeAtomic(indexPath, encodeIndex(merged)).pipe(
      Effect.andThen(Effect.sync(() => {
        index = merged
        indexDirty = false
      })),
      Effect.ignore
    )
  })

  const withLock = <A, E, R>(key: string, onWait: Effect.Effect<void>, use: Effect.Effect<A, E, R>) => {
    const target = join(lockDir, key)
    const tryLock = io(lockDir, async () => {
      await fsp.mkdir(lockDir, { recursive: true })
      try {
        return await lockfile().lock(target, {
          realpath: false,
          stale: LOCK_STALE_MS,
          update: Math.max(1000, Math.floor(LOCK_STALE_MS / 4)),
          retries: 0,
          // Losing a lock cannot corrupt the store (commits are atomic and content-addressed);
          // at worst another run computes the same node too.
          onCompromised: () => {}
        })
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ELOCKED") return undefined
        throw e
      }
    })
    const acquire = Effect.gen(function*() {
      let waited = false
      for (;;) {
        const release = yield* tryLock
        if (release) return release
        if (!waited) {
          waited = true
          yield* onWait
        }
        yield* Effect.sleep(200)
      }
    })
    return Effect.acquireUseRelease(
      acquire,
      () => use,
      (release) => Effect.promise(() => release().catch(() => {}))
    )
  }

  const listDir = (dir: string) =>
    io(dir, async () => {
      try {
        return await fsp.readdir(dir)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return []
        throw e
      }
    })

  const listRecords = Effect.gen(function*() {
    const out: Array<{ key: string; lookup: Lookup<Record.NodeRecord>; mtimeMs: number }> = []
    for (const shard of yield* listDir(join(root, "records"))) {
      for (const name of yield* listDir(join(root, "records", shard))) {
        if (!name.endsWith(".json")) continue
        const key = name.slice(0, -5)
        const mtimeMs = yield* io(recordPath(key), async () => (await fsp.stat(recordPath(key))).mtimeMs)
        out.push({ key, lookup: view.read(key, true), mtimeMs })
      }
    }
    return out
  })

  const listObjects = Effect.gen(function*() {
    const out: Array<ObjectInfo> = []
    for (const shard of yield* listDir(join(root, "objects"))) {
      for (const hash of yield* listDir(join(root, "objects", shard))) {
        const st = yield* io(objectPath(hash), () => fsp.stat(join(root, "objects", shard, hash)))
        out.push({ hash, size: st.size, mtimeMs: st.mtimeMs })
      }
    }
    return out
  })

  const listRefs = Effect.gen(function*() {
    const out: Array<RefInfo> = []
    for (const p of yield* listDir(join(root, "refs"))) {
      for (const n of yield* listDir(join(root, "refs", p))) {
        const pipeline = decodeURIComponent(p)
        const node = decodeURIComponent(n)
        out.push({ pipeline, node, key: view.previousKey(pipeline, node) ?? "" })
      }
    }
    return out
  })

  // Re-hashes in 4 MiB reads into one buffer: memory stays flat however large the object.
  const checkObject = (hash: string) =>
    io(objectPath(hash), async () => {
      let fh: fsp.FileHandle
      try {
        fh = await fsp.open(objectPath(hash), "r")
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return `object ${hash.slice(0, 12)} is missing`
        throw e
      }
      try {
        const h = createHash("sha256")
        const buf = Buffer.allocUnsafe(Math.max(1, Math.min(4 * 2 ** 20, (await fh.stat()).size)))
        for (;;) {
          const { bytesRead } = await fh.read(buf, 0, buf.length, null)
          if (bytesRead === 0) break
          h.update(buf.subarray(0, bytesRead))
        }
        return h.digest("hex") === hash ? undefined : `object ${hash.slice(0, 12)} does not match its hash`
      } finally {
        await fh.close()
      }
    })

  const rm = (path: string) => io(path, () => fsp.rm(path, { force: true, recursive: true }))

  const runsDir = join(root, "runs")

  const registerRun = Effect.acquireRelease(
    io(runsDir, async () => {
      await fsp.mkdir(runsDir, { recursive: true })
      const marker = join(runsDir, `${Date.now()}-${process.pid}-${randomUUID().slice(0, 8)}`)
      await fsp.writeFile(marker, "")
      const release = await lockfile().lock(marker, {
        realpath: false,
        stale: LOCK_STALE_MS,
        update: Math.max(1000, Math.floor(LOCK_STALE_MS / 4)),
        onCompromised: () => {}
      })
      return { marker, release }
    }),
    ({ marker, release }) =>
      Effect.promise(async () => {
        await release().catch(() => {})
        await fsp.rm(marker, { force: true })
      })
  ).pipe(Effect.asVoid)

  const activeRunsSince = Effect.gen(function*() {
    let earliest: number | undefined
    for (const name of yield* listDir(runsDir)) {
      if (name.endsWith(".lock")) continue
      const marker = join(runsDir, name)
      const held = yield* io(marker, () => lockfile().check(marker, { realpath: false, stale: LOCK_STALE_MS }))
      const started = Number(name.split("-")[0])
      if (held && Number.isFinite(started)) earliest = Math.min(earliest ?? started, started)
      else if (!held) yield* io(marker, () => fsp.rm(marker, { force: true }))
    }
    return earliest
  })

  const sweepLeftovers = Effect.gen(function*() {
    let n = 0
    for (const name of yield* listDir(tmpDir)) {
      const pid = Number(name.split("-")[0])
      if (Number.isInteger(pid) && !processAlive(pid)) {
        yield* rm(join(tmpDir, name))
        n++
      }
    }
    for (const name of yield* listDir(lockDir)) {
      const target = join(lockDir, name.replace(/\.lock$/, ""))
      const held = yield* io(target, () => lockfile().check(target, { realpath: false, stale: LOCK_STALE_MS }))
      if (!held) {
        yield* rm(join(lockDir, name))
        n++
      }
    }
    return n
  })

  return {
    location: root,
    view,
    putObject,
    getObject,
    commit,
    withLock,
    listRecords,
    listObjects,
    listRefs,
    checkObject,
    removeRecord: (key) => rm(recordPath(key)),
    removeObject: (hash) => rm(objectPath(hash)),
    removeRef: (ref) => rm(refPath(ref.pipeline, ref.node)),
    saveFailure: (pipeline, node, text) => writeAtomic(failurePath(pipeline, node), text),
    failure: (pipeline, node) => {
      try {
        return fs.readFileSync(failurePath(pipeline, node), "utf8")
      } catch {
        return undefined
      }
    },
    sweepLeftovers,
    registerRun,
    activeRunsSince,
    saveIndex
  }
}

/** The disk store as a layer. */
export const layerDisk = (root: string) => Layer.succeed(Store, makeDisk(root))

// ---------------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------------

/** A store in memory, with the disk store's behaviour; exposes its maps so tests can damage them. */
export const makeMemory = () => {
  const objects = new Map<string, { bytes: Uint8Array; mtimeMs: number }>()
  const records = new Map<string, { text: string; mtimeMs: number }>()
  const refs = new Map<string, string>()
  const locks = new Map<string, Semaphore.Semaphore>()
  const failures = new Map<string, string>()
  const refKey = (pipeline: string, node: string) => `${pipeline}\u0000${node}`

  const read = (key: string, strict?: boolean): Lookup<Record.NodeRecord> => {
    const text = records.get(key)?.text
    if (text === undefined) return { _tag: "Absent" }
    const r = Record.decode(text, key, strict)
    if (Result.isFailure(r)) return { _tag: "Damaged", reason: `record ${r.failure}` }
    return checkOutputs(r.success, (h) => objects.get(h)?.bytes.byteLength)
  }
  const view: StoreView = {
    lookup: (key) => read(key),
    read,
    previousKey: (pipeline, node) => refs.get(refKey(pipeline, node))
  }

  const getObject = (hash: string) =>
    Effect.suspend(() => {
      const o = objects.get(hash)
      if (!o) return Effect.fail(new ObjectDamaged({ hash, message: `object ${hash.slice(0, 12)} is missing` }))
      if (sha256(o.bytes) !== hash) {
        return Effect.fail(new ObjectDamaged({ hash, message: `object ${hash.slice(0, 12)} does not match its hash` }))
      }
      return Effect.succeed(o.bytes)
    })

  const shape: StoreShape = {
    location: "memory",
    view,
    putObject: (bytes) =>
      Effect.sync(() => {
        const hash = sha256(bytes)
        const prior = objects.get(hash)
        objects.set(hash, { bytes: prior?.bytes.byteLength === bytes.byteLength ? prior.bytes : bytes.slice(), mtimeMs: Date.now() })
        return { hash, size: bytes.byteLength }
      }),
    getObject,
    commit: (record) =>
      Effect.sync(() => {
        records.set(record.key, { text: Record.encode(record), mtimeMs: Date.now() })
        refs.set(refKey(record.pipeline, record.node), record.key)
      }),
    withLock: (key, onWait, use) =>
      Effect.gen(function*() {
        let sem = locks.get(key)
        if (!sem) {
          sem = yield* Semaphore.make(1)
          locks.set(key, sem)
        }
        const got = yield* sem.withPermitsIfAvailable(1)(use)
        if (got._tag === "Some") return got.value
        yield* onWait
        return yield* sem.withPermits(1)(use)
      }),
    listRecords: Effect.sync(() => [...records].map(([key, r]) => ({ key, lookup: read(key, true), mtimeMs: r.mtimeMs }))),
    listObjects: Effect.sync(() => [...objects].map(([hash, o]) => ({ hash, size: o.bytes.byteLength, mtimeMs: o.mtimeMs }))),
    listRefs: Effect.sync(() =>
      [...refs].map(([k, key]) => {
        const [pipeline, node] = k.split("\u0000") as [string, string]
        return { pipeline, node, key }
      })
    ),
    checkObject: (hash) =>
      getObject(hash).pipe(Effect.as(undefined), Effect.catchTag("ObjectDamaged", (e) => Effect.succeed(e.message))),
    removeRecord: (key) => Effect.sync(() => void records.delete(key)),
    removeObject: (hash) => Effect.sync(() => void objects.delete(hash)),
    removeRef: (ref) => Effect.sync(() => void refs.delete(refKey(ref.pipeline, ref.node))),
    saveFailure: (pipeline, node, text) => Effect.sync(() => void failures.set(refKey(pipeline, node), text)),
    failure: (pipeline, node) => failures.get(refKey(pipeline, node)),
    sweepLeftovers: Effect.succeed(0),
    registerRun: Effect.void,
    saveIndex: Effect.void,
    activeRunsSince: Effect.succeed(undefined)
  }
  return { store: shape, objects, records, refs }
}

/** A fresh in-memory store as a layer. */
export const layerMemory = Layer.sync(Store, () => makeMemory().store)

