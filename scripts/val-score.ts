/**
 * `npm run val-score -- [--cache-dir DIR] [--preset P] [--set k=v]... [--seed N] NODE...`: the ground-truth
 * validation accuracy of computed w2s-chess models, for design decisions (docs/experiment.md, "How the
 * ladder was chosen"). Each NODE is a node with a `model` output (a pretrained base, a supervisor, a
 * ceiling, a probe or a student); it is scored on the validation puzzles of the split it descends
 * from (a seed's nodes: `split/s<seed>`; a model that descends from no split, such as a pretrained
 * base: `split/s<--seed>`, default 0), with the standard error of one accuracy. A `--seed` that names
 * another split than the node's own is refused: that split's val may hold the model's training puzzles. The
 * pipeline's nodes never read these numbers; students still see no ground truth. Nothing is computed:
 * a node that is not in the store for these params is an error.
 *
 * `--curve`: for students (train-strong nodes), every checkpoint instead: its position in epochs, its
 * ground-truth validation accuracy (from the top moves the node recorded on the val puzzles), and each
 * label-free stopping rule's score there, the checkpoint each rule picked and the one ground truth
 * would pick marked: what fine-tuning settings are compared by on validation (docs/experiment.md).
 * `--summary`: the same for students, one tab-separated row each: node, then per label-free rule its
 * pick (epochs), its score there and the validation accuracy there, then the final checkpoint's
 * accuracy and the best checkpoint's epoch and accuracy (scripts/finetune-grid.sh reads these).
 */
import { Effect } from "effect"
import w2s from "../pipelines/w2s-chess.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Planner from "../src/Planner.ts"
import * as Store from "../src/Store.ts"
import { Puzzles } from "../stages/chess/tables.ts"
import { backend } from "../stages/ml/backend.ts"
import { puzzleExamples } from "../stages/ml/common.ts"
import * as M from "../stages/ml/model.ts"
import { Model, TestCurve, TrainReport } from "../stages/ml/tables.ts"

const args = process.argv.slice(2)
let dir = process.env.PIPELINE_CACHE_DIR ?? "cache"
let preset: string | undefined
let seed: number | undefined
let curve = false
let summary = false
const sets: Array<string> = []
const ids: Array<string> = []
for (let i = 0; i < args.length; i++) {
  const a = args[i]!
  const value = () => {
    const v = args[++i]
    if (v === undefined) {
      console.error(`error: ${a} needs a value`)
      process.exit(2)
    }
    return v
  }
  if (a === "--cache-dir") dir = value()
  else if (a === "--preset") preset = value()
  else if (a === "--set") sets.push(value())
  else if (a === "--curve") curve = true
  else if (a === "--summary") summary = true
  else if (a === "--seed") {
    seed = Number(value())
    if (!Number.isInteger(seed) || seed < 0) {
      console.error(`error: --seed wants a seed number, not '${args[i]}'`)
      process.exit(2)
    }
  } else if (a.startsWith("--")) {
    console.error(`error: unknown flag ${a} (flags: --cache-dir, --preset, --set, --seed, --curve, --summary; values as the next argument)`)
    process.exit(2)
  }
  else ids.push(a)
}
if (curve && summary) {
  console.error("error: --curve and --summary are two views of the same numbers; give one")
  process.exit(2)
}
if (ids.length === 0) {
  console.error("usage: npm run val-score -- [--cache-dir DIR] [--preset P] [--set k=v]... [--seed N] [--curve | --summary] NODE...")
  process.exit(2)
}

