/**
 * The puzzle rule: a position is a puzzle when exactly one move wins clearly. With the engine's two
 * best lines (scores from the side to move's view, mates counted as 100000 - n centipawns):
 *
 *   best >= minBestCp   (the best move wins clearly: e.g. +200 cp, or a forced mate)
 *   second <= maxSecondCp  (every other move throws that away: e.g. at most +50 cp)
 *
 * A position with a single legal move is not a puzzle (the move is forced, not found). Two mating
 * moves, or two moves that both keep a large advantage, are rejected. The cheap screen applies the
 * same rule loosened by a margin, so that the confirming search at full depth sees every candidate.
 */
import { type Line, value } from "./uci.ts"

export interface PuzzleRule {
  readonly minBestCp: number
  readonly maxSecondCp: number
}

export type Verdict = { readonly keep: true } | { readonly keep: false; readonly why: string }

export const judge = (lines: ReadonlyArray<Line>, rule: PuzzleRule, marginCp = 0): Verdict => {
  if (lines.length < 2) return { keep: false, why: "fewer than two legal moves" }
  const best = value(lines[0]!.score)
  const second = value(lines[1]!.score)
  if (best < rule.minBestCp - marginCp) return { keep: false, why: `best move scores ${best} cp, below ${rule.minBestCp}` }
  if (second > rule.maxSecondCp + marginCp) return { keep: false, why: `a second move also wins (${second} cp)` }
  return { keep: true }
}
