/**
 * The paper's figures (Burns et al. 2023) drawn from the results' summary and the evaluations: one
 * stage per figure, so a figure re-renders only when its inputs or its style change. Points are seed
 * means at the student checkpoint that weak-labelled validation picked (no ground truth involved),
 * bars their 95% intervals as `results` computes them (stats.ts); PGR is drawn only
 * where the (ceiling - weak) interval lies above 0, and each figure names the pairs left out.
 *
 *   figure-accuracy   test accuracy vs strong student size, a line per supervisor (Fig. 3 b, chess)
 *   figure-pgr        PGR vs strong student size, a line per supervisor (Fig. 3 e, chess)
 *   figure-bootstrap  bootstrapping vs naive fine-tuning, accuracy and PGR (Fig. 4)
 *   figure-auxconf    auxiliary confidence loss vs naive, PGR (Fig. 5)
 *   figure-agreement  student-supervisor agreement when the supervisor is right / wrong (Fig. 8)
 *   figure-summary    weak, each method's student, ceiling as bars (Fig. 2)
 *   figure-epochs     PGR after each fine-tuning epoch: overfitting to weak labels (Fig. 6 style)
 *
 * This file is the index: the data shaping is in w2s/sweep.ts, the shared Vega-Lite layers in
 * w2s/layers.ts, each figure (its spec and its stage) in w2s/<name>.ts.
 */
import * as accuracy from "./w2s/accuracy.ts"
import * as agreement from "./w2s/agreement.ts"
import * as auxconf from "./w2s/auxconf.ts"
import * as bootstrap from "./w2s/bootstrap.ts"
import * as epochs from "./w2s/epochs.ts"
import * as pgr from "./w2s/pgr.ts"
import * as summary from "./w2s/summary.ts"

export { type Cell, HEADLINE, si, type Stat, summarize, type Sweep } from "./w2s/sweep.ts"

/** Each figure's Vega-Lite spec from a sweep (without the shared config). */
export const specs = {
  accuracy: accuracy.spec,
  pgr: pgr.spec,
  bootstrap: bootstrap.spec,
  auxconf: auxconf.spec,
  agreement: agreement.spec,
  summary: summary.spec,
  epochs: epochs.spec
}

export type FigureName = keyof typeof specs

/** The figure stages, one per figure (the pipeline makes a `figure-<name>` node of each). */
export const figures = {
  accuracy: accuracy.figure,
  pgr: pgr.figure,
  bootstrap: bootstrap.figure,
  auxconf: auxconf.figure,
  agreement: agreement.figure,
  summary: summary.figure,
  epochs: epochs.figure
} as const
