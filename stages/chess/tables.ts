/**
 * The chess data's artifact types: corpus positions (pretraining), puzzles, and the split report.
 */
import { Schema } from "effect"
import { Artifact } from "../../src/index.ts"

const C = Artifact.Column

/** Engine self-play positions with the move played: the pretraining corpus. */
export const Positions = Artifact.table("Positions", {
  fen: C.utf8,
  legal: C.list(C.utf8),
  move: C.utf8,
  ply: C.int32,
  game: C.int32
})

/** Positions where exactly one move wins clearly; `best` is the label. Scores in cp, mates as 100000 - n. */
export const Puzzles = Artifact.table("Puzzles", {
  fen: C.utf8,
  side: C.utf8,
  legal: C.list(C.utf8),
  best: C.utf8,
  bestCp: C.int32,
  secondCp: C.int32,
  engine: C.utf8,
  depth: C.int32,
  game: C.int32,
  ply: C.int32,
  phase: C.utf8,
  pieces: C.int32
})

/**
 * Positions the puzzle generator analysed and did not keep as puzzles: the engine's best move and its
 * evaluation (side to move's view, cp; mates as 100000 - n) at the search it made (`nodes`), with the
 * game and ply, so a split can tell which games gave puzzles.
 */
export const AnalysedPositions = Artifact.table("AnalysedPositions", {
  fen: C.utf8,
  legal: C.list(C.utf8),
  move: C.utf8,
  evalCp: C.int32,
  nodes: C.int32,
  engine: C.utf8,
  game: C.int32,
  ply: C.int32
})

/** Puzzle positions without their answers: what a node that must not see the ground truth gets. */
export const Boards = Artifact.table("Boards", {
  fen: C.utf8,
  legal: C.list(C.utf8)
})

export type Puzzle = (typeof Puzzles.rowSchema)["Type"]
export type Position = (typeof Positions.rowSchema)["Type"]
export type Analysed = (typeof AnalysedPositions.rowSchema)["Type"]
export type Board = (typeof Boards.rowSchema)["Type"]

const Counts = Schema.Record(Schema.String, Schema.Int)
const SplitStats = Schema.Struct({ puzzles: Schema.Int, games: Schema.Int, phases: Counts, pieces: Counts })

/** What the split did: sizes, what it dropped and why, and the mix of phases and piece counts. */
export const SplitReport = Artifact.json("SplitReport", Schema.Struct({
  puzzlesIn: Schema.Int,
  duplicates: Schema.Int,
  inCorpus: Schema.Int,
  corpusPositions: Schema.Int,
  splits: Schema.Record(Schema.String, SplitStats),
  engines: Schema.Array(Schema.String)
}))
