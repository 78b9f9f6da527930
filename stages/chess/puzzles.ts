/**
 * `puzzles`: positions from games unlike the corpus's (the players blunder now and then, as people
 * do) in which exactly one move wins clearly (see rules.ts). Candidates are confirmed at a fixed depth
 * with MultiPV 2, and the engine's best move is the label. Games stop once decided (|eval| >= resignCp).
 *
 * Two strategies choose which positions get the cheap screen that finds candidates:
 * - `after-mistake` (the default): as Lichess finds its puzzles right after a mistake, ordinary moves
 *   are chosen with a cheaper search (`moveNodes`), and only a position that follows a random move
 *   or an evaluation swing of at least `swingCp` towards the side to move is screened; the engine
 *   keeps its state through a game (`ucinewgame` once per game) and a game stops once it has given
 *   `maxPerGame` puzzles.
 * - `every-position` (the generator before it, kept for `npm run bench -- data`): every position is
 *   screened, the screen also picks the move, and the engine is reset before every position.
 *
 * Every position the stage analysed and did not keep is also an output (`analysed`: the engine's best
 * move and evaluation at the search it made), at no extra engine cost: pretraining data from the
 * puzzles' world.
 */
import { Effect, Schema } from "effect"
import { Stage } from "../../src/index.ts"
import { Game, phase, pieceCount } from "./board.ts"
import { checkAborted, Engine, withEngines } from "./engine.ts"
import { OpeningPlies, randomOpening } from "./games.ts"
import { pick, type Rng, rng } from "./rng.ts"
import { judge } from "./rules.ts"
import { type Analysed, AnalysedPositions, type Puzzle, Puzzles } from "./tables.ts"
import { type UciEngine, value } from "./uci.ts"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Positive = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

export const Strategy = Schema.Literals(["after-mistake", "every-position"])

export const PuzzleParams = Schema.Struct({
  seed: Schema.Int,
  first: Count,
  count: Count,
  engine: Engine,
  strategy: Strategy,
  openingPlies: OpeningPlies,
  maxPlies: Positive,
  /** chance that a player makes a uniformly random move instead of the engine's */
  blunderRate: Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 })),
  windowCp: Count,
  /** after-mistake: nodes of the search that chooses an ordinary move */
  moveNodes: Positive,
  /** after-mistake: an evaluation swing towards the side to move that marks the last move as a mistake */
  swingCp: Count,
  /** after-mistake: the puzzle rule loosened by this margin, applied to the move search's two lines, decides whether to screen */
  moveMarginCp: Count,
  screenNodes: Positive,
  screenMarginCp: Count,
  depth: Positive,
  minBestCp: Schema.Int,
  maxSecondCp: Schema.Int,
  maxPerGame: Positive,
  resignCp: Positive
})
export type PuzzleParams = typeof PuzzleParams.Type

/** What one shard's search cost and found: the record's annotations, and the benchmark's figures. */
export interface Tally {
  /** positions played */
  positions: number
  /** positions the engine searched (each is a puzzle or a row of `analysed`) */
  searched: number
  screened: number
  confirmed: number
}

export interface Sink {
  readonly puzzle: (row: Puzzle) => void
  readonly analysed: (row: Analysed) => void
  readonly gameDone: (game: number) => void
}

/**
 * Plays and analyses the games `first ... first + count - 1` in order, giving every puzzle and every
 * other searched position to `out`. `after-mistake` plays with `player` and analyses with `analyst`
 * (two engines, so the moves played never depend on which positions were analysed);
 * `every-position` uses `player` alone.
 */
export const generate = async (
  engines: { readonly player: UciEngine; readonly analyst: UciEngine },
  p: PuzzleParams,
  signal: AbortSignal,
  out: Sink
): Promise<Tally> => {
  const tally: Tally = { positions: 0, searched: 0, screened: 0, confirmed: 0 }
  for (let g = p.first; g < p.first + p.count; g++) {
    const r = rng(p.seed, "puzzles", g)
    const game = new Game()
    randomOpening(game, r, p.openingPlies)
    const play = p.strategy === "every-position" ? everyPosition(engines.player, p, g, tally, out) : afterMistake(engines, p, g, tally, out)
    await play(game, r, signal)
    out.gameDone(g)
  }
  return tally
}

type Player = (game: Game, r: Rng, signal: AbortSignal) => Promise<void>

/** Confirms a screened candidate at full depth; a puzzle row when it passes the rule. */
const confirm = async (analyst: UciEngine, p: PuzzleParams, game: Game, fen: string, legal: ReadonlyArray<string>, g: number, fresh: boolean): Promise<Puzzle | undefined> => {
  const deep = await analyst.analyse(fen, { depth: p.depth }, 2, fresh)
  if (!judge(deep, p).keep) return undefined
  return {
    fen,
    side: game.turn(),
    legal: [...legal],
    best: deep[0]!.move,
    bestCp: value(deep[0]!.score),
    secondCp: value(deep[1]!.score),
    engine: analyst.id,
    depth: p.depth,
    game: g,
    ply: game.plies,
    phase: phase(fen),
    pieces: pieceCount(fen)
  }
}

