/**
 * `noisy-labels`: the matched-noise controls. Labels with exactly the supervisor's accuracy on each set
 * (as many wrong labels as the supervisor got wrong) but with the errors placed at random: a seeded
 * choice of which puzzles are wrong, and for each a wrong legal move, drawn (`draw`) either
 * uniformly (`uniform`) or from the supervisor's own probabilities over the wrong moves
 * (`plausible`: the errors a supervisor like this one would find tempting, at random places). The two
 * draws with one seed put their errors on the same puzzles, so the students of the two controls
 * differ only in how plausible the wrong moves are, and the naive student differs from the
 * plausible control only in where the errors fall. Each soft label
 * keeps the supervisor's confidence profile: the probabilities of the supervisor's top move and of
 * the control's move are swapped, so only which move is on top changes. A student trained on these
 * shows what an equally accurate supervisor whose mistakes carry no pattern would teach; the gap to
 * the naive student is what the real supervisor's systematic errors cost (or give).
 *
 * Moves are compared as the model sees them: promotions of one pawn move share an output (the model
 * reads them all as the queen promotion), so a "wrong" label is a move with another model output than
 * the answer's, and each output is represented by its first legal move (where the model's soft
 * label puts its mass).
 *
 * This stage reads the ground truth to place the errors; the student it feeds does not (its inputs
 * are labels without answers, like every student's).
 */
import { Effect, Schema } from "effect"
import { Stage } from "../../src/index.ts"
import { rng } from "../chess/rng.ts"
import { type Puzzle, Puzzles } from "../chess/tables.ts"
import { isBlack, moveIndex } from "./encode.ts"
import { argmax } from "./model.ts"
import { WeakLabels } from "./tables.ts"

type Label = (typeof WeakLabels.rowSchema)["Type"]

/** How a control draws each wrong move: uniformly, or weighted by the supervisor's soft label. */
export type Draw = "uniform" | "plausible"

/** The control's labels for one set: the supervisor's error count, at random places. */
export const matchedNoise = (labels: ReadonlyArray<Label>, puzzles: ReadonlyArray<Puzzle>, seed: number, purpose: string, draw: Draw = "uniform"): Array<Label> => {
  if (labels.length !== puzzles.length) throw new Error(`${labels.length} labels for ${puzzles.length} puzzles`)
  const truth = new Map(puzzles.map((p) => [p.fen, p.best]))
  const best = labels.map((l) => {
    const b = truth.get(l.fen)
    if (b === undefined) throw new Error(`label for ${l.fen}, which is not among the puzzles`)
    return b
  })
  // per label: the first legal move of each model output, and the answer's output
  const outputs = labels.map((l) => {
    const black = isBlack(l.fen)
    const index = l.legal.map((m) => moveIndex(m, black))
    return { index, first: l.legal.filter((_, j) => index.indexOf(index[j]!) === j) }
  })
  const truthIndex = labels.map((l, i) => moveIndex(best[i]!, isBlack(l.fen)))
  const wrongMoves = (i: number) => outputs[i]!.first.filter((m) => moveIndex(m, isBlack(labels[i]!.fen)) !== truthIndex[i])
  // only puzzles with a wrong output to give can be wrong
  const canErr = labels.map((_, i) => wrongMoves(i).length > 0)
  const isWrong = (l: Label, i: number) => moveIndex(l.hard, isBlack(l.fen)) !== truthIndex[i]
  const errors = Math.min(labels.reduce((n, l, i) => n + (isWrong(l, i) ? 1 : 0), 0), canErr.filter(Boolean).length)
  const r = rng(seed, "matched-noise", purpose)
  const candidates = labels.map((_, i) => i).filter((i) => canErr[i])
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1))
    ;[candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!]
  }
  const wrong = new Set(candidates.slice(0, errors))
  return labels.map((l, i) => {
    const { index } = outputs[i]!
    // the target's position in `legal`: the first move of its model output
    let target = index.indexOf(truthIndex[i]!)
    if (wrong.has(i)) {
      const others = wrongMoves(i)
      // one draw per wrong puzzle either way, so both draws place their errors alike
      const u = r()
      const weights = others.map((m) => (draw === "plausible" ? Math.max(0, l.soft[l.legal.indexOf(m)]!) : 1))
      const total = weights.reduce((a, x) => a + x, 0)
      let k = 0
      if (total > 0) {
        for (let acc = weights[0]!; k < others.length - 1 && acc <= u * total; acc += weights[++k]!);
      } else k = Math.floor(u * others.length)
      target = l.legal.indexOf(others[k]!)
    }
    const soft = [...l.soft]
    const top = argmax(soft)
    ;[soft[top], soft[target]] = [soft[target]!, soft[top]!]
    return { fen: l.fen, legal: l.legal, soft, hard: l.legal[target]! }
  })
}

export const noisyLabels = Stage.make({
  name: "noisy-labels",
  version: 2,
  source: import.meta.url,
  description: "the matched-noise controls: the supervisor's accuracy, its errors at random places, wrong moves uniform or as plausible as the supervisor finds them",
  params: Schema.Struct({ seed: Schema.Int, draw: Schema.Literals(["uniform", "plausible"]) }),
  inputs: { labels: WeakLabels, puzzles: Puzzles, valLabels: WeakLabels, val: Puzzles },
  outputs: { labels: WeakLabels, valLabels: WeakLabels },
  run: ({ params, inputs, log }) =>
    Effect.try({
      try: () => {
        const labels = matchedNoise(inputs.labels, inputs.puzzles, params.seed, "train", params.draw)
        const valLabels = matchedNoise(inputs.valLabels, inputs.val, params.seed, "val", params.draw)
        const truth = new Map([...inputs.puzzles, ...inputs.val].map((p) => [p.fen, p.best]))
        const right = (ls: ReadonlyArray<Label>) => ls.filter((l) => moveIndex(l.hard, isBlack(l.fen)) === moveIndex(truth.get(l.fen)!, isBlack(l.fen))).length
        log(`control labels: ${right(labels)}/${labels.length} right (the supervisor: ${right(inputs.labels)}), as the model reads moves`)
        return { labels, valLabels }
      },
      catch: (e) => e
    })
})
