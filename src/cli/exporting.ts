/** `pipeline export` and `pipeline results`: artifacts as Parquet, CSV, JSON (or figures as SVG/PNG). */
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { writeFile } from "node:fs/promises"
import { StoreError, UsageError } from "../Errors.ts"
import * as Export from "../Export.ts"
import { findPipeline, presetFlag, resolveGraph, setFlag, paramsFlag, storeLayer } from "./App.ts"
import { findNode, readOutput } from "./outputs.ts"
import { resolveGraphOrLast } from "./lastRun.ts"

const emit = (data: string | Uint8Array, out: Option.Option<string>) =>
  Option.match(out, {
    onNone: () =>
      typeof data === "string"
        ? Console.log(data.replace(/\n$/, ""))
        : Effect.fail(new UsageError({ message: "binary output needs --out FILE" })),
    onSome: (file) =>
      Effect.tryPromise({ try: () => writeFile(file, data), catch: (e) => StoreError.fromCause(file, e) }).pipe(
        Effect.andThen(Console.error(`wrote ${file}`))
      )
  })

export const exportCmd = Command.make(
  "export",
  {
    pipeline: Argument.String("pipeline"),
    node: Argument.String("node-id"),
    output: Flag.String("output").pipe(Flag.withDescription("Output port (default: the node's only output)"), Flag.optional),
    preset: presetFlag,
    set: setFlag,
    params: paramsFlag,
    format: Flag.Literals("format", ["parquet", "csv", "json", "svg", "png"]).pipe(Flag.withDefault("parquet")),
    out: Flag.String("out").pipe(Flag.withDescription("File to write (stdout for text formats when absent)"), Flag.optional)
  },
  Effect.fn(function*(a) {
    const graph = yield* resolveGraph(a.pipeline, a.preset, a.set, a.params)
    const node = yield* findNode(graph, a.node)
    const ports = Object.keys(node.stage.outputs)
    const port = Option.getOrUndefined(a.output) ?? (ports.length === 1 ? ports[0]! : undefined)
    if (!port) return yield* Effect.fail(new UsageError({ message: `${node.id} has outputs ${ports.join(", ")}: choose one with --output` }))
    const { type, value } = yield* readOutput(graph, node, port)
    yield* emit(yield* Export.render(`${node.id}.${port}`, type, value, a.format), a.out)
  })
).pipe(Command.provide(storeLayer), Command.withDescription("Export one output of a computed node"))

export const results = Command.make(
  "results",
  {
    pipeline: Argument.String("pipeline"),
    preset: presetFlag,
    set: setFlag,
    params: paramsFlag,
    format: Flag.Literals("format", ["table", "json", "csv", "parquet"]).pipe(Flag.withDefault("table")),
    out: Flag.String("out").pipe(Flag.optional)
  },
  Effect.fn(function*(a) {
    const pipeline = yield* findPipeline(a.pipeline)
    if (!pipeline.results) return yield* Effect.fail(new UsageError({ message: `pipeline ${pipeline.name} declares no results table` }))
    const { graph } = yield* resolveGraphOrLast(a.pipeline, a.preset, a.set, a.params)
    const node = yield* findNode(graph, pipeline.results.node)
    const { type, value } = yield* readOutput(graph, node, pipeline.results.output)
    yield* emit(yield* Export.render(`results of ${pipeline.name}`, type, value, a.format), a.out)
  })
).pipe(Command.provide(storeLayer), Command.withDescription("Print or write the pipeline's results table"))