const program = Effect.gen(function*() {
  const graph = yield* Pipeline.graph(w2s, preset, sets)
  const records = yield* Store.Records
  const objects = yield* Store.Objects
  const plan = Planner.plan(graph, records)
  const canonical = (id: string) => graph.byId.has(id) ? id : graph.nodes.find((n) => n.aliases.includes(id))?.id
  /** The splits a node descends from. */
  const splitsAbove = (id: string) => {
    const found = new Set<string>()
    const seen = new Set<string>()
    const walk = (n: string) => {
      if (seen.has(n)) return
      seen.add(n)
      if (n.startsWith("split/")) found.add(n)
      for (const w of Object.values(graph.byId.get(n)?.inputs ?? {})) walk(w.node)
    }
    walk(id)
    return [...found]
  }
  const output = (name: string, port: string) =>
    Effect.gen(function*() {
      const id = canonical(name)
      const node = plan.nodes.find((n) => n.id === id)
      if (!id || !node) return yield* Effect.fail(new Error(`no node '${name}' in w2s-chess for these params`))
      const found = node.key ? records.lookup(node.key) : undefined
      if (found?._tag !== "Present") return yield* Effect.fail(new Error(`${id} is not computed for these params (run it first)`))
      const ref = found.record.outputs[port]
      if (!ref) return yield* Effect.fail(new Error(`${id} has no '${port}' output`))
      return yield* objects.get(ref.hash)
    })
  const vals = new Map<string, Parameters<typeof puzzleExamples>[0]>()
  const b = yield* Effect.promise(() => backend("wasm"))
  const curves = curve || summary
  if (!curves) console.log("| node | validation split | validation accuracy | SE | puzzles |\n| --- | --- | --- | --- | --- |")
  for (const id of ids) {
    const own = splitsAbove(canonical(id) ?? id)
    if (own.length > 1) return yield* Effect.fail(new Error(`${id} descends from several splits (${own.join(", ")})`))
    const splitId = own[0] ?? `split/s${seed ?? 0}`
    if (seed !== undefined && splitId !== `split/s${seed}`) {
      return yield* Effect.fail(new Error(`${id} descends from ${splitId}; --seed ${seed} would score it on another split's val, which may hold its training puzzles`))
    }
    const val = vals.get(splitId) ?? (yield* Puzzles.decode(yield* output(splitId, "val"), "val")) as unknown as Parameters<typeof puzzleExamples>[0]
    vals.set(splitId, val)
    if (curves) {
      const points = (yield* TestCurve.decode(yield* output(id, "valCurve"), "valCurve")) as unknown as ReadonlyArray<{ epoch: number; top: ReadonlyArray<number> }>
      const report = (yield* TrainReport.decode(yield* output(id, "report"), "report")) as unknown as { rules?: ReadonlyArray<{ rule: string; epoch: number; scores: ReadonlyArray<number> }> }
      const truth = val.map((pz) => pz.legal.indexOf(pz.best))
      const accs = points.map((c) => c.top.filter((t, i) => t === truth[i]).length / Math.max(1, truth.length))
      const best = accs.indexOf(Math.max(...accs))
      const rules = report.rules ?? []
      if (summary) {
        const pct = (x: number) => (100 * x).toFixed(2)
        const cells = rules.flatMap((r) => {
          const k = points.findIndex((c) => Math.abs(c.epoch - r.epoch) < 1e-9)
          if (k < 0) throw new Error(`${id}: rule ${r.rule} picked epoch ${r.epoch}, which is not among its ${points.length} checkpoints`)
          return [r.rule, String(r.epoch), r.scores[k]!.toFixed(4), pct(accs[k]!)]
        })
        console.log([id, ...cells, "final", pct(accs[accs.length - 1]!), "best", String(points[best]!.epoch), pct(accs[best]!)].join("\t"))
        continue
      }
      console.log(`\n${id} (${splitId} val, ${truth.length} puzzles; * a rule's pick, ! ground truth's)\n`)
      console.log(`| epoch | val accuracy | ${rules.map((r) => r.rule).join(" | ")} |\n| --- | --- |${rules.map(() => " --- |").join("")}`)
      points.forEach((c, k) => {
        const cells = rules.map((r) => `${r.scores[k]!.toFixed(4)}${r.epoch === c.epoch ? " *" : ""}`)
        console.log(`| ${c.epoch} | ${(100 * accs[k]!).toFixed(1)}%${k === best ? " !" : ""} | ${cells.join(" | ")} |`)
      })
      continue
    }
    const weights = yield* Model.decode(yield* output(id, "model"), "model")
    const data = puzzleExamples(val)
    const acc = yield* Effect.promise(async () => {
      const m = M.load(b.tf, weights)
      const a = M.accuracy(await M.predict(b.tf, m, data), data)
      M.dispose(m)
      return a
    })
    const se = Math.sqrt((acc * (1 - acc)) / data.length)
    console.log(`| ${id} | ${splitId} | ${(100 * acc).toFixed(1)}% | ${(100 * se).toFixed(1)} | ${data.length} |`)
  }
})

Effect.runPromise(program.pipe(Effect.provide(Store.layerDisk(dir)))).catch((e: unknown) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`)
  process.exit(2)
})
