/** PGR after each fine-tuning epoch, with the epochs each stopping rule picked (overfitting to weak labels). */
import { type Spec, byMethod, methodDash, unreadableNote, pgrY, zeroRule, titled } from "./layers.ts"
import type { Sweep } from "./sweep.ts"
import { figureStage } from "./stage.ts"

export const spec = (sweep: Sweep): Spec => {
  const cells = sweep.cells.filter((c) => (c.method === "naive" || c.method === "auxconf") && c.pgr !== null)
  const values = cells.flatMap((c) =>
    c.pgrByEpoch.flatMap((p, e) => (p === null ? [] : [{ epoch: c.epochs[e] ?? e, y: p, pair: c.pair, method: c.method }]))
  )
  const RULES = {
    "weak-val": "picked by weak-labelled validation",
    disagreement: "picked by confident disagreement",
    "pool-agreement": "picked by agreement with the base-supervisor pool",
    "oracle-test": "best on test (oracle)"
  }
  const picks = cells.flatMap((c) =>
    c.picked.flatMap((p) => {
      const y = c.pgrByEpoch[p.index]
      return y == null ? [] : [{ epoch: c.epochs[p.index]!, y, pair: c.pair, method: c.method, rule: RULES[p.rule] }]
    })
  )
  const methods = byMethod(values.map((v) => v.method))
  const x = { field: "epoch", type: "quantitative", title: "fine-tuning epochs (0 = the pretrained base; checkpoints inside the first)" }
  return {
    title: titled("PGR after each epoch of fine-tuning on weak labels", [
      "A curve that falls with epochs means the student is learning its supervisor's mistakes.",
      "Triangles, diamonds, crosses: the checkpoints three label-free stopping rules picked (no ground truth);",
      "squares: the best test checkpoint, an oracle no real user has. One mark per seed.",
      ...unreadableNote(sweep),
      `Seed means over ${sweep.seeds} seed${sweep.seeds === 1 ? "" : "s"}; ~${sweep.n} test puzzles per seed.`
    ]),
    layer: [
      zeroRule,
      {
        data: { values },
        mark: { type: "line", point: { filled: true, size: 30 }, strokeWidth: 2 },
        encoding: {
          x,
          y: { field: "y", ...pgrY },
          color: { field: "pair", type: "nominal", title: "supervisor → student" },
          strokeDash: methodDash(methods)
        }
      },
      {
        data: { values: picks },
        mark: { type: "point", filled: false, size: 140, strokeWidth: 2 },
        encoding: {
          x,
          y: { field: "y", type: "quantitative" },
          color: { field: "pair", type: "nominal" },
          shape: { field: "rule", type: "nominal", title: "checkpoint", scale: { domain: Object.values(RULES), range: ["triangle-up", "diamond", "cross", "square"] } }
        }
      }
    ]
  }
}

export const figure = figureStage("epochs", "PGR per fine-tuning epoch", spec, import.meta.url)
