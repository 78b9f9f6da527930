/**
 * `pool`: a baseline that needs no labels: the log-linear pool of a student's untouched base and its
 * supervisor (each board's move probabilities proportional to sqrt(p_base * p_supervisor)), scored
 * on the test boards as the students are. What a user gets by combining the two models without any
 * training; a student that does not beat it has not used the weak labels better than a product of
 * experts does.
 */
import { Schema } from "effect"
import { Stage } from "../../src/index.ts"
import { Boards } from "../chess/tables.ts"
import { BackendFields, boardExamples, withBackend } from "./common.ts"
import * as M from "./model.ts"
import { pool } from "./stopping.ts"
import { Model, TestCurve } from "./tables.ts"

export const poolBaseline = Stage.make({
  name: "pool",
  version: 1,
  source: import.meta.url,
  description: "the log-linear pool of a base model and a supervisor: top moves on the test boards (a label-free baseline)",
  heavy: true,
  params: Schema.Struct({ ...BackendFields }),
  inputs: { base: Model, supervisor: Model, test: Boards },
  outputs: { curve: TestCurve },
  run: ({ params: p, inputs, annotate }) =>
    withBackend(p, annotate, async (b) => {
      const boards = boardExamples(inputs.test)
      const probsOf = async (w: typeof inputs.base) => {
        const model = M.load(b.tf, w)
        const probs = await M.predict(b.tf, model, boards)
        M.dispose(model)
        return probs
      }
      const [base, supervisor] = [await probsOf(inputs.base), await probsOf(inputs.supervisor)]
      return { curve: [{ epoch: 0, top: base.map((p, i) => M.argmax(pool(p, supervisor[i]!))) }] }
    })
})
