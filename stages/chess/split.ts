/**
 * `split`: de-duplicates puzzles by position (FEN without move counters), drops any whose position
 * occurs in the pretraining corpus, and assigns the rest by a seeded hash of the position (never by
 * order) to: `weak` (trains the weak supervisor), `strong` (gets weak labels; trains students and the
 * ceiling), `test`, and `fresh` (a pool of unseen puzzles for bootstrapping steps). Positions are
 * ordered by the hash and cut into consecutive blocks, sized either by fractions of the usable puzzles
 * or by exact counts; what is left over is unused. Disjointness is asserted, not assumed.
 */
import { Effect, Schema } from "effect"
import { Artifact, Stage } from "../../src/index.ts"
import { positionKey } from "./board.ts"
import { unitHash } from "./rng.ts"
import { type Puzzle, Positions, Puzzles, SplitReport } from "./tables.ts"

const Fraction = Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))
export const SplitNames = ["weak", "strong", "test", "fresh"] as const

const Size = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/** Either fractions of the de-duplicated puzzles, or exact sizes (the paper's 50k / 50k / 5k ...). */
export const SplitParams = Schema.Struct({
  seed: Schema.Int,
  fractions: Schema.optional(Schema.Struct({ weak: Fraction, strong: Fraction, test: Fraction, fresh: Fraction })),
  sizes: Schema.optional(Schema.Struct({ weak: Size, strong: Size, test: Size, fresh: Size }))
})

const tally = (xs: ReadonlyArray<string | number>) => {
  const out: Record<string, number> = {}
  for (const x of xs) out[String(x)] = (out[String(x)] ?? 0) + 1
  return out
}

export const split = Stage.make({
  name: "split",
  version: 1,
  source: import.meta.url,
  description: "seeded, hash-based, disjoint puzzle splits; none in the corpus",
  params: SplitParams,
  inputs: { puzzles: Artifact.many(Puzzles), corpus: Artifact.many(Positions) },
  outputs: { weak: Puzzles, strong: Puzzles, test: Puzzles, fresh: Puzzles, report: SplitReport },
  run: ({ params, inputs, log }) =>
    Effect.gen(function*() {
      if ((params.fractions === undefined) === (params.sizes === undefined)) {
        return yield* Effect.fail(new Error("split needs exactly one of fractions and sizes"))
      }
      const corpus = new Set<string>()
      for (const shard of inputs.corpus) for (const p of shard) corpus.add(positionKey(p.fen))
      const seen = new Set<string>()
      let duplicates = 0
      let inCorpus = 0
      let puzzlesIn = 0
      const usable: Array<{ u: number; p: Puzzle }> = []
      for (const shard of inputs.puzzles) {
        for (const p of shard) {
          puzzlesIn++
          const key = positionKey(p.fen)
          if (seen.has(key)) {
            duplicates++
            continue
          }
          seen.add(key)
          if (corpus.has(key)) {
            inCorpus++
            continue
          }
          usable.push({ u: unitHash(params.seed, "split", key), p })
        }
      }
      const out = { weak: [], strong: [], test: [], fresh: [] } as Record<(typeof SplitNames)[number], Array<Puzzle>>
      if (params.fractions) {
        // Each position's split depends on its own hash only: adding shards never moves a puzzle.
        const f = params.fractions
        const total = f.weak + f.strong + f.test + f.fresh
        if (total > 1 + 1e-9) return yield* Effect.fail(new Error(`split fractions add up to ${total}, more than 1`))
        const bounds = [f.weak, f.weak + f.strong, f.weak + f.strong + f.test, total]
        for (const { u, p } of usable) {
          const i = bounds.findIndex((b) => u < b)
          if (i >= 0) out[SplitNames[i]!].push(p)
        }
      } else {
        // Exact sizes: consecutive blocks of the positions in hash order.
        const sizes = params.sizes!
        usable.sort((a, b) => a.u - b.u || (a.p.fen < b.p.fen ? -1 : 1))
        const needed = SplitNames.reduce((sum, name) => sum + sizes[name], 0)
        if (needed > usable.length) {
          return yield* Effect.fail(new Error(
            `the split sizes need ${needed} puzzles but ${usable.length} are usable (${puzzlesIn} made): add puzzle shards`
          ))
        }
        let at = 0
        for (const name of SplitNames) {
          out[name] = usable.slice(at, at + sizes[name]).map((x) => x.p)
          at += sizes[name]
        }
      }
      // The guarantees the experiment rests on, checked on the result itself.
      const owner = new Map<string, string>()
      for (const name of SplitNames) {
        for (const p of out[name]) {
          const key = positionKey(p.fen)
          if (corpus.has(key)) throw new Error(`puzzle position ${key} of split ${name} is in the pretraining corpus`)
          const prior = owner.get(key)
          if (prior) throw new Error(`puzzle position ${key} is in both ${prior} and ${name}`)
          owner.set(key, name)
        }
      }
      log(`${puzzlesIn} puzzles in: ${duplicates} duplicate positions, ${inCorpus} in the corpus dropped; ` +
        SplitNames.map((n) => `${n} ${out[n].length}`).join(", "))
      return {
        ...out,
        report: {
          puzzlesIn,
          duplicates,
          inCorpus,
          corpusPositions: corpus.size,
          splits: Object.fromEntries(SplitNames.map((n) => [n, {
            puzzles: out[n].length,
            phases: tally(out[n].map((p) => p.phase)),
            pieces: tally(out[n].map((p) => Math.min(32, Math.ceil(p.pieces / 4) * 4)).map((b) => `${b - 3}-${b}`))
          }])),
          engines: [...new Set(inputs.puzzles.flatMap((s) => s.map((p) => p.engine)))].sort()
        }
      }
    })
})
