/**
 * Pipelines: a params Schema with named presets, and a `build` function that calls stages to make a
 * graph of nodes. Resolving a pipeline (preset + `--set` overrides -> validated params -> graph) is
 * where every definition error is caught, before anything runs: unknown or malformed overrides,
 * params the schema rejects, duplicate ids, missing or mistyped inputs, references to unknown nodes,
 * cycles. Identical nodes (same stage, params and inputs) collapse into one, so sweeps share work.
 */
import { Effect, Result, Schema } from "effect"
import { isMany, splitWire } from "./Artifact.ts"
import { GraphTooLarge, InvalidParams, InvalidPipeline, NotFound, UsageError } from "./Errors.ts"
import { canonicalJson, type Json } from "./Key.ts"
import { countingNodes, NodeLimitReached } from "./Stage.ts"
import type { AnyStage, NodeRef, Output, Ports } from "./Stage.ts"

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

const errorText = (e: unknown) =>
  (typeof e === "object" && e !== null && "message" in e ? String((e as { message: unknown }).message) : String(e))
    .replace(/\n\s*/g, " ")

// ---------------------------------------------------------------------------------------------
// Params: presets and --set overrides
// ---------------------------------------------------------------------------------------------

/** One `--set path=value`: the value is JSON when it parses as JSON, else a string. */
export const parseSet = (text: string): Result.Result<{ path: ReadonlyArray<string>; value: Json }, UsageError> => {
  const eq = text.indexOf("=")
  if (eq <= 0) return Result.fail(new UsageError({ message: `--set expects path=value, got '${text}'` }))
  const pathText = text.slice(0, eq).trim()
  const path = pathText.split(".")
  if (path.some((s) => s.length === 0 || !/^[A-Za-z0-9_-]+$/.test(s))) {
    return Result.fail(new UsageError({ message: `--set path '${pathText}' is malformed (use dotted names, e.g. strong.epochs=4)` }))
  }
  const raw = text.slice(eq + 1)
  let value: Json
  try {
    value = JSON.parse(raw) as Json
  } catch {
    value = raw
  }
  return Result.succeed({ path, value })
}

/**
 * A params file (a JSON object holding part of the params, e.g. `{"strong": {"training": {"epochs": 2}}}`)
 * as `--set` texts: one per leaf; lists are leaves (replaced whole). `source` names the file in errors.
 */
export const setsFromJson = (json: unknown, source: string): Result.Result<ReadonlyArray<string>, UsageError> => {
  if (!isRecord(json)) return Result.fail(new UsageError({ message: `${source}: expected a JSON object of params, got ${Array.isArray(json) ? "a list" : json === null ? "null" : typeof json}` }))
  const out: Array<string> = []
  const walk = (v: Json, path: Array<string>): string | undefined => {
    if (isRecord(v) && path.length > 0 && Object.keys(v).length === 0) return `${source}: '${path.join(".")}' is an empty object`
    if (!isRecord(v)) {
      out.push(`${path.join(".")}=${JSON.stringify(v)}`)
      return undefined
    }
    for (const [k, x] of Object.entries(v)) {
      if (!/^[A-Za-z0-9_-]+$/.test(k)) return `${source}: '${[...path, k].join(".")}' is not a param name`
      const bad = walk(x, [...path, k])
      if (bad) return bad
    }
    return undefined
  }
  const bad = walk(json, [])
  return bad ? Result.fail(new UsageError({ message: bad })) : Result.succeed(out)
}

const isRecord = (v: unknown): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v)

/** Applies one override to a copy of `params`; the path must name an existing param. */
const applySet = (pipeline: string, params: Json, path: ReadonlyArray<string>, value: Json): Result.Result<Json, InvalidParams> => {
  const go = (cur: Json, i: number): Json => {
    const seg = path[i]!
    const here = path.slice(0, i + 1).join(".")
    if (Array.isArray(cur)) {
      const idx = /^\d+$/.test(seg) ? Number(seg) : NaN
      if (!(idx < cur.length)) throw `unknown param '${here}' (${path.slice(0, i).join(".")} is a list of ${cur.length})`
      const copy = [...cur]
      copy[idx] = i === path.length - 1 ? value : go(cur[idx]!, i + 1)
      return copy
    }
    if (!isRecord(cur) || !(seg in cur)) {
      const parent = path.slice(0, i).join(".")
      const known = isRecord(cur) ? Object.keys(cur).map((k) => (parent ? `${parent}.${k}` : k)) : []
      throw `unknown param '${here}'` + (known.length ? ` (known here: ${known.join(", ")})` : ` (${parent} is not a group of params)`)
    }
    return { ...cur, [seg]: i === path.length - 1 ? value : go(cur[seg]!, i + 1) }
  }
  try {
    return Result.succeed(go(params, 0))
  } catch (message) {
    return Result.fail(new InvalidParams({ pipeline, message: String(message) }))
  }
}

