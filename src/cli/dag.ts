/** `pipeline dag`: the graph as text, Mermaid or Graphviz dot. */
import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import type { Graph } from "../Pipeline.ts"
import { presetFlag, resolveGraph, setFlag, paramsFlag } from "./App.ts"

const edges = (g: Graph) =>
  g.nodes.flatMap((n) => Object.entries(n.inputs).map(([port, w]) => ({ from: w.node, out: w.port, to: n.id, port })))

export const render = (g: Graph, format: "text" | "mermaid" | "dot"): string => {
  const q = (s: string) => JSON.stringify(s)
  switch (format) {
    case "text":
      return g.nodes.map((n) => {
        const ins = Object.entries(n.inputs).map(([port, w]) => `${port} <- ${w.node}.${w.port}`)
        return `${n.id}  [${n.stage.name}]${ins.length ? "\n    " + ins.join("\n    ") : ""}`
      }).join("\n")
    case "mermaid": {
      const ids = new Map(g.nodes.map((n, i) => [n.id, `n${i}`]))
      return [
        "flowchart LR",
        ...g.nodes.map((n) => `  ${ids.get(n.id)}[${q(`${n.id}\n(${n.stage.name})`)}]`),
        ...edges(g).map((e) => `  ${ids.get(e.from)} -->|${e.port}| ${ids.get(e.to)}`)
      ].join("\n")
    }
    case "dot":
      return [
        `digraph ${q(g.pipeline)} {`,
        "  rankdir=LR; node [shape=box];",
        ...g.nodes.map((n) => `  ${q(n.id)} [label=${q(`${n.id}\n${n.stage.name}`)}];`),
        ...edges(g).map((e) => `  ${q(e.from)} -> ${q(e.to)} [label=${q(e.port)}];`),
        "}"
      ].join("\n")
  }
}

export const dag = Command.make(
  "dag",
  {
    pipeline: Argument.String("pipeline"),
    preset: presetFlag,
    set: setFlag,
    params: paramsFlag,
    format: Flag.Literals("format", ["text", "mermaid", "dot"]).pipe(Flag.withDefault("text"))
  },
  Effect.fn(function*(a) {
    const graph = yield* resolveGraph(a.pipeline, a.preset, a.set, a.params)
    yield* Console.log(render(graph, a.format))
  })
).pipe(Command.withDescription("Print the pipeline's graph (text, mermaid or dot)"))
