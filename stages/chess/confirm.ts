/**
 * `confirm`: a seed's part of the confirmatory test set. Its puzzles come from games that no split
 * has ever held: shards played after the ordinary ones (new game numbers), kept for one final reading
 * (docs/experiment.md, "The confirmatory set"). Like `split`, it keeps one puzzle per position (the
 * earliest game's) and drops every position that any model may have trained on or been scored on
 * before: the pretraining corpus, the blunder positions (pretraining targets that are the engine's
 * best move, a puzzle's answer), and every ordinary puzzle. The games are then dealt to `parts` disjoint parts by a seeded
 * hash of the game (all of a game's puzzles in one part), so each seed is scored on puzzles of its
 * own, as each seed's test split is its own. Disjointness is asserted, not assumed.
 */
import { Effect, Schema } from "effect"
import { Artifact, Stage } from "../../src/index.ts"
import { positionKey } from "./board.ts"
import { unitHash } from "./rng.ts"
import { Boards, type Puzzle, Positions, Puzzles } from "./tables.ts"

export const confirm = Stage.make({
  name: "confirm",
  version: 1,
  source: import.meta.url,
  description: "a seed's part of the confirmatory test set: puzzles of games no split holds, at no pretraining or ordinary puzzle position",
  params: Schema.Struct({
    /** the hash that deals games to parts (the data's seed: every part is cut from one dealing) */
    seed: Schema.Int,
    part: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
    parts: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
  }),
  /** pretraining: every other pretraining table (the blunder positions, when some member reads them) */
  inputs: { confirm: Artifact.many(Puzzles), puzzles: Artifact.many(Puzzles), corpus: Artifact.many(Positions), pretraining: Artifact.many(Positions) },
  outputs: { test: Puzzles, testBoards: Boards },
  run: ({ params: p, inputs, log, annotate }) =>
    Effect.gen(function*() {
      if (p.part >= p.parts) return yield* Effect.fail(new Error(`confirm part ${p.part} is not below parts ${p.parts}`))
      const corpus = new Set<string>()
      for (const shard of [...inputs.corpus, ...inputs.pretraining]) for (const x of shard) corpus.add(positionKey(x.fen))
      const ordinary = new Set<string>()
      const ordinaryGames = new Set<number>()
      for (const shard of inputs.puzzles) {
        for (const x of shard) {
          ordinary.add(positionKey(x.fen))
          ordinaryGames.add(x.game)
        }
      }
      const byPosition = new Map<string, Puzzle>()
      let dropped = 0
      for (const shard of inputs.confirm) {
        for (const x of shard) {
          if (ordinaryGames.has(x.game)) return yield* Effect.fail(new Error(`confirmatory game ${x.game} is also an ordinary puzzle shard's: the confirmatory shards must be new games`))
          const key = positionKey(x.fen)
          if (corpus.has(key) || ordinary.has(key)) {
            dropped++
            continue
          }
          const prior = byPosition.get(key)
          if (!prior || x.game < prior.game || (x.game === prior.game && x.ply < prior.ply)) byPosition.set(key, x)
        }
      }
      const test = [...byPosition.values()]
        .filter((x) => Math.min(p.parts - 1, Math.floor(unitHash(p.seed, "confirm-game", x.game) * p.parts)) === p.part)
        .sort((a, b) => a.game - b.game || a.ply - b.ply || (a.fen < b.fen ? -1 : 1))
      for (const x of test) {
        if (corpus.has(positionKey(x.fen)) || ordinary.has(positionKey(x.fen))) throw new Error(`confirmatory position ${positionKey(x.fen)} is not new`)
      }
      const games = new Set(test.map((x) => x.game)).size
      log(`confirmatory part ${p.part} of ${p.parts}: ${test.length} puzzles from ${games} games (${dropped} at a pretraining or ordinary puzzle position dropped)`)
      annotate({ puzzles: test.length, games, dropped })
      return { test, testBoards: test.map((x) => ({ fen: x.fen, legal: x.legal })) }
    })
})
