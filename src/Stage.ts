/**
 * Stages: named, versioned computations with a params Schema, typed input and output ports and a
 * `run` effect. A stage is also a function: calling it with params and upstream outputs makes a node
 * of a pipeline graph (nothing runs then). Nodes are plain immutable values; `Pipeline` walks them.
 */
import type { Effect } from "effect"
import { Schema } from "effect"
import { type AnyInput, type AnyPort, codecsOf, type Many, type Port, type ValueOf } from "./Artifact.ts"
import { stageFingerprint } from "./Fingerprint.ts"
import type { Json } from "./Key.ts"

/** Progress a running stage reports: `done` of `total` units, with an optional note (e.g. a loss). */
export interface Progress {
  readonly done: number
  readonly total?: number | undefined
  readonly unit?: string | undefined
  readonly note?: string | undefined
}

/** What one node needs of a machine: cores, memory (MiB) and whether a GPU. */
export interface Resources {
  readonly cpus?: number | undefined
  readonly memoryMb?: number | undefined
  readonly gpu?: boolean | undefined
}

/** What a running stage can see and report. */
export interface StageContext<P, I extends InputPorts> {
  readonly node: string
  readonly params: P
  readonly inputs: { readonly [K in keyof I]: InputValue<I[K]> }
  /** A line for the node's log (stored with its record, shown by `pipeline show`). */
  readonly log: (line: string) => void
  readonly progress: (p: Progress) => void
  /** Facts about how the outputs were made (backend, engine...), stored in the record. */
  readonly annotate: (facts: Readonly<Record<string, Json>>) => void
}

export type Ports = Readonly<Record<string, AnyPort>>
export type InputPorts = Readonly<Record<string, AnyInput>>
/** What a stage sees for an input port: the value, or an array of values for a `many` port. */
export type InputValue<P> = P extends Many<infer A> ? ReadonlyArray<A> : ValueOf<P>
export type Values<O extends Ports> = { readonly [K in keyof O]: ValueOf<O[K]> }

/** A reference to one output port of a node (or, for graphs built by id, of a node named later). */
export interface Output<A> {
  readonly "~value": (a: A) => A
  readonly source: NodeRef<Ports> | { readonly ref: string }
  readonly port: string
  readonly type: Port<A>
}

/** A node of a pipeline graph, as made by calling a stage. */
export interface NodeRef<O extends Ports> {
  readonly id: string
  readonly stage: AnyStage
  /** Params in their encoded (JSON) form. */
  readonly params: Json
  /** The params passed the stage's schema when the node was made (validation need not decode them again). */
  readonly paramsChecked: boolean
  readonly inputs: Readonly<Record<string, Output<unknown> | ReadonlyArray<Output<unknown>>>>
  readonly outputs: { readonly [K in keyof O]: Output<ValueOf<O[K]>> }
}

type InputArgs<I extends InputPorts> = {
  readonly [K in keyof I]: I[K] extends Many<infer A> ? ReadonlyArray<Output<A>> : Output<ValueOf<I[K]>>
}

/** The arguments of a stage call. */
export type NodeArgs<P, I extends InputPorts> =
  & { readonly id?: string; readonly params: P }
  & ([keyof I] extends [never] ? { readonly inputs?: InputArgs<I> } : { readonly inputs: InputArgs<I> })

/** The definition of a stage. */
export interface StageDef<P, PE, I extends InputPorts, O extends Ports> {
  /** Unique among all stages; part of every key. */
  readonly name: string
  /** Bump for a semantic change the code fingerprint would not catch (e.g. a data file). */
  readonly version: number
  /** `import.meta.url` of the module that defines the stage: its fingerprint covers that module's imports. */
  readonly source: string
  readonly description?: string
  readonly params: Schema.Codec<P, PE>
  readonly inputs: I
  readonly outputs: O
  /** CPU-heavy: run in a worker thread so that parallel nodes use every core. */
  readonly heavy?: boolean
  /**
   * How many cores one node of this stage counts for against `--jobs` (default 1; in twelfths of a
   * core, rounded up). A stage that spends part of its time waiting (on an engine process, say) can
   * say less, so that more of its nodes run at once; one that runs several threads can say more (a
   * node asking for more than `--jobs` runs alone). With Slurm it counts against the jobs queued.
   * The value is not part of the key (it changes how many nodes run at once, never their bytes), but
   * writing it in a stage's module changes that module's fingerprint, as any edit does, and so the
   * keys of every stage whose module is or imports it.
   */
  readonly cpu?: number
  /**
   * What one node of this stage needs where it runs as a batch job (`--executor slurm`). Not part of
   * the key: it changes where a node runs, never its bytes. A stage with neither this nor `heavy` is
   * light and runs on the driver.
   */
  readonly resources?: Resources
  readonly run: (ctx: StageContext<P, I>) => Effect.Effect<Values<O>, unknown>
}

