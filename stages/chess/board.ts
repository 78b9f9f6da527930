/**
 * Board helpers over chess.js: legal moves in UCI notation, playing a UCI move, the position key used
 * for de-duplication (FEN without move counters), and coarse descriptions (phase, piece count).
 */
import { Chess } from "chess.js"

export { Chess }

/** Legal moves in UCI notation (e2e4, e7e8q), in chess.js's generation order. */
export const legalUci = (c: Chess): Array<string> => c.moves({ verbose: true }).map((m) => m.lan)

/** Plays a UCI move; throws if it is illegal. */
export const playUci = (c: Chess, uci: string): void => {
  c.move({ from: uci.slice(0, 2), to: uci.slice(2, 4), ...(uci.length > 4 ? { promotion: uci[4]! } : {}) })
}

/** The position without its move counters: equal for the same position reached at different moves. */
export const positionKey = (fen: string): string => fen.split(" ").slice(0, 4).join(" ")

/** Parses a FEN, with an error that names it. */
export const fromFen = (fen: string): Chess => {
  try {
    return new Chess(fen)
  } catch (e) {
    throw new Error(`FEN '${fen}' does not parse: ${(e as Error).message}`)
  }
}

const VALUES: Record<string, number> = { p: 1, n: 3, b: 3, r: 5, q: 9, k: 0 }

/** Pieces on the board, kings included. */
export const pieceCount = (fen: string): number => fen.split(" ")[0]!.replace(/[^a-zA-Z]/g, "").length

/**
 * Game phase: "opening" up to move 12; "endgame" once the non-pawn material (both sides, kings
 * excluded) is at most 13 points (e.g. a rook and a minor piece each); "middlegame" otherwise.
 */
export const phase = (fen: string): "opening" | "middlegame" | "endgame" => {
  const [placement, , , , , fullmove] = fen.split(" ")
  const material = [...placement!].reduce((s, ch) => s + (/[nbrqNBRQ]/.test(ch) ? VALUES[ch.toLowerCase()]! : 0), 0)
  if (material <= 13) return "endgame"
  return Number(fullmove ?? 1) <= 12 ? "opening" : "middlegame"
}
