/**
 * `ladder-knowledge`: what each ladder member knows before any weak label, per seed: its zero-shot
 * test accuracy (the pretrained base as it is) and a linear-probe accuracy (the base frozen, only
 * the move head trained on the student split's ground truth and stopped on ground-truth
 * validation). A student can only be elicited to know what its base holds, so a ladder in which the
 * strong members' probes are not clearly above the supervisors' accuracy gives weak-to-strong
 * generalization little room. Seed means with 95% intervals computed as `results`'s (stats.ts: t over
 * seeds; one seed: its test games).
 */
import { Effect, Schema } from "effect"
import { Artifact, Stage } from "../../src/index.ts"
import { Puzzles } from "../chess/tables.ts"
import { parameters } from "./model.ts"
import type * as M from "./model.ts"
import { replicateOf } from "./replicates.ts"
import { intervals, outcome } from "./stats.ts"
import { Model, TestCurve, TrainReport } from "./tables.ts"

const C = Artifact.Column

export const Knowledge = Artifact.table("Knowledge", {
  member: C.utf8,
  params: C.int32,
  pretrainFlops: C.float64,
  seeds: C.int32,
  accZeroShot: C.float64,
  accZeroShotLo95: C.float64,
  accZeroShotHi95: C.float64,
  accProbe: C.float64,
  accProbeLo95: C.float64,
  accProbeHi95: C.float64
})

export const ladderKnowledge = Stage.make({
  name: "ladder-knowledge",
  version: 2,
  source: import.meta.url,
  description: "zero-shot and linear-probe test accuracy of every ladder member",
  params: Schema.Struct({
    /** the member and seed of each probe, in the order of the inputs */
    /** `pretrained`: the member's base is a pretraining run shared by seeds (else it is made per seed) */
    entries: Schema.Array(Schema.Struct({ member: Schema.String, seed: Schema.Int, pretrained: Schema.Boolean })),
    /** pretraining runs: seed s used run s mod replicates (replicates.ts) */
    replicates: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
  }),
  inputs: { bases: Artifact.many(Model), curves: Artifact.many(TestCurve), reports: Artifact.many(TrainReport), tests: Artifact.many(Puzzles) },
  outputs: { members: Knowledge },
  run: ({ params, inputs }) =>
    Effect.try({
      try: () => {
        const k = params.entries.length
        for (const [name, xs] of Object.entries(inputs)) if (xs.length !== k) throw new Error(`${k} entries but ${xs.length} ${name}`)
        const members = [...new Set(params.entries.map((e) => e.member))]
        const rows = members.map((member) => {
          const idx = params.entries.flatMap((e, i) => (e.member === member ? [i] : []))
          // per seed, one bit pattern per test puzzle: zero-shot right in the "weak" bit, probe right in the "student" bit
          const seeds = idx.map((i) => {
            const test = inputs.tests[i]!
            const zero = inputs.curves[i]!.find((c) => c.epoch === 0)!.top
            const probe = inputs.curves[i]!.find((c) => c.epoch === inputs.reports[i]!.chosenEpoch)!.top
            return {
              outcomes: Uint8Array.from(test, (p, j) => {
                const truth = p.legal.indexOf(p.best)
                return outcome({ weak: zero[j] === truth, student: probe[j] === truth, ceiling: false, zero: false, agree: false })
              }),
              games: Int32Array.from(test, (p) => p.game)
            }
          })
          // the seeds of one pretraining run are one unit; an unpretrained member's seeds are each its own
          const b = intervals(seeds, { groups: idx.map((i) => (params.entries[i]!.pretrained ? replicateOf(params.entries[i]!.seed, params.replicates) : -1 - params.entries[i]!.seed)) })
          const base = inputs.bases[idx[0]!]!
          return {
            member,
            params: parameters((base.manifest as { arch: M.Architecture }).arch),
            pretrainFlops: Number((base.manifest as { totalFlops?: number }).totalFlops ?? 0),
            seeds: idx.length,
            accZeroShot: b.accWeak.est,
            accZeroShotLo95: b.accWeak.lo,
            accZeroShotHi95: b.accWeak.hi,
            accProbe: b.accStudent.est,
            accProbeLo95: b.accStudent.lo,
            accProbeHi95: b.accStudent.hi
          }
        })
        return { members: rows }
      },
      catch: (e) => e
    })
})
