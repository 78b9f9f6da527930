/**
 * Reach: which records a graph still needs, whatever state the store is in; what `gc` keeps. Pure
 * over a record view, like the planner it builds on.
 *
 * A node whose key the plan can compute needs exactly the record of that key. A node whose key
 * cannot be computed yet (an upstream record is missing or damaged, so the upstream must run
 * first) needs every record that its key could turn out to name: a record of the same node id (or
 * one of its aliases) whose stage, version, code fingerprint and canonical params are the node's,
 * whose input ports are the node's, and whose inputs agree with every input hash that is known
 * (those of upstream nodes that are cached). Only the unknown input hashes are left open, so a record
 * that differs in anything the node can already see is never kept for it. The node id keeps a stage
 * whose params do not tell its nodes apart (the toy's `square`) from keeping every record of that
 * stage; the pipeline is not compared, since a record committed by another pipeline with the same
 * node serves this one too (keys do not hold the pipeline).
 */
import { canonicalJson } from "./Key.ts"
import type { Graph, GraphNode } from "./Pipeline.ts"
import { plan } from "./Planner.ts"
import type { NodeRecord } from "./Record.ts"
import type { RecordView } from "./store/Records.ts"

/** What a node of unknown key would hold in its record, its known input hashes included. */
export interface Pattern {
  readonly pipeline: string
  /** the node's id and aliases */
  readonly ids: ReadonlyArray<string>
  readonly stage: string
  readonly version: number | string
  readonly fingerprint: string
  readonly paramsText: string
  /** every input port of the node (wired names, `reports[2]`), sorted */
  readonly ports: ReadonlyArray<string>
  /** input port -> content hash, for the inputs whose upstream is cached */
  readonly inputs: Readonly<Record<string, string>>
}

/** What a graph needs: the keys it can compute, and the patterns of the nodes whose key it cannot. */
export interface Reached {
  readonly keys: ReadonlyArray<string>
  readonly patterns: ReadonlyArray<Pattern>
}

const patternOf = (graph: Graph, node: GraphNode, known: (id: string) => NodeRecord["outputs"] | undefined): Pattern => {
  const inputs: Record<string, string> = {}
  for (const port in node.inputs) {
    const wire = node.inputs[port]!
    const hash = known(wire.node)?.[wire.port]?.hash
    if (hash !== undefined) inputs[port] = hash
  }
  return {
    pipeline: graph.pipeline,
    ids: [node.id, ...node.aliases],
    stage: node.stage.name,
    version: node.stage.version,
    fingerprint: node.stage.fingerprint(),
    paramsText: node.paramsText,
    ports: Object.keys(node.inputs).sort(),
    inputs
  }
}

/** The keys and patterns `graph` needs, against the records `view` holds now. */
export const reach = (graph: Graph, view: RecordView): Reached => {
  const keys: Array<string> = []
  const patterns: Array<Pattern> = []
  const p = plan(graph, view)
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  for (const n of p.nodes) {
    if (n.key !== undefined) keys.push(n.key)
    else patterns.push(patternOf(graph, graph.byId.get(n.id)!, (id) => byId.get(id)?.record?.outputs))
  }
  return { keys, patterns }
}

/** Whether a record is one a node of this pattern could need (see the module header). */
export const matches = (pattern: Pattern, record: NodeRecord): boolean => {
  if (record.stage !== pattern.stage || record.version !== pattern.version || record.fingerprint !== pattern.fingerprint) return false
  if (!pattern.ids.includes(record.node)) return false
  const ports = Object.keys(record.inputs)
  if (ports.length !== pattern.ports.length || ports.sort().some((p, i) => p !== pattern.ports[i])) return false
  for (const port in pattern.inputs) if (record.inputs[port] !== pattern.inputs[port]) return false
  try {
    return canonicalJson(record.params) === pattern.paramsText
  } catch {
    return false
  }
}

/**
 * A matcher of many patterns at once: a record is looked up by its stage, version and fingerprint,
 * so `gc` compares params only for records of the same code.
 */
export const matcher = (patterns: ReadonlyArray<Pattern>): ((record: NodeRecord) => Pattern | undefined) => {
  const byCode = new Map<string, Array<Pattern>>()
  const code = (stage: string, version: number | string, fingerprint: string) => `${stage}\u0000${typeof version}:${version}\u0000${fingerprint}`
  for (const p of patterns) {
    const k = code(p.stage, p.version, p.fingerprint)
    const list = byCode.get(k)
    if (list) list.push(p)
    else byCode.set(k, [p])
  }
  return (record) => byCode.get(code(record.stage, record.version, record.fingerprint))?.find((p) => matches(p, record))
}
