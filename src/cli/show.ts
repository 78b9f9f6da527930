/** `pipeline show`: one node's params, key, inputs, outputs, timings and stored log. */
import { Console, Effect } from "effect"
import { Argument, Command } from "effect/cli"
import { short } from "../Key.ts"
import { reasonText } from "../Reason.ts"
import { Records } from "../Store.ts"
import { readClaim, slurmLayout } from "../slurm/Jobs.ts"
import { cacheDir, presetFlag, resolveGraph, setFlag, paramsFlag, storeLayer } from "./App.ts"
import { bytes, columns, duration } from "./format.ts"
import { findNode, planned } from "./outputs.ts"

export const show = Command.make(
  "show",
  { pipeline: Argument.String("pipeline"), node: Argument.String("node-id"), preset: presetFlag, set: setFlag, params: paramsFlag },
  Effect.fn(function*(a) {
    const graph = yield* resolveGraph(a.pipeline, a.preset, a.set, a.params)
    const node = yield* findNode(graph, a.node)
    const records = yield* Records
    const entry = planned(graph, records).get(node.id)!
    const full = entry.status === "cached" && entry.key ? records.read(entry.key) : undefined
    const r = full?._tag === "Present" ? full.record : undefined
    const out: Array<string> = [
      `node      ${node.id}${node.aliases.length ? ` (also ${node.aliases.join(", ")})` : ""}`,
      `stage     ${node.stage.name} v${node.stage.version}${node.stage.heavy ? " (worker thread)" : ""}`,
      `key       ${entry.key ?? "(not known until upstream runs)"}`,
      `status    ${entry.status}${entry.status === "run" ? ` (${reasonText(entry.reason)})` : ""}`,
      `params    ${JSON.stringify(node.params)}`,
      "inputs"
    ]
    const ins = Object.entries(node.inputs).map(([port, w]) => [`  ${port}`, `<- ${w.node}.${w.port}`, r ? short(r.inputs[port] ?? "") : ""])
    out.push(ins.length ? columns(ins) : "  (none)")
    out.push("outputs")
    out.push(columns(Object.entries(node.stage.outputs).map(([port, type]) => {
      const o = r?.outputs[port]
      return [`  ${port}`, type.signature, o ? `${short(o.hash)}  ${bytes(o.size)}` : "-"]
    })))
    if (r) {
      out.push(`ran       ${r.startedAt} for ${duration(r.durationMs)} on ${r.host.hostname} (node ${r.host.node})`)
      if (r.host.job) out.push(`slurm     job ${r.host.job}, log ${slurmLayout(yield* cacheDir).log(r.key, r.host.job)}`)
      if (Object.keys(r.facts).length) out.push(`facts     ${JSON.stringify(r.facts)}`)
      out.push(`log (${r.log.length} lines)`, ...r.log.map((l) => `  ${l}`))
    } else {
      // A node a Slurm job is computing now: its claim names the job.
      const claim = entry.key ? readClaim(slurmLayout(yield* cacheDir).claim(entry.key)) : undefined
      if (claim) out.push(`slurm     job ${claim.jobId} computing it (submitted ${claim.submittedAt} from ${claim.host}), log ${slurmLayout(yield* cacheDir).log(entry.key!, claim.jobId)}`)
      // Only a failure of this very key: one under other params or inputs is another computation.
      const failed = entry.key ? records.failure(graph.pipeline, node.id, entry.key) : undefined
      if (failed) out.push("last failure log", ...failed.trimEnd().split("\n").map((l) => `  ${l}`))
    }
    yield* Console.log(out.join("\n"))
  })
).pipe(Command.provide(storeLayer), Command.withDescription("Show a node: params, key, inputs, outputs, times and log"))
