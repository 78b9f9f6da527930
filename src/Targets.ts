/**
 * Targets: the nodes a command names by glob, as make, DVC and Snakemake let a user name what to
 * build. Node ids are `/`-separated like paths and globs follow effect's `Glob`: `*` and `?` stay
 * within one segment (`puzzles/*`), `**` spans segments (`train-weak/**`), `[...]` and `{a,b}` as
 * usual; an id or alias typed exactly always names its node, whatever characters it holds.
 */
import { Glob, Result } from "effect"
import { NotFound } from "./Errors.ts"
import type { Graph, GraphNode } from "./Pipeline.ts"

/** Whether an id matches any of `globs` (none: nothing matches). */
export const matcher = (globs: ReadonlyArray<string>): ((id: string) => boolean) => {
  if (globs.length === 0) return () => false
  const compiled = globs.map((g) => Glob.make(g, { dot: true }))
  const exact = new Set(globs)
  return (id) => exact.has(id) || compiled.some((g) => Glob.match(g, id))
}

/** Levenshtein distance, with a cutoff past which the exact figure does not matter. */
const distance = (a: string, b: string, cutoff: number): number => {
  if (Math.abs(a.length - b.length) > cutoff) return cutoff + 1
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    let best = i
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
      if (cur[j]! < best) best = cur[j]!
    }
    if (best > cutoff) return cutoff + 1
    prev = cur
  }
  return prev[b.length]!
}

/** The ids nearest to `name` by edit distance: at most `count`, none further than `cutoff` (default half its length). */
export const nearest = (name: string, ids: Iterable<string>, count = 3, cutoff = Math.max(2, Math.floor(name.length / 2))): ReadonlyArray<string> => {
  const scored: Array<readonly [number, string]> = []
  for (const id of ids) {
    const d = distance(name, id, cutoff)
    if (d <= cutoff) scored.push([d, id])
  }
  return scored.sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : 1)).slice(0, count).map(([, id]) => id)
}

/** The ids of the nodes whose id or alias matches one of `globs`; a glob that matches none fails. */
const matching = (graph: Graph, globs: ReadonlyArray<string>, what: string): Result.Result<ReadonlySet<string>, NotFound> => {
  const ids = new Set<string>()
  for (const g of globs) {
    const one = matcher([g])
    let any = false
    for (const n of graph.nodes) {
      if (one(n.id) || n.aliases.some(one)) {
        ids.add(n.id)
        any = true
      }
    }
    if (!any) {
      const near = nearest(g, graph.byId.keys())
      const known = near.length ? near : nearest(g, graph.byId.keys(), 3, Infinity)
      return Result.fail(new NotFound({ what, name: g, known, nearest: true }))
    }
  }
  return Result.succeed(ids)
}

/**
 * Which nodes of `graph` the `--force` globs name, by id or alias as targets are named. A glob that
 * matches no node of the graph fails with `NotFound`, as a target glob does: forcing nothing is a
 * typo, not a request.
 */
export const forced = (graph: Graph, globs: ReadonlyArray<string>): Result.Result<(id: string) => boolean, NotFound> =>
  Result.map(matching(graph, globs, `node of ${graph.pipeline} (--force)`), (ids) => (id: string) => ids.has(id))

/**
 * The graph restricted to the nodes that match `globs` and everything upstream of them, in the
 * graph's (topological) order; the whole graph when `globs` is empty. A glob that matches no node
 * or alias fails with `NotFound`, whose list holds the nearest ids.
 */
export const select = (graph: Graph, globs: ReadonlyArray<string>): Result.Result<Graph, NotFound> => {
  if (globs.length === 0) return Result.succeed(graph)
  const matched = matching(graph, globs, `node of ${graph.pipeline}`)
  if (Result.isFailure(matched)) return Result.fail(matched.failure)
  const wanted = new Set(matched.success)
  // Upstream closure: walk back from the wanted nodes.
  const stack = [...wanted]
  while (stack.length) {
    const node = graph.byId.get(stack.pop()!)!
    for (const port in node.inputs) {
      const up = node.inputs[port]!.node
      if (!wanted.has(up)) {
        wanted.add(up)
        stack.push(up)
      }
    }
  }
  const nodes: Array<GraphNode> = graph.nodes.filter((n) => wanted.has(n.id))
  return Result.succeed({ ...graph, nodes, byId: new Map(nodes.map((n) => [n.id, n])) })
}
