/**
 * `games`: engine self-play games, every position with the move the engine played: the pretraining
 * corpus (the analogue of the chess games in a language model's pretraining). Each game opens with
 * a seeded number of random plies (not recorded: they are not skilled moves), then the engine plays,
 * choosing at random among its lines within `windowCp` of the best, so games vary. The engine keeps
 * its state through a game (`ucinewgame` once per game, not per position), so a game is the same in
 * whichever shard or process it is played.
 */
import { Effect, Schema } from "effect"
import { Stage } from "../../src/index.ts"
import { Game } from "./board.ts"
import { checkAborted, Engine, withEngine } from "./engine.ts"
import { pick, rng } from "./rng.ts"
import { type Position, Positions } from "./tables.ts"
import { value } from "./uci.ts"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Positive = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

export const OpeningPlies = Schema.Struct({ min: Count, max: Count })

export const GamesParams = Schema.Struct({
  seed: Schema.Int,
  first: Count,
  count: Count,
  engine: Engine,
  nodes: Positive,
  multipv: Positive,
  windowCp: Count,
  openingPlies: OpeningPlies,
  maxPlies: Positive
})

/** Plays the seeded random opening of a game (it may end the game). */
export const randomOpening = (game: Game, r: () => number, plies: { min: number; max: number }): void => {
  const n = plies.min + Math.floor(r() * (plies.max - plies.min + 1))
  for (let i = 0; i < n && !game.isOver(); i++) game.play(pick(r, game.legal()))
}

export const games = Stage.make({
  name: "games",
  version: 2,
  source: import.meta.url,
  description: "engine self-play positions with the move played (pretraining corpus)",
  params: GamesParams,
  inputs: {},
  outputs: { positions: Positions },
  // the WASM engine runs in the node's thread: a worker thread of its own, so shards run side by side
  heavy: true,
  run: ({ params: p, progress, annotate }) =>
    Effect.gen(function*() {
      if (p.openingPlies.min > p.openingPlies.max) return yield* Effect.fail(new Error(`openingPlies.min ${p.openingPlies.min} exceeds max ${p.openingPlies.max}`))
      const rows: Array<Position> = []
      const started = Date.now()
      const engineId = yield* withEngine(p.engine, async (engine, signal) => {
        for (let g = p.first; g < p.first + p.count; g++) {
          const r = rng(p.seed, "corpus", g)
          const game = new Game()
          randomOpening(game, r, p.openingPlies)
          await engine.newGame()
          while (!game.isOver() && game.plies < p.maxPlies) {
            checkAborted(signal)
            const fen = game.fen()
            const lines = await engine.analyse(fen, { nodes: p.nodes }, p.multipv, false)
            const best = value(lines[0]!.score)
            const move = pick(r, lines.filter((l) => value(l.score) >= best - p.windowCp)).move
            rows.push({ fen, legal: game.legal(), move, ply: game.plies, game: g })
            game.play(move)
          }
          progress({ done: g - p.first + 1, total: p.count, unit: "games", note: `${rows.length} positions` })
        }
        return engine.id
      })
      const seconds = (Date.now() - started) / 1000
      annotate({ engine: engineId, positions: rows.length, positionsPerSecond: Math.round((rows.length / seconds) * 10) / 10 })
      return { positions: rows }
    })
})