/** The params of a pipeline for a preset and overrides, validated by its Schema. */
export const resolveParams = <P, PE>(pipeline: Pipeline<P, PE>, preset: string | undefined, sets: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const name = preset ?? pipeline.defaultPreset
    if (!Object.hasOwn(pipeline.presets, name)) {
      return yield* Effect.fail(new NotFound({ what: `preset of ${pipeline.name}`, name, known: Object.keys(pipeline.presets) }))
    }
    let encoded = pipeline.presets[name] as Json
    for (const text of sets) {
      const { path, value } = yield* Effect.fromResult(parseSet(text))
      encoded = yield* Effect.fromResult(applySet(pipeline.name, encoded, path, value))
    }
    const decoded = Schema.decodeUnknownResult(pipeline.params)(encoded, { errors: "all", onExcessProperty: "error" })
    if (Result.isFailure(decoded)) {
      return yield* Effect.fail(new InvalidParams({ pipeline: pipeline.name, message: `params (preset ${name}): ${errorText(decoded.failure)}` }))
    }
    return { preset: name, encoded, params: decoded.success }
  })

// ---------------------------------------------------------------------------------------------
// Graphs
// ---------------------------------------------------------------------------------------------

/** Walks the nodes reachable from `targets` and collapses identical ones. */
export const collect = (pipeline: string, targets: Targets): Result.Result<ReadonlyArray<NodeSpec>, InvalidPipeline | InvalidParams> => {
  // Identical nodes share a signature: stage, params and the signatures of their inputs. Signatures
  // are numbered as they are first seen, so a node's signature text names its inputs by number and
  // stays short however deep the graph (nothing here is stored, so nothing needs hashing).
  const sigOf = new Map<NodeRef<Ports>, number>()
  const sigNumbers = new Map<string, number>()
  const specs: Array<NodeSpec & { aliases: Array<string> }> = [] // by signature number
  const idToSig = new Map<string, number>()
  const fail = (message: string) => {
    throw new InvalidPipeline({ pipeline, message })
  }

  const isOutput = (o: unknown): o is Output<unknown> => !!o && typeof o === "object" && "source" in o
  /** The upstream nodes of `node` that have no signature yet. */
  const pendingOf = (node: NodeRef<Ports>): Array<NodeRef<Ports>> => {
    const pending: Array<NodeRef<Ports>> = []
    const see = (o: unknown) => {
      if (isOutput(o) && !("ref" in o.source) && !sigOf.has(o.source as NodeRef<Ports>)) pending.push(o.source as NodeRef<Ports>)
    }
    for (const port in node.inputs) {
      const o = (node.inputs as Record<string, unknown>)[port]
      if (Array.isArray(o)) for (const x of o) see(x)
      else see(o)
    }
    return pending
  }

  /** Signature of a node whose upstream all have signatures. */
  const admit = (node: NodeRef<Ports>): void => {
    const inputs: Record<string, Wire> = {}
    const inputSigs: Record<string, string> = {}
    const wire = (port: string, out: unknown) => {
      if (!isOutput(out)) fail(`node '${node.id}' input '${port}' is not an output of another node`)
      const o = out as Output<unknown>
      if ("ref" in o.source) {
        inputs[port] = { node: o.source.ref, port: o.port }
        inputSigs[port] = `ref ${JSON.stringify([o.source.ref, o.port])}`
      } else {
        const upSig = sigOf.get(o.source)!
        inputs[port] = { node: specs[upSig]!.id, port: o.port }
        inputSigs[port] = `${upSig}.${o.port}`
      }
    }
    for (const port in node.inputs) {
      const out = (node.inputs as Record<string, unknown>)[port]
      if (Array.isArray(out)) for (let i = 0; i < out.length; i++) wire(`${port}[${i}]`, out[i])
      else wire(port, out)
    }
    let paramsText: string
    try {
      paramsText = canonicalJson(node.params)
    } catch (e) {
      throw new InvalidParams({ pipeline, message: `node '${node.id}': params are not JSON: ${errorText(e)}` })
    }
    const ports = Object.keys(inputSigs)
    if (ports.length > 1) ports.sort()
    const parts: Array<string> = [node.stage.name, paramsText]
    for (const p of ports) parts.push(p, inputSigs[p]!)
    const text = JSON.stringify(parts)
    const known = sigNumbers.get(text)
    if (known !== undefined) {
      sigOf.set(node, known)
      const existing = specs[known]!
      if (existing.id !== node.id && !existing.aliases.includes(node.id)) existing.aliases.push(node.id)
      return
    }
    const sig = specs.length
    sigNumbers.set(text, sig)
    sigOf.set(node, sig)
    const other = idToSig.get(node.id)
    if (other !== undefined) {
      const a = specs[other]!
      fail(
        `duplicate node id '${node.id}': used by two different nodes (stage ${a.stage.name} and stage ${node.stage.name}` +
          `${a.stage.name === node.stage.name ? " with different params or inputs" : ""}); give each an id of its own`
      )
    }
    idToSig.set(node.id, sig)
    specs.push({ id: node.id, stage: node.stage, params: node.params, paramsText, paramsChecked: node.paramsChecked, inputs, aliases: [] })
  }

  // Post-order without recursion: graphs of 100k nodes are deeper than the call stack.
  const visit = (root: NodeRef<Ports>): void => {
    const entered = new Set<NodeRef<Ports>>()
    const stack = [root]
    while (stack.length) {
      const node = stack[stack.length - 1]!
      if (sigOf.has(node)) {
        stack.pop()
        continue
      }
      const pending = pendingOf(node)
      if (pending.length === 0) {
        stack.pop()
        admit(node)
      } else {
        if (entered.has(node)) fail(`cycle through node '${node.id}'`)
        entered.add(node)
        for (let i = pending.length - 1; i >= 0; i--) stack.push(pending[i]!)
      }
    }
  }

  const walk = (t: Targets, where: string): void => {
    if (t === null || typeof t !== "object") fail(`build returned ${t === null ? "null" : typeof t} at ${where || "top level"}; expected nodes`)
    if (Array.isArray(t)) return t.forEach((x, i) => walk(x, `${where}[${i}]`))
    if ("stage" in t && "outputs" in t && typeof (t as NodeRef<Ports>).stage === "function") {
      visit(t as NodeRef<Ports>)
      return
    }
    for (const [k, v] of Object.entries(t)) walk(v as Targets, where ? `${where}.${k}` : k)
  }

  try {
    walk(targets, "")
  } catch (e) {
    if (e instanceof InvalidPipeline || e instanceof InvalidParams) return Result.fail(e)
    throw e
  }
  return Result.succeed(specs)
}

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
 * The params that differ between two encoded param sets, as `path=value` (lists compared whole, long
 * values shortened): what a user changed from a preset.
 */
