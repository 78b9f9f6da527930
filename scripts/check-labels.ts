/**
 * An independent check of puzzle labels: re-analyse a seeded random sample of computed puzzles at a
 * clearly higher depth than they were labelled at, and report how often the best move agrees (and
 * how often the position still passes the puzzle rule).
 *
 *   npm run check-labels -- [--preset smoke|default] [--sample 200] [--depth 18] [--engine wasm|native]
 *                           [--jobs 2] [--cache-dir DIR] [--set path=value]...
 */
import { Effect } from "effect"
import { availableParallelism } from "node:os"
import { parseArgs } from "node:util"
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads"
import w2s from "../pipelines/w2s-chess.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Planner from "../src/Planner.ts"
import * as Store from "../src/Store.ts"
import { rng } from "../stages/chess/rng.ts"
import { judge } from "../stages/chess/rules.ts"
import { type Puzzle, Puzzles } from "../stages/chess/tables.ts"
import { type EngineKind, UciEngine } from "../stages/chess/uci.ts"

/** What a worker thread is given: its share of the sample, with an engine of its own. */
interface Share {
  readonly sample: ReadonlyArray<Puzzle>
  readonly depth: number
  readonly engine: EngineKind
  readonly rule: { minBestCp: number; maxSecondCp: number }
}

/**
 * One worker thread's share: each result is posted back as it comes. The WASM engine runs in its
 * caller's thread, so engines searching at once need threads of their own.
 */
const analyseShare = async ({ sample, depth, engine: kind, rule }: Share) => {
  const engine = await UciEngine.open(kind)
  try {
    for (const p of sample) {
      const lines = await engine.analyse(p.fen, { depth }, 2)
      parentPort!.postMessage({ agree: lines[0]?.move === p.best, still: judge(lines, rule).keep })
    }
  } finally {
    await engine.close()
  }
}

const { values } = isMainThread ? parseArgs({
  options: {
    preset: { type: "string", default: "default" },
    sample: { type: "string", default: "200" },
    depth: { type: "string", default: "18" },
    engine: { type: "string", default: "wasm" },
    jobs: { type: "string", default: String(availableParallelism()) },
    "cache-dir": { type: "string", default: process.env.PIPELINE_CACHE_DIR ?? "cache" },
    set: { type: "string", multiple: true, default: [] },
    seed: { type: "string", default: "1" }
  }
}) : { values: {} as Record<string, never> }

const main = Effect.gen(function*() {
  const asked = Number(values.jobs)
  if (!Number.isInteger(asked) || asked < 1) return yield* Effect.fail(new Error(`--jobs must be a whole number of at least 1, not '${values.jobs}'`))
  const graph = yield* Pipeline.graph(w2s, values.preset, values.set)
  const objects = yield* Store.Objects
  // every seed's split holds the same de-duplicated puzzles, dealt differently: the first one has them all
  const split = Planner.plan(graph, yield* Store.Records).nodes.find((n) => n.id.startsWith("split/"))!
  if (!split.record) return yield* Effect.fail(new Error(`the split of w2s-chess (preset ${values.preset}) is not computed; run the pipeline first`))
  const all: Array<Puzzle> = []
  for (const port of ["weak", "strong", "val", "test", "fresh"]) {
    const bytes = yield* objects.get(split.record.outputs[port]!.hash)
    all.push(...(yield* Puzzles.decode(bytes, port)))
  }
  const r = rng(Number(values.seed), "check-labels")
  const pool = [...all]
  const sample: Array<Puzzle> = []
  while (sample.length < Number(values.sample) && pool.length) sample.push(pool.splice(Math.floor(r() * pool.length), 1)[0]!)
  const depth = Number(values.depth)
  const rule = graph.params as { data: { puzzles: { minBestCp: number; maxSecondCp: number } } }
  let agree = 0
  let stillPuzzles = 0
  let done = 0
  const t0 = Date.now()
  const jobs = Math.max(1, Math.min(asked, sample.length))
  console.log(`re-analysing ${sample.length} of ${all.length} puzzles (labelled at depth ${sample[0]?.depth}) at depth ${depth} with ${values.engine}, ${jobs} engines (a worker thread each)`)
  // puzzle i goes to thread i mod jobs
  const shares = Array.from({ length: jobs }, (_, j) => sample.filter((_, i) => i % jobs === j))
  const { minBestCp, maxSecondCp } = rule.data.puzzles
  yield* Effect.promise(() =>
    Promise.all(shares.map((share) =>
      new Promise<void>((resolve, reject) => {
        const data: Share = { sample: share, depth, engine: values.engine as EngineKind, rule: { minBestCp, maxSecondCp } }
        const w = new Worker(new URL(import.meta.url), { workerData: data })
        w.on("message", (m: { agree: boolean; still: boolean }) => {
          if (m.agree) agree++
          if (m.still) stillPuzzles++
          if (++done % 20 === 0) console.log(`  ${done}/${sample.length}: ${agree} agree (${((Date.now() - t0) / 1000).toFixed(0)} s)`)
        })
        w.on("error", reject)
        w.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`a worker thread exited with code ${code}`))))
      })
    ))
  )
  if (done !== sample.length) return yield* Effect.fail(new Error(`${done} of ${sample.length} puzzles were analysed`))
  const pct = (n: number) => `${((100 * n) / sample.length).toFixed(1)}%`
  console.log(`best move agrees at depth ${depth}: ${agree}/${sample.length} = ${pct(agree)}`)
  console.log(`still passes the puzzle rule at depth ${depth}: ${stillPuzzles}/${sample.length} = ${pct(stillPuzzles)}`)
  console.log(`wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`)
})

if (isMainThread) {
  Effect.runPromise(main.pipe(Effect.provide(Store.layerDisk(values["cache-dir"]!)))).catch((e) => {
    console.error(`error: ${e?.message ?? e}`)
    process.exit(2)
  })
} else {
  // a failure is left unhandled: the worker ends with it, and the main thread's "error" gets the Error itself
  void analyseShare(workerData as Share)
}
