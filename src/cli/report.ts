/**
 * `pipeline report`: the run report (`src/report/Page.ts`) of a pipeline's graph as one HTML file,
 * gathered from the store: each node's plan status (or its outcome in the run being reported), its
 * record (provenance, wall and CPU time), the pipeline's results tables and every figure. `run`
 * writes it at the end of every run that computed something; this command writes it on demand,
 * with the last run's params when given none (`lastRun.ts`).
 */
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { mkdir, rename, writeFile } from "node:fs/promises"
import { dirname, join } from "node:path"
import { statSync } from "node:fs"
import type { Figure, TablePort } from "../Artifact.ts"
import { StoreError, UsageError } from "../Errors.ts"
import type { Graph } from "../Pipeline.ts"
import { reasonText } from "../Reason.ts"
import { page, type ReportModel, type ReportNodeDetail, type ReportTable } from "../report/Page.ts"
import { Objects, Records } from "../Store.ts"
import type { RunNode, RunSummary } from "../store/Runs.ts"
import { findPipeline, paramsFlag, presetFlag, setFlag, storeLayer } from "./App.ts"
import { figurePorts } from "./figures.ts"
import { resolveGraphOrLast, runFlags } from "./lastRun.ts"
import { planned } from "./outputs.ts"

/** What the report says of one run: its summary, or a run in progress's outcomes so far. */
export interface ReportRun {
  readonly summary: Pick<RunSummary, "id" | "startedAt" | "durationMs" | "counts" | "exit" | "interrupted">
  readonly nodes: ReadonlyArray<RunNode>
}

/** The report's model for `graph` as the store holds it now; `sets` reproduce its params over its preset. */
export const gather = (graph: Graph, sets: ReadonlyArray<string>, run?: ReportRun) =>
  Effect.gen(function*() {
    const records = yield* Records
    const objects = yield* Objects
    const pipeline = yield* findPipeline(graph.pipeline)
    const plan = planned(graph, records)
    const outcomes = new Map((run?.nodes ?? []).map((n) => [n.id, n.outcome]))
    const read = (port: { decode: (b: Uint8Array, p: string) => Effect.Effect<unknown, unknown> }, hash: string, name: string) =>
      Effect.flatMap(objects.get(hash), (bytes) => port.decode(bytes, name)).pipe(Effect.option)
    const nodes: Array<ReportNodeDetail> = graph.nodes.map((n) => {
      const p = plan.get(n.id)!
      const found = p.status === "cached" && p.key ? records.read(p.key) : undefined
      const rec = found?._tag === "Present" ? found.record : undefined
      const outcome = outcomes.get(n.id)
      const status = outcome ?? (p.status === "cached" ? "cached" : "to run")
      return {
        id: n.id,
        stage: n.stage.name,
        needs: p.needs,
        status,
        reason: p.status === "run" ? reasonText(p.reason) : undefined,
        wallMs: rec?.durationMs,
        cpuMs: rec?.cpuMs,
        key: p.key,
        version: n.stage.version,
        fingerprint: rec?.fingerprint ?? n.stage.fingerprint(),
        params: n.params,
        inputs: Object.entries(n.inputs).map(([port, w]) => ({ port, from: w.node, hash: rec?.inputs[port] })),
        outputs: rec?.outputs,
        startedAt: rec?.startedAt,
        facts: rec?.facts,
        host: rec?.host
      }
    })
    const results: Array<ReportTable> = []
    let resultsMissing: string | undefined
    if (pipeline.results) {
      const node = graph.byId.get(pipeline.results.node)
      const p = node && plan.get(node.id)
      if (!node || !p) resultsMissing = `the results node ${pipeline.results.node} is not in this graph`
      else if (p.status !== "cached" || !p.record) resultsMissing = `${node.id} is not computed (${reasonText(p.reason)})`
      else {
        // the declared results port first, then the node's other tables, those with a row per seed last
        const rank = ([port, t]: [string, { readonly kind: string }]) =>
          port === pipeline.results!.output ? 0 : "seed" in ((t as TablePort<any>).columns ?? {}) ? 2 : 1
        const ports = Object.entries(node.stage.outputs).filter(([, t]) => t.kind === "table").sort((a, b) => rank(a) - rank(b))
        for (const [port, type] of ports) {
          const value = yield* read(type, p.record.outputs[port]!.hash, port)
          if (Option.isSome(value)) {
            results.push({ name: `${node.id}.${port}`, columns: Object.keys((type as TablePort<any>).columns), rows: value.value as Array<Record<string, unknown>> })
          }
        }
      }
    }
    const figures: Array<{ node: string; title: string; svg: string }> = []
    const figuresMissing: Array<string> = []
    for (const f of figurePorts(graph)) {
      const p = plan.get(f.node)!
      const type = graph.byId.get(f.node)!.stage.outputs[f.port]!
      const value = p.status === "cached" && p.record ? yield* read(type, p.record.outputs[f.port]!.hash, f.port) : Option.none()
      if (Option.isSome(value)) figures.push({ node: f.node, title: (value.value as Figure).title, svg: (value.value as Figure).svg })
      else figuresMissing.push(f.node)
    }
    const model: ReportModel = {
      pipeline: graph.pipeline,
      preset: graph.preset,
      params: graph.params,
      overrides: sets,
      command: `pipeline run ${graph.pipeline} ${runFlags(graph.preset, sets)}`,
      generatedAt: new Date().toISOString(),
      run: run?.summary,
      results,
      resultsMissing,
      figures,
      figuresMissing,
      nodes
    }
    return model
  })

/** Writes the report of `graph` to `file` (made atomically; its folder made when missing). */
export const writeReport = (graph: Graph, sets: ReadonlyArray<string>, file: string, run?: ReportRun) =>
  Effect.gen(function*() {
    const html = page(yield* gather(graph, sets, run))
    yield* Effect.tryPromise({
      try: async () => {
        await mkdir(dirname(file), { recursive: true })
        const tmp = `${file}.${process.pid}.tmp`
        await writeFile(tmp, html)
        await rename(tmp, file)
      },
      catch: (e) => StoreError.fromCause(file, e)
    })
    return file
  })

/** Where a pipeline's report goes by default: beside its figures. */
export const defaultReportFile = (pipeline: string, figuresDir?: string) => join(figuresDir ?? join("figures", pipeline), "report.html")

export const report = Command.make(
  "report",
  {
    pipeline: Argument.String("pipeline"),
    preset: presetFlag,
    set: setFlag,
    params: paramsFlag,
    out: Flag.String("out").pipe(Flag.withDescription("The HTML file to write (default figures/<pipeline>/report.html)"), Flag.optional)
  },
  Effect.fn(function*(a) {
    const out = Option.getOrElse(a.out, () => defaultReportFile(a.pipeline))
    let isDir = false
    try {
      isDir = statSync(out).isDirectory()
    } catch {
      // absent: it is made
    }
    if (isDir) return yield* Effect.fail(new UsageError({ message: `--out ${out} is a folder; it names the HTML file to write` }))
    const { graph, run, sets } = yield* resolveGraphOrLast(a.pipeline, a.preset, a.set, a.params)
    const file = yield* writeReport(graph, sets, out, run && run.nodes ? { summary: run, nodes: run.nodes } : undefined)
    yield* Console.log(`report: ${file}`)
  })
).pipe(Command.provide(storeLayer), Command.withDescription("Write the run report: one self-contained HTML page (results, figures, graph, provenance)"))
