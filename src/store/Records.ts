/**
 * Records: one small document per node key, the commit point of a node (see `Record.ts`), plus
 * per-pipeline refs to the key last committed for each node (so a plan can say *why* a node
 * re-runs) and the log of a node's latest failure with the key it was for (a failed node has no
 * record to hold it). A record is trusted only when its digest checks and its outputs exist at
 * their recorded size. The planner
 * sees only `RecordView` (synchronous lookups); `gc` and `verify` list and remove. Layers:
 * `layerDisk(root)`, which keeps the record index (`RecordIndex.ts`), and `layerMemory`.
 */
import { Context, Effect, Layer, Result } from "effect"
import * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import { join } from "node:path"
import { StoreError } from "../Errors.ts"
import * as Record from "../Record.ts"
import { io, layout, listDir, NO_THROW_IF_ABSENT, rm, writeAtomic } from "./Disk.ts"
import { MemoryState, type MemoryStateShape, nodeKey } from "./Memory.ts"
import { Objects } from "./Objects.ts"
import { makeIndex, sameSignature, signature, type Signature } from "./RecordIndex.ts"

/** What the store holds for a key: by default what a plan needs of a record, or the whole record. */
export type Lookup<R extends Record.Committed = Record.Committed> =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Present"; readonly record: R }
  | { readonly _tag: "Damaged"; readonly reason: string }

/** A synchronous reader of the records, for the (pure) planner. */
export interface RecordView {
  /**
   * Whether `key` is committed, and where its outputs are; `Damaged` when the record fails its checks
   * or an output is missing or resized. What planning asks, thousands of times.
   */
  readonly lookup: (key: string) => Lookup
  /** The whole record of `key`, checked like `lookup`; `strict` also checks its schema (verify does). */
  readonly read: (key: string, strict?: boolean) => Lookup<Record.NodeRecord>
  /** The key last committed for a node of a pipeline. */
  readonly previousKey: (pipeline: string, node: string) => string | undefined
}

export interface RefInfo {
  readonly pipeline: string
  readonly node: string
  readonly key: string
}

export interface RecordInfo {
  readonly key: string
  readonly lookup: Lookup<Record.NodeRecord>
  readonly mtimeMs: number
}

