/**
 * Chess positions and moves as model inputs and outputs, always from the side to move's point of
 * view (for Black the board is mirrored and the colours swapped, so one network plays both sides).
 *
 * Input: 12 piece planes x 64 squares (own pieces first) + 4 castling rights = 772 features, stored
 * sparsely as the indices that are 1. Output: a score per (from, to) square pair, 64 x 64 = 4096;
 * promotions share their pawn move's index (a prediction is read as the queen promotion).
 */
export const INPUTS = 12 * 64 + 4
export const MOVES = 64 * 64

const PIECES = "PNBRQK"

const square = (name: string): number => (name.charCodeAt(1) - 49) * 8 + (name.charCodeAt(0) - 97)

/** The active input features of a position given as FEN. */
export const features = (fen: string): Int16Array => {
  const [placement, side, castling] = fen.split(" ")
  const black = side === "b"
  const out: Array<number> = []
  let rank = 7
  let file = 0
  for (const ch of placement!) {
    if (ch === "/") {
      rank--
      file = 0
    } else if (ch >= "1" && ch <= "8") {
      file += Number(ch)
    } else {
      const upper = ch.toUpperCase()
      const white = ch === upper
      const own = white !== black
      const r = black ? 7 - rank : rank
      out.push((PIECES.indexOf(upper) + (own ? 0 : 6)) * 64 + r * 8 + file)
      file++
    }
  }
  const rights = castling ?? "-"
  const flags = black ? ["k", "q", "K", "Q"] : ["K", "Q", "k", "q"]
  flags.forEach((f, i) => {
    if (rights.includes(f)) out.push(768 + i)
  })
  return Int16Array.from(out)
}

/** The output index of a UCI move in the frame of the side to move. */
export const moveIndex = (uci: string, black: boolean): number => {
  let from = square(uci.slice(0, 2))
  let to = square(uci.slice(2, 4))
  if (black) {
    from ^= 56
    to ^= 56
  }
  return from * 64 + to
}

export const isBlack = (fen: string): boolean => fen.split(" ")[1] === "b"

/** One training or evaluation example in compact form. */
export interface Example {
  readonly features: Int16Array
  /** output indices of the legal moves */
  readonly legal: Int16Array
  /** the UCI legal moves, aligned with `legal` */
  readonly moves: ReadonlyArray<string>
  /** index into `legal` of the target move (hard label), or -1 */
  readonly target: number
  /** a distribution over `legal` (soft label), when training on one */
  readonly soft?: Float32Array | undefined
}

/** Builds an example; `target` is a UCI move that must be among `moves`. */
export const example = (fen: string, moves: ReadonlyArray<string>, target?: string, soft?: Float32Array): Example => {
  const black = isBlack(fen)
  const t = target === undefined ? -1 : moves.indexOf(target)
  if (target !== undefined && t < 0) throw new Error(`target ${target} is not a legal move of ${fen}`)
  return { features: features(fen), legal: Int16Array.from(moves.map((m) => moveIndex(m, black))), moves, target: t, soft }
}
