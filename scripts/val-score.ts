/**
 * `npm run val-score -- [--cache-dir DIR] [--preset P] [--set k=v]... [--seed N] NODE...`: the ground-truth
 * validation accuracy of computed w2s-chess models, for design decisions (docs/experiment.md, "How the
 * ladder was chosen"). Each NODE is a node with a `model` output (a pretrained base, a supervisor, a
 * ceiling, a probe or a student); it is scored on the validation puzzles of `split/s<N>` (`--seed`,
 * default 0: the seed's own split for its nodes), with the standard error of one accuracy. The
 * pipeline's nodes never read these numbers; students still see no ground truth. Nothing is computed:
 * a node that is not in the store for these params is an error.
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
import { Model } from "../stages/ml/tables.ts"

const args = process.argv.slice(2)
let dir = process.env.PIPELINE_CACHE_DIR ?? "cache"
let preset: string | undefined
let seed = 0
const sets: Array<string> = []
const ids: Array<string> = []
for (let i = 0; i < args.length; i++) {
  const a = args[i]!
  const value = () => {
    const v = args[++i]
    if (v === undefined) throw new Error(`${a} needs a value`)
    return v
  }
  if (a === "--cache-dir") dir = value()
  else if (a === "--preset") preset = value()
  else if (a === "--set") sets.push(value())
  else if (a === "--seed") seed = Number(value())
  else ids.push(a)
}
if (ids.length === 0) {
  console.error("usage: npm run val-score -- [--cache-dir DIR] [--preset P] [--set k=v]... [--seed N] NODE...")
  process.exit(2)
}

const program = Effect.gen(function*() {
  const graph = yield* Pipeline.graph(w2s, preset, sets)
  const records = yield* Store.Records
  const objects = yield* Store.Objects
  const plan = Planner.plan(graph, records)
  const output = (id: string, port: string) =>
    Effect.gen(function*() {
      const node = plan.nodes.find((n) => n.id === id)
      if (!node) return yield* Effect.fail(new Error(`no node '${id}' in w2s-chess for these params`))
      const found = node.key ? records.lookup(node.key) : undefined
      if (found?._tag !== "Present") return yield* Effect.fail(new Error(`${id} is not computed for these params (run it first)`))
      const ref = found.record.outputs[port]
      if (!ref) return yield* Effect.fail(new Error(`${id} has no '${port}' output`))
      return yield* objects.get(ref.hash)
    })
  const val = (yield* Puzzles.decode(yield* output(`split/s${seed}`, "val"), "val")) as unknown as Parameters<typeof puzzleExamples>[0]
  const b = yield* Effect.promise(() => backend("wasm"))
  console.log(`seed ${seed}'s validation split\n\n| node | validation accuracy | SE | puzzles |\n| --- | --- | --- | --- |`)
  for (const id of ids) {
    const weights = yield* Model.decode(yield* output(id, "model"), "model")
    const data = puzzleExamples(val)
    const acc = yield* Effect.promise(async () => {
      const m = M.load(b.tf, weights)
      const a = M.accuracy(await M.predict(b.tf, m, data), data)
      M.dispose(m)
      return a
    })
    const se = Math.sqrt((acc * (1 - acc)) / data.length)
    console.log(`| ${id} | ${(100 * acc).toFixed(1)}% | ${(100 * se).toFixed(1)} | ${data.length} |`)
  }
})

Effect.runPromise(program.pipe(Effect.provide(Store.layerDisk(dir)))).catch((e: unknown) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`)
  process.exit(2)
})
