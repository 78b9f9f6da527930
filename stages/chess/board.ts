/**
 * Board helpers over chessops (bitboard move generation; chess.js's verbose move lists cost more than
 * the engine's search here): a game that knows when it is over, legal moves in UCI notation as
 * engines write them (castling e1g1, promotions e7e8q), the position key used for de-duplication
 * (FEN without move counters), and coarse descriptions (phase, piece count).
 */
import { Chess, normalizeMove } from "chessops/chess"
import { makeFen, parseFen } from "chessops/fen"
import { kingCastlesTo, makeUci, parseUci, squareRank } from "chessops/util"

const PROMOTIONS = ["queen", "rook", "bishop", "knight"] as const

/** The position without its move counters: equal for the same position reached at different moves. */
export const positionKey = (fen: string): string => fen.split(" ").slice(0, 4).join(" ")

/** Parses a FEN, with an error that names it. */
export const fromFen = (fen: string): Chess => {
  const setup = parseFen(fen)
  if (setup.isErr) throw new Error(`FEN '${fen}' does not parse: ${setup.error.message}`)
  const pos = Chess.fromSetup(setup.value)
  if (pos.isErr) throw new Error(`FEN '${fen}' is not a legal position: ${pos.error.message}`)
  return pos.value
}

/** A game in progress: the position, the moves' count, and what ends it (mate, stalemate, material, 50 moves, threefold). */
export class Game {
  private readonly seen = new Map<string, number>()
  /** the FEN of the current position, made once per move */
  private current = ""
  plies = 0

  constructor(readonly pos: Chess = Chess.default()) {
    this.note()
  }

  private note() {
    this.current = makeFen(this.pos.toSetup())
    const key = positionKey(this.current)
    this.seen.set(key, (this.seen.get(key) ?? 0) + 1)
  }

  fen(): string {
    return this.current
  }

  turn(): "w" | "b" {
    return this.pos.turn === "white" ? "w" : "b"
  }

  /** Legal moves in UCI notation, in a fixed order. */
  legal(): Array<string> {
    const out: Array<string> = []
    for (const [from, dests] of this.pos.allDests()) {
      const piece = this.pos.board.get(from)!
      for (const to of dests) {
        const target = this.pos.board.get(to)
        if (piece.role === "king" && target?.color === piece.color) {
          // chessops writes castling as king-takes-rook; engines write the king's two-square move.
          out.push(makeUci({ from, to: kingCastlesTo(piece.color, to < from ? "a" : "h") }))
        } else if (piece.role === "pawn" && (squareRank(to) === 0 || squareRank(to) === 7)) {
          for (const promotion of PROMOTIONS) out.push(makeUci({ from, to, promotion }))
        } else {
          out.push(makeUci({ from, to }))
        }
      }
    }
    return out
  }

  /** Plays a UCI move; throws if it is not legal here. */
  play(uci: string): void {
    const move = parseUci(uci)
    const normal = move && normalizeMove(this.pos, move)
    if (!normal || !this.pos.isLegal(normal)) throw new Error(`illegal move ${uci} in ${this.fen()}`)
    this.pos.play(normal)
    this.plies++
    this.note()
  }

  isOver(): boolean {
    return this.pos.isEnd() || this.pos.halfmoves >= 100 || (this.seen.get(positionKey(this.current)) ?? 0) >= 3
  }
}

const VALUES: Record<string, number> = { n: 3, b: 3, r: 5, q: 9 }

/** Pieces on the board, kings included. */
export const pieceCount = (fen: string): number => fen.split(" ")[0]!.replace(/[^a-zA-Z]/g, "").length

/**
 * Game phase: "endgame" once the non-pawn material (both sides, kings excluded) is at most 13
 * points (e.g. a rook and a minor piece each); else "opening" up to move 12; else "middlegame".
 */
export const phase = (fen: string): "opening" | "middlegame" | "endgame" => {
  const [placement, , , , , fullmove] = fen.split(" ")
  const material = [...placement!].reduce((s, ch) => s + (VALUES[ch.toLowerCase()] ?? 0), 0)
  if (material <= 13) return "endgame"
  return Number(fullmove ?? 1) <= 12 ? "opening" : "middlegame"
}
