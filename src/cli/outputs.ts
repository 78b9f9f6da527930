/**
 * Reading a node's committed outputs for the commands that show or export them.
 */
import { Effect } from "effect"
import { NotFound, UsageError } from "../Errors.ts"
import type { Graph, GraphNode } from "../Pipeline.ts"
import * as Planner from "../Planner.ts"
import type { StoreShape } from "../Store.ts"

/** A node of a graph by id or alias. */
export const findNode = (graph: Graph, id: string) => {
  const node = graph.byId.get(id) ?? graph.nodes.find((n) => n.aliases.includes(id))
  return node
    ? Effect.succeed(node)
    : Effect.fail(new NotFound({ what: `node of ${graph.pipeline}`, name: id, known: graph.nodes.map((n) => n.id) }))
}

/** The plan entry of every node (the key and record of those that are computed). */
export const planned = (graph: Graph, store: StoreShape) => {
  const p = Planner.plan(graph, store.view)
  return new Map(p.nodes.map((n) => [n.id, n]))
}

/** The decoded value of one output of a computed node. */
export const readOutput = (graph: Graph, store: StoreShape, node: GraphNode, port: string) =>
  Effect.gen(function*() {
    const type = node.stage.outputs[port]
    if (!type) return yield* Effect.fail(new NotFound({ what: `output of ${node.id}`, name: port, known: Object.keys(node.stage.outputs) }))
    const entry = planned(graph, store).get(node.id)!
    if (entry.status !== "cached" || !entry.record) {
      return yield* Effect.fail(
        new UsageError({ message: `${node.id} is not computed for these params (${entry.reason}); run \`pipeline run ${graph.pipeline}\` first` })
      )
    }
    const bytes = yield* store.getObject(entry.record.outputs[port]!.hash)
    return { type, value: yield* type.decode(bytes, port), record: entry.record }
  })
