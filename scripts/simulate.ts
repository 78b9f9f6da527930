/**
 * Synthetic test outcomes with known true accuracies, for checking what the bootstrap's intervals
 * cover: per seed, each model's accuracy is its population accuracy plus a seed effect (normal, sd
 * `seedSd`), and each puzzle's outcome is drawn from a joint law in which the student copies its
 * supervisor's outcome with probability `copy` and the ceiling copies the student's with
 * probability `copy`, so that paired differences are less noisy than the accuracies themselves.
 * Puzzles come in games (`games`): each game has 1 to `maxPerGame` puzzles (uniform), and each of
 * its puzzles repeats the game's first outcome with probability `rho` (else is drawn afresh), so the
 * marginals stay as they are and two puzzles of one game are correlated by `rho`: as a tactical
 * sequence that one model reads and another does not.
 */
import { rng } from "../stages/chess/rng.ts"
import { AGREE, CEILING, type SeedOutcomes, STUDENT, WEAK, ZERO } from "../stages/ml/stats.ts"

export interface World {
  readonly weak: number
  readonly student: number
  readonly ceiling: number
  readonly zero: number
  readonly copy: number
  readonly seedSd: number
  readonly puzzles: number
  readonly seeds: number
  /** puzzles in games; absent: every puzzle is a game of its own */
  readonly games?: { readonly maxPerGame: number; readonly rho: number } | undefined
  /** pretraining runs shared by seeds (seed k uses run k mod runs), each shifting the strong models' accuracies by its own effect (sd) */
  readonly pretraining?: { readonly runs: number; readonly sd: number } | undefined
}

/** The pretraining run of each simulated seed. */
export const runsOf = (w: World): Array<number> => Array.from({ length: w.seeds }, (_, k) => (w.pretraining ? k % w.pretraining.runs : 0))

export const truePgr = (w: World) => (w.student - w.weak) / (w.ceiling - w.weak)

const normal = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())

export const simulate = (w: World, dataset: number): Array<SeedOutcomes> => {
  const r = rng("simulate", dataset, JSON.stringify(w))
  // a run's effect moves its student, ceiling and zero-shot base together (they share the base)
  const runEffect = w.pretraining ? Array.from({ length: w.pretraining.runs }, () => w.pretraining!.sd * normal(r)) : []
  return Array.from({ length: w.seeds }, (_, k) => {
    const shift = w.pretraining ? runEffect[k % w.pretraining.runs]! : 0
    const e = () => w.seedSd * normal(r)
    // the share not copied is drawn so that each marginal is right: q = (p - copy * p_other) / (1 - copy);
    // seed effects that would need a q outside [0, 1] are drawn again (rare below a 3-point seed sd)
    let pw = 0, ps = 0, pc = 0, pz = 0, qs = -1, qc = -1
    for (let tries = 0; !(qs >= 0 && qs <= 1 && qc >= 0 && qc <= 1); tries++) {
      if (tries === 10_000) throw new Error(`no joint law gives these accuracies with copy ${w.copy}: lower it (${JSON.stringify(w)})`)
      pw = w.weak + e(), ps = w.student + shift + e(), pc = w.ceiling + shift + e(), pz = w.zero + shift + e()
      qs = (ps - w.copy * pw) / (1 - w.copy)
      qc = (pc - w.copy * ps) / (1 - w.copy)
    }
    const draw = () => {
      const wr = r() < pw
      const sr = r() < w.copy ? wr : r() < qs
      const cr = r() < w.copy ? sr : r() < qc
      const zr = r() < pz
      // agreement: a right student agrees with a right supervisor; two wrong ones agree half the time
      const agree = wr === sr && (wr || r() < 0.5)
      return (wr ? WEAK : 0) | (sr ? STUDENT : 0) | (cr ? CEILING : 0) | (zr ? ZERO : 0) | (agree ? AGREE : 0)
    }
    const outcomes = new Uint8Array(w.puzzles)
    const games = new Int32Array(w.puzzles)
    for (let i = 0, game = 0; i < w.puzzles; game++) {
      const size = w.games ? 1 + Math.floor(r() * w.games.maxPerGame) : 1
      const first = draw()
      for (let j = 0; j < size && i < w.puzzles; j++, i++) {
        outcomes[i] = j === 0 || r() < w.games!.rho ? first : draw()
        games[i] = game
      }
    }
    return { outcomes, games }
  })
}
