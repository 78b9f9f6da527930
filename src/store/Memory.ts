/**
 * The state of an in-memory store (the test double of the disk store): plain maps that the memory
 * layers of objects and records share, and that the memory `Damage` layer edits behind their back.
 * One `MemoryState.layer` is one fresh store.
 */
import { Context, Layer } from "effect"

export interface MemoryObject {
  readonly bytes: Uint8Array
  readonly mtimeMs: number
}

export interface MemoryRecord {
  readonly text: string
  readonly mtimeMs: number
}

export interface MemoryStateShape {
  readonly objects: Map<string, MemoryObject>
  /** key -> the record's stored text (as the disk store would hold it) */
  readonly records: Map<string, MemoryRecord>
  /** `pipeline\0node` -> key */
  readonly refs: Map<string, string>
  /** `pipeline\0node` -> the latest failure: the key it was for, and its log */
  readonly failures: Map<string, { readonly key: string; readonly text: string }>
  /** run id -> the run's summary as the disk store would hold it */
  readonly history: Map<string, string>
  /** run id -> the run's plain log */
  readonly runLogs: Map<string, string>
}

export class MemoryState extends Context.Service<MemoryState, MemoryStateShape>()("w2s/store/MemoryState") {
  static readonly layer = Layer.sync(MemoryState, () => ({
    objects: new Map(),
    records: new Map(),
    refs: new Map(),
    failures: new Map(),
    history: new Map(),
    runLogs: new Map()
  }))
}

/** The map key of a (pipeline, node) pair. */
export const nodeKey = (pipeline: string, node: string) => `${pipeline}\u0000${node}`
