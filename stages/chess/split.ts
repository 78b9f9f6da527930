/**
 * `split`: de-duplicates puzzles by position (FEN without move counters), drops any whose position
 * occurs in the pretraining corpus, and assigns the rest, a whole game at a time, by a seeded hash of
 * the game (never by order) to: `weak` (trains the weak supervisor), `strong` (gets weak labels;
 * trains students and the ceiling), `val` (validation: early stopping and design choices), `test`
 * (reporting only), and `fresh` (a pool of unseen puzzles for bootstrapping steps). All puzzles of one
 * game share a split, so one tactical sequence never straddles two. Games are ordered by the hash and
 * cut into consecutive blocks, sized either by fractions of the hash range or by exact puzzle counts
 * (the last game of a block is cut short; its rest is unused). `testBoards` is the test split without
 * its answers, for the nodes that must not see them. Disjointness is asserted, not assumed.
 */
import { Effect, Schema } from "effect"
import { Artifact, Stage } from "../../src/index.ts"
import { positionKey } from "./board.ts"
import { unitHash } from "./rng.ts"
import { Boards, type Puzzle, Positions, Puzzles, SplitReport } from "./tables.ts"

const Fraction = Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))
export const SplitNames = ["weak", "strong", "val", "test", "fresh"] as const

const Size = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/** Either fractions of the de-duplicated puzzles, or exact sizes (the paper's 50k / 50k / 5k ...). */
export const SplitParams = Schema.Struct({
  seed: Schema.Int,
  fractions: Schema.optional(Schema.Struct({ weak: Fraction, strong: Fraction, val: Fraction, test: Fraction, fresh: Fraction })),
  sizes: Schema.optional(Schema.Struct({ weak: Size, strong: Size, val: Size, test: Size, fresh: Size }))
})

const tally = (xs: ReadonlyArray<string | number>) => {
  const out: Record<string, number> = {}
  for (const x of xs) out[String(x)] = (out[String(x)] ?? 0) + 1
  return out
}

export const split = Stage.make({
  name: "split",
  version: 2,
  source: import.meta.url,
  description: "seeded, game-level, disjoint puzzle splits; none in the corpus",
  params: SplitParams,
  inputs: { puzzles: Artifact.many(Puzzles), corpus: Artifact.many(Positions) },
  outputs: { weak: Puzzles, strong: Puzzles, val: Puzzles, test: Puzzles, fresh: Puzzles, testBoards: Boards, report: SplitReport },
  run: ({ params, inputs, log }) =>
    Effect.gen(function*() {
      if ((params.fractions === undefined) === (params.sizes === undefined)) {
        return yield* Effect.fail(new Error("split needs exactly one of fractions and sizes"))
      }
      const corpus = new Set<string>()
      for (const shard of inputs.corpus) for (const p of shard) corpus.add(positionKey(p.fen))
      let duplicates = 0
      let inCorpus = 0
      let puzzlesIn = 0
      // One puzzle per position (of duplicates, the earliest game's, whatever the input order), then
      // grouped by game, each game with its seeded hash.
      const byPosition = new Map<string, Puzzle>()
      for (const shard of inputs.puzzles) {
        for (const p of shard) {
          puzzlesIn++
          const key = positionKey(p.fen)
          const prior = byPosition.get(key)
          if (prior) duplicates++
          if (!prior || p.game < prior.game || (p.game === prior.game && p.ply < prior.ply)) byPosition.set(key, p)
        }
      }
      const games = new Map<number, { u: number; game: number; puzzles: Array<Puzzle> }>()
      for (const [key, p] of byPosition) {
        if (corpus.has(key)) {
          inCorpus++
          continue
        }
        let g = games.get(p.game)
        if (!g) games.set(p.game, g = { u: unitHash(params.seed, "split-game", p.game), game: p.game, puzzles: [] })
        g.puzzles.push(p)
      }
      const ordered = [...games.values()].sort((a, b) => a.u - b.u || a.game - b.game)
      for (const g of ordered) g.puzzles.sort((a, b) => a.ply - b.ply || (a.fen < b.fen ? -1 : 1))
      const usable = ordered.reduce((n, g) => n + g.puzzles.length, 0)
      const out = { weak: [], strong: [], val: [], test: [], fresh: [] } as Record<(typeof SplitNames)[number], Array<Puzzle>>
      if (params.fractions) {
        // Each game's split depends on its own hash only: adding shards never moves a puzzle.
        const f = params.fractions
        const total = f.weak + f.strong + f.val + f.test + f.fresh
        if (total > 1 + 1e-9) return yield* Effect.fail(new Error(`split fractions add up to ${total}, more than 1`))
        const bounds = [f.weak, f.weak + f.strong, f.weak + f.strong + f.val, f.weak + f.strong + f.val + f.test, total]
        for (const g of ordered) {
          const i = bounds.findIndex((b) => g.u < b)
          if (i >= 0) out[SplitNames[i]!].push(...g.puzzles)
        }
      } else {
        // Exact sizes: consecutive blocks of games in hash order, the last game of a block cut short.
        const sizes = params.sizes!
        const needed = SplitNames.reduce((sum, name) => sum + sizes[name], 0)
        if (needed > usable) {
          return yield* Effect.fail(new Error(
            `the split sizes need ${needed} puzzles but ${usable} are usable (${puzzlesIn} made): add puzzle shards`
          ))
        }
        let k = 0
        for (const name of SplitNames) {
          while (out[name].length < sizes[name] && k < ordered.length) {
            out[name].push(...ordered[k++]!.puzzles.slice(0, sizes[name] - out[name].length))
          }
        }
        const short = SplitNames.filter((name) => out[name].length < sizes[name])
        if (short.length) {
          return yield* Effect.fail(new Error(
            `the split sizes need ${needed} puzzles in whole games, but the games ran out before ${short.join(", ")} was filled: add puzzle shards`
          ))
        }
      }
      // The guarantees the experiment rests on, checked on the result itself.
      const owner = new Map<string, string>()
      const gameOwner = new Map<number, string>()
      for (const name of SplitNames) {
        for (const p of out[name]) {
          const key = positionKey(p.fen)
          if (corpus.has(key)) throw new Error(`puzzle position ${key} of split ${name} is in the pretraining corpus`)
          const prior = owner.get(key)
          if (prior) throw new Error(`puzzle position ${key} is in both ${prior} and ${name}`)
          owner.set(key, name)
          const priorGame = gameOwner.get(p.game)
          if (priorGame && priorGame !== name) throw new Error(`game ${p.game} has puzzles in both ${priorGame} and ${name}`)
          gameOwner.set(p.game, name)
        }
      }
      log(`${puzzlesIn} puzzles in: ${duplicates} duplicate positions, ${inCorpus} in the corpus dropped; ` +
        SplitNames.map((n) => `${n} ${out[n].length}`).join(", "))
      return {
        ...out,
        testBoards: out.test.map((p) => ({ fen: p.fen, legal: p.legal })),
        report: {
          puzzlesIn,
          duplicates,
          inCorpus,
          corpusPositions: corpus.size,
          splits: Object.fromEntries(SplitNames.map((n) => [n, {
            puzzles: out[n].length,
            games: new Set(out[n].map((p) => p.game)).size,
            phases: tally(out[n].map((p) => p.phase)),
            pieces: tally(out[n].map((p) => Math.min(32, Math.ceil(p.pieces / 4) * 4)).map((b) => `${b - 3}-${b}`))
          }])),
          engines: [...new Set(inputs.puzzles.flatMap((s) => s.map((p) => p.engine)))].sort()
        }
      }
    })
})
