/**
 * `pipeline dag`: the graph as text, Mermaid or Graphviz dot, each node with its status against the
 * store (`cached`, or `to run` with the plan's reason); node globs restrict it to the matching
 * nodes and their upstream, as `run` and `plan` do. The Mermaid text renders on GitHub: labels are
 * quoted, lines broken with `<br/>`, statuses are classes with their own fill.
 */
import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import type { Graph } from "../Pipeline.ts"
import * as Planner from "../Planner.ts"
import { reasonText } from "../Reason.ts"
import { Records } from "../Store.ts"
import { paramsFlag, presetFlag, resolveGraph, setFlag, storeLayer, targetsArg } from "./App.ts"

const edges = (g: Graph) =>
  g.nodes.flatMap((n) => Object.entries(n.inputs).map(([port, w]) => ({ from: w.node, out: w.port, to: n.id, port })))

/** A node's status in words: `cached`, or `to run (why)`. */
export type Status = (id: string) => { readonly status: "cached" | "to run"; readonly reason?: string | undefined }

/** Mermaid label text: quotes and angle brackets as entities (GitHub's renderer takes `#quot;`). */
const mermaidText = (s: string) => s.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;")

export const render = (g: Graph, format: "text" | "mermaid" | "dot", status?: Status): string => {
  const q = (s: string) => JSON.stringify(s)
  const st = (id: string) => (status ? status(id) : undefined)
  switch (format) {
    case "text":
      return g.nodes.map((n) => {
        const ins = Object.entries(n.inputs).map(([port, w]) => `${port} <- ${w.node}.${w.port}`)
        const s = st(n.id)
        return `${n.id}  [${n.stage.name}]${s ? `  ${s.status}${s.reason ? ` (${s.reason})` : ""}` : ""}${ins.length ? "\n    " + ins.join("\n    ") : ""}`
      }).join("\n")
    case "mermaid": {
      const ids = new Map(g.nodes.map((n, i) => [n.id, `n${i}`]))
      return [
        "flowchart LR",
        ...g.nodes.map((n) => {
          const s = st(n.id)
          const label = [n.id, n.stage.name, ...(s ? [s.status] : [])].map(mermaidText).join("<br/>")
          return `  ${ids.get(n.id)}["${label}"]${s ? `:::${s.status === "cached" ? "cached" : "torun"}` : ""}`
        }),
        ...edges(g).map((e) => `  ${ids.get(e.from)} -->|${mermaidText(e.port)}| ${ids.get(e.to)}`),
        ...(status ? ["  classDef cached fill:#cfe3f7,stroke:#557", "  classDef torun fill:#f7e3a1,stroke:#975"] : [])
      ].join("\n")
    }
    case "dot":
      return [
        `digraph ${q(g.pipeline)} {`,
        "  rankdir=LR; node [shape=box, style=filled, fillcolor=white];",
        ...g.nodes.map((n) => {
          const s = st(n.id)
          const color = s ? `, fillcolor=${q(s.status === "cached" ? "#cfe3f7" : "#f7e3a1")}` : ""
          return `  ${q(n.id)} [label=${q(`${n.id}\n${n.stage.name}${s ? `\n${s.status}` : ""}`)}${color}];`
        }),
        ...edges(g).map((e) => `  ${q(e.from)} -> ${q(e.to)} [label=${q(e.port)}];`),
        "}"
      ].join("\n")
  }
}

export const dag = Command.make(
  "dag",
  {
    pipeline: Argument.String("pipeline"),
    targets: targetsArg,
    preset: presetFlag,
    set: setFlag,
    params: paramsFlag,
    format: Flag.Literals("format", ["text", "mermaid", "dot"]).pipe(Flag.withDefault("text"))
  },
  Effect.fn(function*(a) {
    const graph = yield* resolveGraph(a.pipeline, a.preset, a.set, a.params, a.targets)
    const plan = new Map(Planner.plan(graph, yield* Records).nodes.map((n) => [n.id, n]))
    const status: Status = (id) => {
      const p = plan.get(id)!
      return p.status === "cached" ? { status: "cached" } : { status: "to run", reason: reasonText(p.reason) }
    }
    yield* Console.log(render(graph, a.format, status))
  })
).pipe(Command.provide(storeLayer), Command.withDescription("Print the pipeline's graph with each node's status (text, mermaid or dot)"))