/** A stage: its definition plus the call that makes nodes. */
export interface Stage<P, PE, I extends InputPorts, O extends Ports> extends StageDef<P, PE, I, O> {
  (args: NodeArgs<P, I>): NodeRef<O>
  /** The code fingerprint with the codecs of the stage's ports (computed once, on first use). */
  readonly fingerprint: () => string
  readonly encodeParams: (p: P) => Json
}

export type AnyStage = Stage<any, any, InputPorts, Ports>

const registry = new Map<string, AnyStage>()

/** Thrown by a stage call once the nodes made under `countingNodes` pass its limit. */
export class NodeLimitReached {
  constructor(readonly limit: number) {}
}

let budget: { made: number; readonly limit: number; readonly refs: Array<NodeRef<Ports>> | undefined } | undefined

/**
 * Runs `f` (a pipeline's `build`) counting the nodes that stage calls make: once `limit` are made,
 * every further call throws `NodeLimitReached`, so a build that would make millions of nodes stops
 * after `limit` of them. Returns `f`'s value and the count (past `limit` if `f` caught the throw).
 * With `refs`, every node made is also pushed there (to find those the build did not return).
 */
export const countingNodes = <A>(limit: number, f: () => A, refs?: Array<NodeRef<Ports>>): { readonly value: A; readonly made: number } => {
  const outer = budget
  const mine = { made: 0, limit, refs }
  budget = mine
  try {
    const value = f()
    return { value, made: mine.made }
  } finally {
    budget = outer
  }
}

/** Defines a stage. Stage names are global: defining two different stages with one name throws. */
export const make = <P, PE, I extends InputPorts, O extends Ports>(def: StageDef<P, PE, I, O>): Stage<P, PE, I, O> => {
  if (def.cpu !== undefined && !(Number.isFinite(def.cpu) && def.cpu > 0)) {
    throw new Error(`stage '${def.name}': cpu must be a positive number of cores, got ${def.cpu}`)
  }
  const encode = Schema.encodeSync(def.params as Schema.Codec<P, PE>)
  let fp: string | undefined
  const outputPorts = Object.entries(def.outputs)
  const call = (args: NodeArgs<P, I>): NodeRef<O> => {
    if (budget !== undefined && ++budget.made > budget.limit) throw new NodeLimitReached(budget.limit)
    let params: Json
    let paramsChecked = true
    try {
      params = encode(args.params) as Json
    } catch {
      // Left for validation to report with the node's id; an invalid value still gets a node.
      params = args.params as Json
      paramsChecked = false
    }
    const outputs: Record<string, Output<unknown>> = {}
    const node: NodeRef<O> = {
      id: args.id ?? def.name,
      stage: stage as unknown as AnyStage,
      params,
      paramsChecked,
      inputs: (args.inputs ?? {}) as NodeRef<O>["inputs"],
      outputs: outputs as unknown as NodeRef<O>["outputs"]
    }
    for (const [port, type] of outputPorts) outputs[port] = { "~value": identity, source: node as NodeRef<Ports>, port, type }
    budget?.refs?.push(node as NodeRef<Ports>)
    return node
  }
  const { name: _name, ...rest } = def
  const stage = Object.assign(call, rest, {
    fingerprint: () => (fp ??= stageFingerprint(def.source, codecsOf([...Object.values(def.inputs), ...Object.values(def.outputs)]))),
    encodeParams: (p: P) => encode(p) as Json
  }) as unknown as Stage<P, PE, I, O>
  Object.defineProperty(stage, "name", { value: def.name })
  const prior = registry.get(def.name)
  if (prior && prior.source !== def.source) {
    throw new Error(`two stages are named '${def.name}' (${prior.source} and ${def.source})`)
  }
  registry.set(def.name, stage as unknown as AnyStage)
  return stage
}

const identity = <A>(a: A): A => a

/**
 * A stage by name, for the far side of a thread or process boundary that receives only (stage name,
 * params, inputs): a worker thread, a Slurm job's `exec-node`. In process, jobs carry the stage value.
 */
export const lookup = (name: string): AnyStage | undefined => registry.get(name)

/** An output of a node named by id, resolved when the graph is built: lets graphs name later nodes. */
export const ref = <A>(nodeId: string, port: string, type: Port<A>): Output<A> => ({
  "~value": (a) => a,
  source: { ref: nodeId },
  port,
  type
})
