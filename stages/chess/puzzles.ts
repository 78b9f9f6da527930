/**
 * `puzzles`: positions from games unlike the corpus's (the players blunder now and then, as people
 * do) in which exactly one move wins clearly (see rules.ts). Every position is screened with a cheap
 * search (which also picks the move played); candidates are confirmed at a fixed depth with MultiPV 2,
 * and the engine's best move is the label. Games stop once decided (|eval| >= resignCp).
 */
import { Effect, Schema } from "effect"
import { Stage } from "../../src/index.ts"
import { Game, phase, pieceCount } from "./board.ts"
import { checkAborted, Engine, withEngine } from "./engine.ts"
import { OpeningPlies, randomOpening } from "./games.ts"
import { pick, rng } from "./rng.ts"
import { judge } from "./rules.ts"
import { type Puzzle, Puzzles } from "./tables.ts"
import { value } from "./uci.ts"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Positive = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

export const PuzzleParams = Schema.Struct({
  seed: Schema.Int,
  first: Count,
  count: Count,
  engine: Engine,
  openingPlies: OpeningPlies,
  maxPlies: Positive,
  /** chance that a player makes a uniformly random move instead of the engine's */
  blunderRate: Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 })),
  windowCp: Count,
  screenNodes: Positive,
  screenMarginCp: Count,
  depth: Positive,
  minBestCp: Schema.Int,
  maxSecondCp: Schema.Int,
  maxPerGame: Positive,
  resignCp: Positive
})

export const puzzles = Stage.make({
  name: "puzzles",
  version: 1,
  source: import.meta.url,
  description: "engine-confirmed positions with exactly one clearly winning move",
  params: PuzzleParams,
  inputs: {},
  outputs: { puzzles: Puzzles },
  run: ({ params: p, progress, annotate }) =>
    Effect.gen(function*() {
      if (p.openingPlies.min > p.openingPlies.max) return yield* Effect.fail(new Error(`openingPlies.min ${p.openingPlies.min} exceeds max ${p.openingPlies.max}`))
      const rows: Array<Puzzle> = []
      let screened = 0
      let confirmed = 0
      const started = Date.now()
      const engineId = yield* withEngine(p.engine, async (engine, signal) => {
        for (let g = p.first; g < p.first + p.count; g++) {
          const r = rng(p.seed, "puzzles", g)
          const game = new Game()
          randomOpening(game, r, p.openingPlies)
          let kept = 0
          while (!game.isOver() && game.plies < p.maxPlies) {
            checkAborted(signal)
            const fen = game.fen()
            const legal = game.legal()
            const screen = await engine.analyse(fen, { nodes: p.screenNodes }, 2)
            screened++
            if (kept < p.maxPerGame && judge(screen, p, p.screenMarginCp).keep) {
              confirmed++
              const deep = await engine.analyse(fen, { depth: p.depth }, 2)
              if (judge(deep, p).keep) {
                kept++
                rows.push({
                  fen,
                  side: game.turn(),
                  legal,
                  best: deep[0]!.move,
                  bestCp: value(deep[0]!.score),
                  secondCp: value(deep[1]!.score),
                  engine: engine.id,
                  depth: p.depth,
                  game: g,
                  ply: game.plies,
                  phase: phase(fen),
                  pieces: pieceCount(fen)
                })
              }
            }
            const best = value(screen[0]!.score)
            if (Math.abs(best) >= p.resignCp) break
            const move = r() < p.blunderRate ? pick(r, legal) : pick(r, screen.filter((l) => value(l.score) >= best - p.windowCp)).move
            game.play(move)
          }
          const rate = rows.length / ((Date.now() - started) / 1000)
          progress({ done: g - p.first + 1, total: p.count, unit: "games", note: `${rows.length} puzzles, ${rate.toFixed(2)} puzzles/s` })
        }
        return engine.id
      })
      const seconds = (Date.now() - started) / 1000
      annotate({
        engine: engineId,
        positionsScreened: screened,
        confirmedAtDepth: confirmed,
        puzzles: rows.length,
        puzzlesPerSecond: Math.round((rows.length / seconds) * 100) / 100
      })
      return { puzzles: rows }
    })
})
