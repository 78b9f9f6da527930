/**
 * `w2s-chess`: the weak-to-strong chess-puzzle experiment (Burns et al. 2023, section 3 and appendix A)
 * at laptop scale. This file holds the data half so far: a pretraining corpus of engine self-play
 * positions, engine-labelled puzzles, and seeded disjoint splits. Data is made in shards (fixed
 * numbers of games each), so growing it runs only the new shards.
 */
import { Schema } from "effect"
import { Pipeline } from "../src/index.ts"
import { Engine } from "../stages/chess/engine.ts"
import { games, OpeningPlies } from "../stages/chess/games.ts"
import { puzzles } from "../stages/chess/puzzles.ts"
import { split, SplitParams } from "../stages/chess/split.ts"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Positive = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

const Params = Schema.Struct({
  data: Schema.Struct({
    engine: Engine,
    seed: Schema.Int,
    corpus: Schema.Struct({
      shards: Count,
      gamesPerShard: Positive,
      nodes: Positive,
      multipv: Positive,
      windowCp: Count,
      openingPlies: OpeningPlies,
      maxPlies: Positive
    }),
    puzzles: Schema.Struct({
      shards: Count,
      gamesPerShard: Positive,
      openingPlies: OpeningPlies,
      maxPlies: Positive,
      blunderRate: Schema.Number,
      windowCp: Count,
      screenNodes: Positive,
      screenMarginCp: Count,
      depth: Positive,
      minBestCp: Schema.Int,
      maxSecondCp: Schema.Int,
      maxPerGame: Positive,
      resignCp: Positive
    }),
    split: SplitParams.mapFields(({ seed: _seed, ...rest }) => rest)
  })
})
type Params = typeof Params.Encoded

const base: Params = {
  data: {
    engine: "wasm",
    seed: 1,
    corpus: { shards: 24, gamesPerShard: 50, nodes: 1000, multipv: 3, windowCp: 50, openingPlies: { min: 2, max: 8 }, maxPlies: 200 },
    puzzles: {
      shards: 48,
      gamesPerShard: 500,
      openingPlies: { min: 2, max: 8 },
      maxPlies: 200,
      blunderRate: 0.3,
      windowCp: 30,
      screenNodes: 1000,
      screenMarginCp: 50,
      depth: 10,
      minBestCp: 200,
      maxSecondCp: 50,
      maxPerGame: 4,
      resignCp: 1500
    },
    split: { fractions: { weak: 0.3, strong: 0.3, test: 0.2, fresh: 0.2 } }
  }
}

export default Pipeline.make({
  name: "w2s-chess",
  description: "Weak-to-strong generalization on chess puzzles (Burns et al. 2023); data stages so far",
  params: Params,
  presets: {
    // The whole DAG on tiny data, for tests: about 180 puzzles and 900 corpus positions (43 s here).
    smoke: {
      data: {
        ...base.data,
        corpus: { ...base.data.corpus, shards: 1, gamesPerShard: 8, nodes: 300 },
        puzzles: { ...base.data.puzzles, shards: 2, gamesPerShard: 120, screenNodes: 300, depth: 8 }
      }
    },
    // The real experiment on a 2-core CPU: >= 15k puzzles, ~100k corpus positions.
    default: base,
    // The paper's split sizes: 50k weak / 50k strong / 5k test / 2 x 50k fresh; for many cores.
    paper: {
      data: {
        ...base.data,
        engine: "native",
        corpus: { ...base.data.corpus, shards: 120 },
        puzzles: { ...base.data.puzzles, shards: 600, depth: 12 },
        split: { sizes: { weak: 50_000, strong: 50_000, test: 5_000, fresh: 100_000 } }
      }
    }
  },
  defaultPreset: "default",
  build: ({ data }) => {
    const corpus = Array.from({ length: data.corpus.shards }, (_, i) => {
      const { shards: _s, gamesPerShard, ...settings } = data.corpus
      return games({
        id: `corpus/${i}`,
        params: { ...settings, seed: data.seed, engine: data.engine, first: i * gamesPerShard, count: gamesPerShard }
      })
    })
    const puzzleShards = Array.from({ length: data.puzzles.shards }, (_, i) => {
      const { shards: _s, gamesPerShard, ...settings } = data.puzzles
      return puzzles({
        id: `puzzles/${i}`,
        params: { ...settings, seed: data.seed, engine: data.engine, first: i * gamesPerShard, count: gamesPerShard }
      })
    })
    const splits = split({
      id: "split",
      params: { seed: data.seed, ...data.split },
      inputs: { puzzles: puzzleShards.map((s) => s.outputs.puzzles), corpus: corpus.map((c) => c.outputs.positions) }
    })
    return { splits, corpus }
  }
})
