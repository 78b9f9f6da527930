/**
 * After a run: every figure output of the graph's computed nodes written as SVG and PNG files to
 * one folder (default figures/<pipeline>/), so a person finds the current figures without export
 * commands. Each file is written to a temporary name and renamed, so a reader never sees half a file.
 */
import { Effect } from "effect"
import { mkdir, rename, writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { Figure } from "../Artifact.ts"
import { StoreError } from "../Errors.ts"
import type { Graph } from "../Pipeline.ts"
import { Objects, Records } from "../Store.ts"
import { planned } from "./outputs.ts"

/** The figure ports of a graph: [node id, port, file stem]. */
export const figurePorts = (graph: Graph): Array<{ node: string; port: string; stem: string }> =>
  graph.nodes.flatMap((n) => {
    const ports = Object.entries(n.stage.outputs).filter(([, t]) => t.kind === "figure").map(([p]) => p)
    const base = n.id.replaceAll("/", "_")
    return ports.map((port) => ({ node: n.id, port, stem: ports.length === 1 ? base : `${base}-${port}` }))
  })

const writeAtomic = (file: string, data: string | Uint8Array) =>
  Effect.tryPromise({
    try: async () => {
      const tmp = `${file}.${process.pid}.tmp`
      await writeFile(tmp, data)
      await rename(tmp, file)
    },
    catch: (e) => StoreError.fromCause(file, e)
  })

/**
 * Writes the figures that are computed. Returns the files written and the figures skipped: not
 * computed (a failed upstream) or unreadable (a damaged object, removed so the next run redraws it).
 */
export const writeFigures = (graph: Graph, dir: string) =>
  Effect.gen(function*() {
    const objects = yield* Objects
    const ports = figurePorts(graph)
    const files: Array<string> = []
    const skipped: Array<string> = []
    if (ports.length === 0) return { files, skipped }
    const plan = planned(graph, yield* Records)
    for (const { node, port, stem } of ports) {
      const entry = plan.get(node)
      if (entry?.status !== "cached" || !entry.record) {
        skipped.push(`${stem} (not computed)`)
        continue
      }
      const type = graph.byId.get(node)!.stage.outputs[port]!
      const hash = entry.record.outputs[port]!.hash
      const bytes = yield* objects.get(hash).pipe(
        Effect.catchTag("ObjectDamaged", () => Effect.as(Effect.ignore(objects.remove(hash)), undefined))
      )
      if (bytes === undefined) {
        skipped.push(`${stem} (damaged; the next run redraws it)`)
        continue
      }
      const fig = (yield* type.decode(bytes, port)) as Figure
      if (files.length === 0) {
        yield* Effect.tryPromise({
          try: () => mkdir(dir, { recursive: true }),
          catch: (e) => StoreError.fromCause(dir, e)
        })
      }
      yield* writeAtomic(join(dir, `${stem}.svg`), fig.svg)
      files.push(join(dir, `${stem}.svg`))
      if (fig.png) {
        yield* writeAtomic(join(dir, `${stem}.png`), fig.png)
        files.push(join(dir, `${stem}.png`))
      }
    }
    return { files, skipped }
  })
