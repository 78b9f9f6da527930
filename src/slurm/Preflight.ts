/**
 * What `--executor slurm` checks before anything is submitted, each failure one line and exit 2
 * (`UsageError`): Slurm's commands are on PATH and the controller answers; sbatch accepts the flags
 * every job gets (partition, `--slurm-arg`); and sbatch accepts every stage's resources that the
 * graph would submit with (`sbatch --test-only`: an impossible gres or memory request is refused
 * here, naming the stage, not hours into a run).
 */
import { Effect } from "effect"
import { UsageError } from "../Errors.ts"
import type { Graph } from "../Pipeline.ts"
import { SlurmClient } from "./Client.ts"
import { onPath } from "./Sweep.ts"
import { resourcesOf, runsRemotely, sbatchArgs, type SubmitOptions } from "./Jobs.ts"

/** Fails when Slurm cannot be used from here: a command not on PATH, or a controller that does not answer. */
export const checkSlurm = Effect.gen(function*() {
  for (const cmd of ["sbatch", "squeue", "scontrol", "scancel"]) {
    if (!onPath(cmd)) return yield* Effect.fail(new UsageError({ message: `--executor slurm: ${cmd} is not on PATH (is Slurm installed on this machine?)` }))
  }
  yield* SlurmClient.use((c) => c.ping).pipe(
    Effect.mapError((e) => new UsageError({ message: `--executor slurm: the Slurm controller does not answer (scontrol ping: ${e.detail})` }))
  )
})

/** Fails when `sbatch --test-only` refuses `flags`; `what` names what asked for them. */
export const checkFlags = (flags: ReadonlyArray<string>, what = `the job flags ${flags.join(" ")}`) =>
  SlurmClient.use((c) => c.testOnly(flags)).pipe(
    Effect.mapError((e) => new UsageError({ message: `--executor slurm: sbatch refuses ${what} (${e.detail})` }))
  )

/** The whole preflight for a run of `graph`: Slurm answers, then `checkResources`. */
export const preflight = (graph: Graph, options: SubmitOptions) => Effect.andThen(checkSlurm, checkResources(graph, options))

/**
 * sbatch accepts the job flags, and each remote stage's job (its merged resources with the job
 * flags), checked once per distinct request.
 */
export const checkResources = (graph: Graph, options: SubmitOptions) =>
  Effect.gen(function*() {
    const base = [...(options.partition !== undefined ? [`--partition=${options.partition}`] : []), ...options.extra]
    if (base.length > 0) yield* checkFlags(base)
    const checked = new Set<string>()
    for (const node of graph.nodes) {
      const resources = resourcesOf(node.stage, options)
      if (!runsRemotely(node.stage, resources)) continue
      const flags = sbatchArgs(resources, { name: "w2s-preflight", output: "/dev/null", workdir: process.cwd() }, options)
        .filter((f) => f !== "--parsable" && !f.startsWith("--output=") && !f.startsWith("--chdir="))
      const text = flags.join(" ")
      if (checked.has(text)) continue
      checked.add(text)
      yield* checkFlags(flags, `stage ${node.stage.name}'s job (${flags.filter((f) => /^--(cpus-per-task|mem|gres)=/.test(f)).join(" ")})`)
    }
  })
