/**
 * Reading a node's committed outputs for the commands that show or export them.
 */
import { Effect } from "effect"
import { NotFound, UsageError } from "../Errors.ts"
import type { Graph, GraphNode } from "../Pipeline.ts"
import * as Planner from "../Planner.ts"
import { reasonText } from "../Reason.ts"
import { Objects, Records, type RecordView } from "../Store.ts"

/** A node of a graph by id or alias. */
export const findNode = (graph: Graph, id: string) => {
  const node = graph.byId.get(id) ?? graph.nodes.find((n) => n.aliases.includes(id))
  return node
    ? Effect.succeed(node)
    : Effect.fail(new NotFound({ what: `node of ${graph.pipeline}`, name: id, known: graph.nodes.map((n) => n.id) }))
}

/** The plan entry of every node (the key and record of those that are computed). */
export const planned = (graph: Graph, records: RecordView) => {
  const p = Planner.plan(graph, records)
  return new Map(p.nodes.map((n) => [n.id, n]))
}

/** The decoded value of one output of a computed node. */
export const readOutput = (graph: Graph, node: GraphNode, port: string) =>
  Effect.gen(function*() {
    const type = node.stage.outputs[port]
    if (!type) return yield* Effect.fail(new NotFound({ what: `output of ${node.id}`, name: port, known: Object.keys(node.stage.outputs) }))
    const entry = planned(graph, yield* Records).get(node.id)!
    if (entry.status !== "cached" || !entry.record) {
      return yield* Effect.fail(
        new UsageError({ message: `${node.id} is not computed for these params (${reasonText(entry.reason)}); run \`pipeline run ${graph.pipeline} --preset ${graph.preset}\` (with the same --set and --params) first` })
      )
    }
    const bytes = yield* (yield* Objects).get(entry.record.outputs[port]!.hash)
    return { type, value: yield* type.decode(bytes, port), record: entry.record }
  })
