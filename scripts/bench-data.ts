/**
 * `npm run bench -- data`: corpus positions/s and puzzles/s of the chess data stages, per core
 * (one engine process) and on all cores at once (one process per core), for the WASM engine and a
 * native Stockfish when one is installed; then the wall time of the `default` preset's data on this
 * machine, extrapolated from the measured rates (the full run takes hours; the estimate says so).
 */
import { Effect } from "effect"
import { availableParallelism } from "node:os"
import w2s from "../pipelines/w2s-chess.ts"
import { games } from "../stages/chess/games.ts"
import { puzzles } from "../stages/chess/puzzles.ts"
import { nativeAvailable } from "../stages/chess/uci.ts"

const cores = availableParallelism()
const preset = w2s.presets.default!.data
const ctx = (params: unknown) => ({ node: "bench", params, inputs: {}, log: () => {}, progress: () => {}, annotate: () => {} })
const CORPUS_GAMES = Number(process.env.BENCH_CORPUS_GAMES ?? 6)
const PUZZLE_GAMES = Number(process.env.BENCH_PUZZLE_GAMES ?? 40)

const corpusRun = (engine: string, first: number) => {
  const { shards: _s, gamesPerShard: _g, ...settings } = preset.corpus
  return Effect.map(games.run(ctx({ ...settings, seed: 9001, engine, first, count: CORPUS_GAMES }) as never) as Effect.Effect<{ positions: ReadonlyArray<unknown> }, unknown>, (o) => o.positions.length)
}
const puzzleRun = (engine: string, first: number) => {
  const { shards: _s, gamesPerShard: _g, ...settings } = preset.puzzles
  return Effect.map(puzzles.run(ctx({ ...settings, seed: 9001, engine, first, count: PUZZLE_GAMES }) as never) as Effect.Effect<{ puzzles: ReadonlyArray<unknown> }, unknown>, (o) => o.puzzles.length)
}

const timed = <A>(e: Effect.Effect<A, unknown>) =>
  Effect.suspend(() => {
    const t0 = Date.now()
    return Effect.map(e, (value) => ({ seconds: (Date.now() - t0) / 1000, value }))
  })

const measure = (engine: string) =>
  Effect.gen(function*() {
    const seconds = (ms: { seconds: number }) => ms.seconds
    const c1 = yield* timed(corpusRun(engine, 0))
    const cN = yield* timed(Effect.all(Array.from({ length: cores }, (_, i) => corpusRun(engine, 1000 + i * CORPUS_GAMES)), { concurrency: "unbounded" }))
    const p1 = yield* timed(puzzleRun(engine, 0))
    const pN = yield* timed(Effect.all(Array.from({ length: cores }, (_, i) => puzzleRun(engine, 1000 + i * PUZZLE_GAMES)), { concurrency: "unbounded" }))
    const sum = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0)
    const corpusPerCore = c1.value / seconds(c1)
    const corpusAll = sum(cN.value) / seconds(cN)
    const puzzlesPerCore = p1.value / seconds(p1)
    const puzzlesAll = sum(pN.value) / seconds(pN)
    const puzzlesPerGame = (p1.value + sum(pN.value)) / (PUZZLE_GAMES * (cores + 1))
    const positionsPerGame = (c1.value + sum(cN.value)) / (CORPUS_GAMES * (cores + 1))
    // Extrapolation to the default preset: its game counts over the all-cores game rates.
    const corpusGames = preset.corpus.shards * preset.corpus.gamesPerShard
    const puzzleGames = preset.puzzles.shards * preset.puzzles.gamesPerShard
    const corpusSeconds = corpusGames / ((CORPUS_GAMES * cores) / seconds(cN))
    const puzzleSeconds = puzzleGames / ((PUZZLE_GAMES * cores) / seconds(pN))
    return [
      `- ${engine}: corpus ${corpusPerCore.toFixed(0)} positions/s per core, ${corpusAll.toFixed(0)}/s on ${cores} cores ` +
        `(${positionsPerGame.toFixed(0)} positions per game, ${CORPUS_GAMES} games per process, nodes ${preset.corpus.nodes}, MultiPV ${preset.corpus.multipv})`,
      `- ${engine}: puzzles ${puzzlesPerCore.toFixed(2)}/s per core, ${puzzlesAll.toFixed(2)}/s on ${cores} cores ` +
        `(${puzzlesPerGame.toFixed(2)} puzzles per game over ${PUZZLE_GAMES * (cores + 1)} games; screen ${preset.puzzles.screenNodes} nodes, confirm at depth ${preset.puzzles.depth})`,
      `- ${engine}: \`default\` preset data (${corpusGames} corpus games, ~${Math.round(corpusGames * positionsPerGame / 1000)}k positions; ` +
        `${puzzleGames} puzzle games, ~${Math.round(puzzleGames * puzzlesPerGame / 1000)}k puzzles) on ${cores} cores: ` +
        `about ${((corpusSeconds + puzzleSeconds) / 60).toFixed(0)} min (corpus ${(corpusSeconds / 60).toFixed(0)} min, puzzles ${(puzzleSeconds / 60).toFixed(0)} min), extrapolated from these rates`
    ]
  })

const main = Effect.gen(function*() {
  const engines = ["wasm", ...(nativeAvailable() ? ["native"] : [])]
  const lines: Array<string> = []
  for (const e of engines) lines.push(...(yield* measure(e)))
  if (engines.length === 1) lines.push("- native: no native stockfish on this machine (Debian's package `stockfish` provides one)")
  console.log(lines.join("\n"))
})

Effect.runPromise(main).catch((e) => {
  console.error(`error: ${e?.message ?? e}`)
  process.exit(1)
})
