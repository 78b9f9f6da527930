/**
 * Pipelines: a params Schema with named presets, and a `build` function that calls stages to make a
 * graph of nodes. Resolving a pipeline (preset + `--set` overrides -> validated params, see
 * `Params.ts` -> graph) is where every definition error is caught, before anything runs: unknown or
 * malformed overrides, params the schema rejects, duplicate ids, missing or mistyped inputs,
 * references to unknown nodes, cycles. Identical nodes (same stage, params and inputs) collapse into
 * one, so sweeps share work.
 */
import { Effect, Result, Schema } from "effect"
import { isMany, splitWire } from "./Artifact.ts"
import { GraphTooLarge, InvalidParams, InvalidPipeline, messageOf } from "./Errors.ts"
import { canonicalJson, type Json } from "./Key.ts"
import { collect } from "./Collect.ts"
import { changedParams, resolveParams } from "./Params.ts"
import { countingNodes, NodeLimitReached } from "./Stage.ts"
import type { AnyStage, NodeRef, Ports, Resources } from "./Stage.ts"

/** A pipeline definition. Presets hold complete params in their encoded (JSON) form. */
export interface PipelineDef<P, PE> {
  readonly name: string
  readonly description: string
  readonly params: Schema.Codec<P, PE>
  readonly presets: Readonly<Record<string, PE>>
  readonly defaultPreset: string
  /** Returns the nodes the pipeline is for (any nesting of arrays and records); their upstream comes along. */
  readonly build: (params: P) => Targets
  /** The output `pipeline results` prints: a node id and one of its (table) output ports. */
  readonly results?: { readonly node: string; readonly output: string }
  /**
   * What a node of a stage (by stage name) needs where it runs as a batch job, over the stage's own
   * `resources`: a pipeline can send a stage to Slurm, or size it, without editing the stage (whose
   * module's fingerprint, and so every key, an edit would change). Not part of any key.
   */
  readonly resources?: Readonly<Record<string, Resources>>
}

export type Targets = NodeRef<Ports> | ReadonlyArray<Targets> | { readonly [k: string]: Targets }

export interface Pipeline<P = any, PE = any> extends PipelineDef<P, PE> {}

/** Defines a pipeline; checks that the default preset exists. */
export const make = <P, PE>(def: PipelineDef<P, PE>): Pipeline<P, PE> => {
  if (!(def.defaultPreset in def.presets)) {
    throw new Error(`pipeline ${def.name}: default preset '${def.defaultPreset}' is not among its presets`)
  }
  return def
}

/** One edge end: output `port` of node `node`. */
export interface Wire {
  readonly node: string
  readonly port: string
}

/** A node of a resolved graph. */
export interface GraphNode {
  readonly id: string
  readonly stage: AnyStage
  readonly params: Json
  /** `params` as canonical JSON (what keys hash), computed once. */
  readonly paramsText: string
  readonly inputs: Readonly<Record<string, Wire>>
  /** Other ids that named an identical node. */
  readonly aliases: ReadonlyArray<string>
}

/** A validated graph, nodes in a topological order. */
export interface Graph {
  readonly pipeline: string
  readonly preset: string
  readonly params: Json
  readonly nodes: ReadonlyArray<GraphNode>
  readonly byId: ReadonlyMap<string, GraphNode>
  /**
   * Ids of nodes the pipeline's build made but did not return (nor lead to from what it returned),
   * other than copies of nodes in the graph: not part of the graph, so never run. The CLI warns.
   */
  readonly unreturned?: ReadonlyArray<string> | undefined
}

/** The raw form of a node, before validation. */
export interface NodeSpec {
  readonly id: string
  readonly stage: AnyStage
  readonly params: Json
  readonly inputs: Readonly<Record<string, Wire>>
  readonly aliases?: ReadonlyArray<string>
  readonly paramsText?: string
  /** The params already passed the stage's schema (a stage call encodes them); else `validate` decodes them. */
  readonly paramsChecked?: boolean
}

const errorText = (e: unknown) => messageOf(e).replace(/\n\s*/g, " ")

export { changedParams, parseSet, resolveParams, setsFromJson } from "./Params.ts"
export { collect } from "./Collect.ts"