/** The generator before `after-mistake`: every position screened (the screen picks the move), the engine reset before each. */
const everyPosition = (engine: UciEngine, p: PuzzleParams, g: number, tally: Tally, out: Sink): Player => async (game, r, signal) => {
  let kept = 0
  while (!game.isOver() && game.plies < p.maxPlies) {
    checkAborted(signal)
    const fen = game.fen()
    const legal = game.legal()
    tally.positions++
    tally.searched++
    tally.screened++
    const screen = await engine.analyse(fen, { nodes: p.screenNodes }, 2, true)
    let puzzle: Puzzle | undefined
    if (kept < p.maxPerGame && judge(screen, p, p.screenMarginCp).keep) {
      tally.confirmed++
      puzzle = await confirm(engine, p, game, fen, legal, g, true)
      if (puzzle) {
        kept++
        out.puzzle(puzzle)
      }
    }
    const best = value(screen[0]!.score)
    if (!puzzle) out.analysed({ fen, legal, move: screen[0]!.move, evalCp: best, nodes: p.screenNodes, engine: engine.id, game: g, ply: game.plies })
    if (Math.abs(best) >= p.resignCp) break
    const move = r() < p.blunderRate ? pick(r, legal) : pick(r, screen.filter((l) => value(l.score) >= best - p.windowCp)).move
    game.play(move)
  }
}

/**
 * Searches where puzzles arise. Whether a player blunders (a uniformly random move) is drawn first;
 * a position is searched (`moveNodes`) when its move is the engine's or when it follows a random
 * move. A searched position follows a mistake when the last move was random or the evaluation
 * swung by `swingCp` or more towards the side to move since the position before. One after a mistake whose two lines pass the rule loosened by `moveMarginCp` is screened
 * (`screenNodes`) by the analyst, then confirmed as `every-position` does. A game stops once it has
 * given `maxPerGame` puzzles.
 */
const afterMistake = (engines: { readonly player: UciEngine; readonly analyst: UciEngine }, p: PuzzleParams, g: number, tally: Tally, out: Sink): Player => async (game, r, signal) => {
  const { player, analyst } = engines
  await Promise.all([player.newGame(), analyst.newGame()])
  let kept = 0
  let wasRandom = true // the opening's plies were random
  let previous: number | undefined // the evaluation before the last move, from its mover's view (when searched)
  while (!game.isOver() && game.plies < p.maxPlies && kept < p.maxPerGame) {
    checkAborted(signal)
    const legal = game.legal()
    tally.positions++
    const random = r() < p.blunderRate
    if (random && !wasRandom) {
      // a random move after an engine move: no move to choose, and a swing is not looked for here
      game.play(pick(r, legal))
      wasRandom = true
      continue
    }
    const fen = game.fen()
    tally.searched++
    const lines = await player.analyse(fen, { nodes: p.moveNodes }, 2, false)
    const best = value(lines[0]!.score)
    const mistake = wasRandom || (previous !== undefined && best + previous >= p.swingCp)
    let puzzle: Puzzle | undefined
    if (mistake && judge(lines, p, p.moveMarginCp).keep) {
      tally.screened++
      const screen = await analyst.analyse(fen, { nodes: p.screenNodes }, 2, false)
      if (judge(screen, p, p.screenMarginCp).keep) {
        tally.confirmed++
        puzzle = await confirm(analyst, p, game, fen, legal, g, false)
        if (puzzle) {
          kept++
          out.puzzle(puzzle)
        }
      }
    }
    if (!puzzle) out.analysed({ fen, legal, move: lines[0]!.move, evalCp: best, nodes: p.moveNodes, engine: player.id, game: g, ply: game.plies })
    if (Math.abs(best) >= p.resignCp) break
    const move = random ? pick(r, legal) : pick(r, lines.filter((l) => value(l.score) >= best - p.windowCp)).move
    wasRandom = random
    previous = random ? undefined : best
    game.play(move)
  }
}

export const puzzles = Stage.make({
  name: "puzzles",
  version: 2,
  source: import.meta.url,
  description: "engine-confirmed positions with exactly one clearly winning move, and the other positions analysed",
  params: PuzzleParams,
  inputs: {},
  outputs: { puzzles: Puzzles, analysed: AnalysedPositions },
  // the WASM engine runs in the node's thread: a worker thread of its own, so shards run side by side
  heavy: true,
  run: ({ params: p, progress, annotate }) =>
    Effect.gen(function*() {
      if (p.openingPlies.min > p.openingPlies.max) return yield* Effect.fail(new Error(`openingPlies.min ${p.openingPlies.min} exceeds max ${p.openingPlies.max}`))
      const rows: Array<Puzzle> = []
      const analysed: Array<Analysed> = []
      const started = Date.now()
      // after-mistake plays with one engine and analyses with another, so each keeps its own state
      // through a game and the moves played never depend on which positions were analysed
      const { engineId, tally } = yield* withEngines(p.engine, p.strategy === "every-position" ? 1 : 2, async (engines, signal) => {
        const [player, analyst = player] = engines as [UciEngine, UciEngine?]
        const tally = await generate({ player: player!, analyst }, p, signal, {
          puzzle: (row) => rows.push(row),
          analysed: (row) => analysed.push(row),
          gameDone: (g) => {
            const rate = rows.length / ((Date.now() - started) / 1000)
            progress({ done: g - p.first + 1, total: p.count, unit: "games", note: `${rows.length} puzzles, ${rate.toFixed(2)} puzzles/s` })
          }
        })
        return { engineId: analyst.id, tally }
      })
      const seconds = (Date.now() - started) / 1000
      annotate({
        engine: engineId,
        strategy: p.strategy,
        positionsPlayed: tally.positions,
        positionsSearched: tally.searched,
        positionsScreened: tally.screened,
        confirmedAtDepth: tally.confirmed,
        puzzles: rows.length,
        puzzlesPerSecond: Math.round((rows.length / seconds) * 100) / 100
      })
      return { puzzles: rows, analysed }
    })
})
