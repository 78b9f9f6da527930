/**
 * The planner: a pure function from a graph and a view of the records to a plan that says, for every
 * node, whether it is `cached` or will `run`, and why (a `Reason`). Whether a keyed node is up to
 * date is the rebuilder's decision (`Freshness.freshness`), the same one a run makes. Keys are
 * computed here from the content hashes of upstream outputs, so a node whose upstream must run
 * cannot be keyed yet: it is planned to run ("upstream X re-runs"), and the run may still find it
 * cached once the upstream has produced its bytes (early cutoff).
 */
import type { Graph, GraphNode } from "./Pipeline.ts"
import { canonicalJson, type Json, nodeKeyFromText } from "./Key.ts"
import { type Reason, New } from "./Reason.ts"
import { freshness } from "./Freshness.ts"
import { paramChanges } from "./Params.ts"
import type { Committed } from "./Record.ts"
import type { RecordView } from "./store/Records.ts"

export type Status = "cached" | "run"

export interface PlannedNode {
  readonly id: string
  readonly stage: string
  /** Unknown (undefined) while an upstream node has to run first. */
  readonly key: string | undefined
  readonly status: Status
  readonly reason: Reason
  readonly needs: ReadonlyArray<string>
  /** Where a cached node's outputs are (`RecordView.read` gives its whole record). */
  readonly record: Committed | undefined
}

export interface Plan {
  readonly pipeline: string
  readonly preset: string
  readonly nodes: ReadonlyArray<PlannedNode>
}

/** The key of a node given the content hashes of the objects wired into its inputs. */
export const keyOf = (node: GraphNode, inputs: Readonly<Record<string, string>>): string =>
  nodeKeyFromText({
    stage: node.stage.name,
    version: node.stage.version,
    fingerprint: node.stage.fingerprint(),
    paramsText: node.paramsText,
    inputs
  })

/** The content hashes feeding a node, from its upstream records; undefined if any is not known. */
export const inputHashes = (
  node: GraphNode,
  recordOf: (id: string) => Committed | undefined
): Record<string, string> | undefined => {
  const out: Record<string, string> = {}
  for (const port in node.inputs) {
    const wire = node.inputs[port]!
    const hash = recordOf(wire.node)?.outputs[wire.port]?.hash
    if (hash === undefined) return undefined
    out[port] = hash
  }
  return out
}

/** Why a node with no record under `key` must run, judged against the record it had last time. */
export const reasonFor = (graph: Graph, node: GraphNode, key: string, view: RecordView, inputs: Record<string, string>): Reason => {
  const prevKey = view.previousKey(graph.pipeline, node.id)
  if (prevKey === undefined || prevKey === key) return New
  const prev = view.read(prevKey)
  if (prev._tag !== "Present") return New
  const r = prev.record
  const code = r.stage !== node.stage.name || r.fingerprint !== node.stage.fingerprint() || r.version !== node.stage.version
  const params = canonicalJson(r.params) !== canonicalJson(node.params)
  const changed = Object.keys(inputs).sort().filter((p) => r.inputs[p] !== inputs[p])
  if (!(code || params || changed.length)) return New
  return params ? { _tag: "Changed", code, params, inputs: changed, paramChanges: paramChanges(r.params as Json, node.params) } : { _tag: "Changed", code, params, inputs: changed }
}

// One literal per plan entry (no spreads): this runs for every node of every plan.
const plannedNode = (
  node: GraphNode,
  needs: ReadonlyArray<string>,
  key: string | undefined,
  status: Status,
  reason: Reason,
  record: Committed | undefined
): PlannedNode => ({ id: node.id, stage: node.stage.name, key, status, reason, needs, record })

/** Plans a graph against the store. Pure given the view. */
export const plan = (graph: Graph, view: RecordView, options: { readonly force?: (id: string) => boolean } = {}): Plan => {
  const force = options.force ?? (() => false)
  const planned = new Map<string, PlannedNode>()
  const nodes: Array<PlannedNode> = []
  for (const node of graph.nodes) {
    const needs: Array<string> = []
    // A scan of `needs` is quicker for the usual few inputs; a node fed by thousands needs a set.
    let seen: Set<string> | undefined
    let upstream: PlannedNode | undefined
    for (const port in node.inputs) {
      const id = node.inputs[port]!.node
      if (seen ? seen.has(id) : needs.includes(id)) continue
      needs.push(id)
      if (seen) seen.add(id)
      else if (needs.length > 16) seen = new Set(needs)
      const p = planned.get(id)!
      if (upstream === undefined && p.status === "run") upstream = p
    }
    let entry: PlannedNode
    if (upstream) {
      entry = plannedNode(node, needs, undefined, "run", { _tag: "UpstreamReruns", upstream: upstream.id }, undefined)
    } else {
      const inputs = inputHashes(node, (id) => planned.get(id)?.record)!
      const key = keyOf(node, inputs)
      const fresh = freshness(view, key, force(node.id))
      if (fresh._tag === "UpToDate") entry = plannedNode(node, needs, key, "cached", fresh.reason, fresh.record)
      else if (fresh.reason._tag === "New") entry = plannedNode(node, needs, key, "run", reasonFor(graph, node, key, view, inputs), undefined)
      else entry = plannedNode(node, needs, key, "run", fresh.reason, undefined)
    }
    planned.set(node.id, entry)
    nodes.push(entry)
  }
  return { pipeline: graph.pipeline, preset: graph.preset, nodes }
}

/** Counts of a plan by status and stage, for summaries. */
export const summarize = (p: Plan) => {
  const byStage = new Map<string, { cached: number; run: number }>()
  for (const n of p.nodes) {
    const s = byStage.get(n.stage) ?? { cached: 0, run: 0 }
    s[n.status]++
    byStage.set(n.stage, s)
  }
  return {
    cached: p.nodes.filter((n) => n.status === "cached").length,
    run: p.nodes.filter((n) => n.status === "run").length,
    byStage
  }
}