export const changedParams = (before: Json, after: Json): ReadonlyArray<string> => {
  const out: Array<string> = []
  const go = (a: Json | undefined, b: Json | undefined, path: string) => {
    if (isRecord(a) && isRecord(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) go(a[k], b[k], path ? `${path}.${k}` : k)
      return
    }
    const text = b === undefined ? "(removed)" : JSON.stringify(b)
    if (a === undefined || b === undefined || JSON.stringify(a) !== text) out.push(`${path}=${text.length > 40 ? `${text.slice(0, 37)}...` : text}`)
  }
  go(before, after, "")
  return out
}

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
    const built = yield* Effect.result(Effect.try({
      try: () => countingNodes(MAX_NODES, () => pipeline.build(resolved.params)),
      catch: (e) => e instanceof NodeLimitReached ? tooLarge() : new InvalidPipeline({ pipeline: pipeline.name, message: `build failed: ${errorText(e)}` })
    }))
    yield* Effect.yieldNow
    const { value: targets, made } = yield* Effect.fromResult(built)
    if (made > MAX_NODES) return yield* Effect.fail(tooLarge())
    const specs = yield* Effect.fromResult(collect(pipeline.name, targets))
    yield* Effect.yieldNow
    const g = yield* Effect.fromResult(validate(pipeline.name, resolved.preset, resolved.encoded, specs))
    yield* Effect.yieldNow
    return g
  })