const decoders = new WeakMap<AnyStage, ReturnType<typeof Schema.decodeUnknownResult>>()
const paramsDecoder = (stage: AnyStage) => {
  let d = decoders.get(stage)
  if (!d) decoders.set(stage, (d = Schema.decodeUnknownResult(stage.params)))
  return d
}

/** What a node id may be: no spaces, no control characters. */
const ID_PATTERN = /^[^\s\p{Cc}]+$/u
const DECODE_STRICT = { errors: "all", onExcessProperty: "error" } as const

/** Validates node specs and orders them topologically. */
export const validate = (
  pipeline: string,
  preset: string,
  params: Json,
  specs: ReadonlyArray<NodeSpec>
): Result.Result<Graph, InvalidPipeline | InvalidParams> => {
  const bad = (message: string) => Result.fail(new InvalidPipeline({ pipeline, message }))
  const byId = new Map<string, NodeSpec>()
  for (const s of specs) {
    if (typeof s.id !== "string" || !ID_PATTERN.test(s.id)) {
      return bad(`a node of stage ${s.stage?.name} has an empty id or one with spaces: '${s.id}'`)
    }
    if (byId.has(s.id)) return bad(`duplicate node id '${s.id}'`)
    byId.set(s.id, s)
  }
  const aliasOf = new Map<string, string>()
  for (const s of specs) for (const a of s.aliases ?? []) if (!byId.has(a)) aliasOf.set(a, s.id)
  const nodes = new Map<string, GraphNode>()
  // Specs from `collect` come upstream first: then their order is already topological.
  let sorted = true
  for (const s of specs) {
    const declared = s.stage.inputs
    for (const port in declared) {
      if (!isMany(declared[port]!) && !(port in s.inputs)) return bad(`node '${s.id}' (stage ${s.stage.name}) is missing input '${port}'`)
    }
    const inputs: Record<string, Wire> = {}
    for (const port in s.inputs) {
      const wire = s.inputs[port]!
      const [base, index] = splitWire(port)
      const decl = declared[base]
      const want = decl && (isMany(decl) === (index !== undefined)) ? (isMany(decl) ? decl.item : decl) : undefined
      if (!want) {
        return bad(`node '${s.id}' has no input '${port}' (stage ${s.stage.name} takes: ${Object.keys(declared).join(", ") || "none"})`)
      }
      const upId = byId.has(wire.node) ? wire.node : aliasOf.get(wire.node)
      if (upId === undefined) return bad(`node '${s.id}' input '${port}' refers to unknown node '${wire.node}'`)
      if (sorted && !nodes.has(upId)) sorted = false
      const up = byId.get(upId)!
      const have = up.stage.outputs[wire.port]
      if (!have) {
        return bad(`node '${s.id}' input '${port}' refers to '${upId}.${wire.port}', but ${upId} has outputs: ${Object.keys(up.stage.outputs).join(", ")}`)
      }
      if (have.signature !== want.signature) {
        return bad(`node '${s.id}' input '${port}' wants ${want.signature}, but '${upId}.${wire.port}' is ${have.signature}`)
      }
      inputs[port] = { node: upId, port: wire.port }
    }
    if (!s.paramsChecked) {
      const decoded = paramsDecoder(s.stage)(s.params, DECODE_STRICT)
      if (Result.isFailure(decoded)) {
        return Result.fail(new InvalidParams({ pipeline, message: `node '${s.id}' (stage ${s.stage.name}): ${errorText(decoded.failure)}` }))
      }
    }
    let paramsText = s.paramsText
    if (paramsText === undefined) {
      try {
        paramsText = canonicalJson(s.params)
      } catch (e) {
        return Result.fail(new InvalidParams({ pipeline, message: `node '${s.id}': params are not JSON: ${errorText(e)}` }))
      }
    }
    nodes.set(s.id, { id: s.id, stage: s.stage, params: s.params, paramsText, inputs, aliases: s.aliases ?? [] })
  }
  if (sorted) return Result.succeed({ pipeline, preset, params, nodes: [...nodes.values()], byId: nodes })
  // Depth-first topological sort without recursion; a back edge is a cycle, reported along its path.
  const order: Array<GraphNode> = []
  const state = new Map<string, "visiting" | "done">()
  const depsOf = (id: string): Array<string> => {
    const deps = new Set<string>()
    const inputs = nodes.get(id)!.inputs
    for (const port in inputs) deps.add(inputs[port]!.node)
    return [...deps]
  }
  let cycle: Array<string> | undefined
  outer: for (const s of specs) {
    if (state.has(s.id)) continue
    const stack = [{ id: s.id, deps: depsOf(s.id), i: 0 }]
    state.set(s.id, "visiting")
    while (stack.length) {
      const top = stack[stack.length - 1]!
      if (top.i < top.deps.length) {
        const d = top.deps[top.i++]!
        const st = state.get(d)
        if (st === "done") continue
        if (st === "visiting") {
          cycle = [...stack.slice(stack.findIndex((f) => f.id === d)).map((f) => f.id), d]
          break outer
        }
        state.set(d, "visiting")
        stack.push({ id: d, deps: depsOf(d), i: 0 })
      } else {
        stack.pop()
        state.set(top.id, "done")
        order.push(nodes.get(top.id)!)
      }
    }
  }
  if (cycle) return bad(`cycle: ${cycle.join(" -> ")}`)
  return Result.succeed({ pipeline, preset, params, nodes: order, byId: nodes })
}