export interface RecordsShape extends RecordView {
  /** Writes the record (the commit point), then the node's ref. */
  readonly commit: (record: Record.NodeRecord) => Effect.Effect<void, StoreError>
  /** Every record, read strictly. */
  readonly list: Effect.Effect<ReadonlyArray<RecordInfo>, StoreError>
  readonly remove: (key: string) => Effect.Effect<void, StoreError>
  readonly listRefs: Effect.Effect<ReadonlyArray<RefInfo>, StoreError>
  readonly removeRef: (ref: RefInfo) => Effect.Effect<void, StoreError>
  /** Keeps the log of a node's latest failure, with the key it failed to compute. */
  readonly saveFailure: (pipeline: string, node: string, key: string, text: string) => Effect.Effect<void, StoreError>
  /**
   * The log of a node's latest failure when that failure was for `key` (the node under other params
   * or inputs is another computation: its failure is not this one's).
   */
  readonly failure: (pipeline: string, node: string, key: string) => string | undefined
  /** Saves what speeds up the next plan (the disk layer's record index); best effort. */
  readonly saveIndex: Effect.Effect<void>
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

const KEY = /^[0-9a-f]{64}$/

// A failure log on disk: this header line, naming the key that failed, then the log.
const FAILURE_HEADER = "w2s-failure key="
const failureLog = (text: string, key: string): string | undefined => {
  const nl = text.indexOf("\n")
  return nl > 0 && text.slice(0, nl) === FAILURE_HEADER + key ? text.slice(nl + 1) : undefined
}

/** The disk records of the store at `root`; outputs are checked against `sizeOf` of its objects. */
const makeDisk = (root: string, sizeOf: (hash: string) => number | undefined): RecordsShape => {
  const paths = layout(root)
  const index = makeIndex(paths.index, paths.tmpDir)

  const read = (key: string, strict: boolean | undefined): Lookup<Record.NodeRecord> => {
    let text: string
    let sig: Signature
    try {
      const fd = fs.openSync(paths.record(key), "r")
      try {
        sig = signature(fs.fstatSync(fd))
        text = fs.readFileSync(fd, "utf8")
      } finally {
        fs.closeSync(fd)
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return { _tag: "Absent" }
      return { _tag: "Damaged", reason: `record unreadable: ${StoreError.fromCause(paths.record(key), e).problem}` }
    }
    const r = Record.decode(text, key, strict)
    if (Result.isFailure(r)) return { _tag: "Damaged", reason: `record ${r.failure}` }
    index.remember(key, { sig, record: { key, outputs: r.success.outputs } })
    return checkOutputs(r.success, sizeOf)
  }

  const lookup = (key: string): Lookup => {
    const known = index.get(key)
    if (known) {
      let st: fs.Stats | undefined
      try {
        st = fs.statSync(paths.record(key), NO_THROW_IF_ABSENT)
        if (st === undefined) return { _tag: "Absent" }
      } catch {
        // unreadable: the record read below says why
      }
      if (st && sameSignature(st, known.sig)) {
        index.used(key, known)
        return checkOutputs(known.record, sizeOf)
      }
    }
    return read(key, false)
  }

  const previousKey = (pipeline: string, node: string) => {
    try {
      const key = fs.readFileSync(paths.ref(pipeline, node), "utf8").trim()
      return KEY.test(key) ? key : undefined
    } catch {
      return undefined
    }
  }

  // A record written here enters the index only when a later plan reads it back: pairing the file's
  // signature with what we wrote could race with another process renaming its own record for the key.
  const commit = (record: Record.NodeRecord) =>
    Effect.andThen(
      writeAtomic(paths.tmpDir, paths.record(record.key), Record.encode(record)),
      writeAtomic(paths.tmpDir, paths.ref(record.pipeline, record.node), record.key + "\n")
    )

  const list = Effect.gen(function*() {
    const out: Array<RecordInfo> = []
    for (const shard of yield* listDir(paths.recordsDir)) {
      for (const name of yield* listDir(join(paths.recordsDir, shard))) {
        if (!name.endsWith(".json")) continue
        const key = name.slice(0, -5)
        const mtimeMs = yield* io(paths.record(key), async () => (await fsp.stat(paths.record(key))).mtimeMs)
        out.push({ key, lookup: read(key, true), mtimeMs })
      }
    }
    return out
  })

  const listRefs = Effect.gen(function*() {
    const out: Array<RefInfo> = []
    for (const p of yield* listDir(paths.refsDir)) {
      for (const n of yield* listDir(join(paths.refsDir, p))) {
        const pipeline = decodeURIComponent(p)
        const node = decodeURIComponent(n)
        out.push({ pipeline, node, key: previousKey(pipeline, node) ?? "" })
      }
    }
    return out
  })

  return {
    lookup,
    read,
    previousKey,
    commit,
    list,
    remove: (key) => rm(paths.record(key)),
    listRefs,
    removeRef: (ref) => rm(paths.ref(ref.pipeline, ref.node)),
    saveFailure: (pipeline, node, key, text) => writeAtomic(paths.tmpDir, paths.failure(pipeline, node), `${FAILURE_HEADER}${key}\n${text}`),
    failure: (pipeline, node, key) => {
      try {
        return failureLog(fs.readFileSync(paths.failure(pipeline, node), "utf8"), key)
      } catch {
        return undefined
      }
    },
    saveIndex: index.save
  }
}

/** Records in memory, with the disk layer's behaviour (no index: every lookup reads the record). */
const makeMemory = (state: MemoryStateShape, sizeOf: (hash: string) => number | undefined): RecordsShape => {
  const { records, refs, failures } = state
  const read = (key: string, strict?: boolean): Lookup<Record.NodeRecord> => {
    const text = records.get(key)?.text
    if (text === undefined) return { _tag: "Absent" }
    const r = Record.decode(text, key, strict)
    if (Result.isFailure(r)) return { _tag: "Damaged", reason: `record ${r.failure}` }
    return checkOutputs(r.success, sizeOf)
  }
  return {
    lookup: (key) => read(key),
    read,
    previousKey: (pipeline, node) => refs.get(nodeKey(pipeline, node)),
    commit: (record) =>
      Effect.sync(() => {
        records.set(record.key, { text: Record.encode(record), mtimeMs: Date.now() })
        refs.set(nodeKey(record.pipeline, record.node), record.key)
      }),
    list: Effect.sync(() => [...records].map(([key, r]) => ({ key, lookup: read(key, true), mtimeMs: r.mtimeMs }))),
    remove: (key) => Effect.sync(() => void records.delete(key)),
    listRefs: Effect.sync(() =>
      [...refs].map(([k, key]) => {
        const [pipeline, node] = k.split("\u0000") as [string, string]
        return { pipeline, node, key }
      })
    ),
    removeRef: (ref) => Effect.sync(() => void refs.delete(nodeKey(ref.pipeline, ref.node))),
    saveFailure: (pipeline, node, key, text) => Effect.sync(() => void failures.set(nodeKey(pipeline, node), { key, text })),
    failure: (pipeline, node, key) => {
      const f = failures.get(nodeKey(pipeline, node))
      return f?.key === key ? f.text : undefined
    },
    saveIndex: Effect.void
  }
}

/** The record store service. Both layers check outputs against the `Objects` they are given. */
export class Records extends Context.Service<Records, RecordsShape>()("w2s/store/Records") {
  static readonly layerDisk = (root: string) =>
    Layer.effect(Records, Effect.map(Objects, (objects) => makeDisk(root, objects.sizeOf)))
  static readonly layerMemory = Layer.effect(
    Records,
    Effect.gen(function*() {
      const state = yield* MemoryState
      const objects = yield* Objects
      return makeMemory(state, objects.sizeOf)
    })
  )
}
