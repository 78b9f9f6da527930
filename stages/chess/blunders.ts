/**
 * `blunder-positions`: pretraining positions from the puzzles' world. The puzzle generator's games
 * have blunders in them, as the puzzles do, unlike the corpus's self-play; every position it analysed
 * and did not keep comes with the engine's move (see puzzles.ts). This stage keeps those of games that
 * gave no puzzle at all (so no game that feeds a split feeds pretraining), drops any whose position
 * (FEN without move counters) is some puzzle's, and keeps one row per position (the earliest game's,
 * whatever the input order). Disjointness from every puzzle is asserted, not assumed.
 */
import { Effect, Schema } from "effect"
import { Artifact, Stage } from "../../src/index.ts"
import { positionKey } from "./board.ts"
import { type Analysed, AnalysedPositions, type Position, Positions, Puzzles } from "./tables.ts"

export const blunderPositions = Stage.make({
  name: "blunder-positions",
  version: 1,
  source: import.meta.url,
  description: "positions of puzzle-generator games that gave no puzzle, with the engine's move (pretraining data)",
  // about a million rows in and 0.4 million out at the default size: 86 s on the main thread blocked the other nodes
  heavy: true,
  params: Schema.Struct({}),
  inputs: { puzzles: Artifact.many(Puzzles), analysed: Artifact.many(AnalysedPositions) },
  outputs: { positions: Positions },
  run: ({ inputs, log, annotate }) =>
    Effect.gen(function*() {
      const puzzleGames = new Set<number>()
      const puzzlePositions = new Set<string>()
      for (const shard of inputs.puzzles) {
        for (const p of shard) {
          puzzleGames.add(p.game)
          puzzlePositions.add(positionKey(p.fen))
        }
      }
      let analysed = 0
      let ofPuzzleGames = 0
      let puzzlePosition = 0
      const byPosition = new Map<string, Analysed>()
      for (const shard of inputs.analysed) {
        for (const a of shard) {
          analysed++
          if (puzzleGames.has(a.game)) {
            ofPuzzleGames++
            continue
          }
          const key = positionKey(a.fen)
          if (puzzlePositions.has(key)) {
            puzzlePosition++
            continue
          }
          const seen = byPosition.get(key)
          if (!seen || a.game < seen.game || (a.game === seen.game && a.ply < seen.ply)) byPosition.set(key, a)
        }
      }
      const rows: Array<Position> = [...byPosition.values()]
        .sort((x, y) => x.game - y.game || x.ply - y.ply)
        .map((a) => ({ fen: a.fen, legal: a.legal, move: a.move, ply: a.ply, game: a.game }))
      for (const r of rows) {
        if (puzzleGames.has(r.game)) return yield* Effect.fail(new Error(`game ${r.game} gave a puzzle but is in the blunder positions`))
        if (puzzlePositions.has(positionKey(r.fen))) return yield* Effect.fail(new Error(`position ${positionKey(r.fen)} is a puzzle's but is in the blunder positions`))
      }
      const games = new Set(rows.map((r) => r.game)).size
      log(`${analysed} analysed positions in: ${ofPuzzleGames} from the ${puzzleGames.size} games that gave puzzles and ${puzzlePosition} at a puzzle's position dropped, ${analysed - ofPuzzleGames - puzzlePosition - rows.length} duplicates; ${rows.length} positions from ${games} games kept`)
      annotate({ analysedIn: analysed, fromPuzzleGames: ofPuzzleGames, atPuzzlePositions: puzzlePosition, positions: rows.length, games })
      return { positions: rows }
    })
})