/**
 * The most nodes a pipeline's build may make. Past it, building and planning would take minutes and
 * gigabytes with no way to stop them (a build is one synchronous call), and a graph this size is
 * almost always a typo (`shards=3000000`): a stage call past it ends the build with `GraphTooLarge`.
 * At this size a build takes a few seconds (`npm run bench` plans 100,000 nodes in about a second).
 */
export const MAX_NODES = 250_000

/**
 * Resolves a pipeline for a preset and overrides into a validated graph. Nothing runs. Between its
 * steps (build, collect, validate) it yields to the event loop, so a signal that came during a long
 * step interrupts it as soon as the step ends.
 */
export const graph = <P, PE>(pipeline: Pipeline<P, PE>, preset: string | undefined, sets: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    const resolved = yield* resolveParams(pipeline, preset, sets)
    const tooLarge = () =>
      new GraphTooLarge({
        pipeline: pipeline.name,
        preset: resolved.preset,
        limit: MAX_NODES,
        overrides: changedParams(pipeline.presets[resolved.preset] as Json, resolved.encoded)
      })
    const madeRefs: Array<NodeRef<Ports>> = []
    const built = yield* Effect.result(Effect.try({
      try: () => countingNodes(MAX_NODES, () => pipeline.build(resolved.params), madeRefs),
      catch: (e) => e instanceof NodeLimitReached ? tooLarge() : new InvalidPipeline({ pipeline: pipeline.name, message: `build failed: ${errorText(e)}` })
    }))
    yield* Effect.yieldNow
    const { value: targets, made } = yield* Effect.fromResult(built)
    if (made > MAX_NODES) return yield* Effect.fail(tooLarge())
    const walked: { visited?: ReadonlyMap<NodeRef<Ports>, number> | ReadonlySet<NodeRef<Ports>> } = {}
    const specs = yield* Effect.fromResult(collect(pipeline.name, targets, walked))
    yield* Effect.yieldNow
    const g = yield* Effect.fromResult(validate(pipeline.name, resolved.preset, resolved.encoded, specs))
    yield* Effect.yieldNow
    const unreturned = unreturnedNodes(g, madeRefs, walked.visited)
    return unreturned.length ? { ...g, unreturned } : g
  })

/** The nodes made but neither reached by the walk nor identical (stage, id, params) to a node of the graph. */
const unreturnedNodes = (g: Graph, made: ReadonlyArray<NodeRef<Ports>>, visited: { has: (n: NodeRef<Ports>) => boolean } | undefined) => {
  if (!visited) return []
  const out: Array<string> = []
  for (const n of made) {
    if (visited.has(n)) continue
    const same = g.byId.get(n.id) ?? g.nodes.find((x) => x.aliases.includes(n.id))
    let paramsText: string | undefined
    try {
      paramsText = canonicalJson(n.params)
    } catch {
      paramsText = undefined
    }
    if (same && same.stage.name === n.stage.name && same.paramsText === paramsText) continue
    if (!out.includes(n.id)) out.push(n.id)
  }
  return out
}
