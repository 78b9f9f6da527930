/**
 * The pipelines this project ships. `pipelines` are the users' ones: `pipeline list` shows them and
 * `gc` keeps what their presets reach. `fixtures` exist for the test suite and `npm run bench`
 * (`toy-broken`: broken definitions; `bench-dag`: the engine's overhead; `toy-jobs`: a slow heavy
 * stage for the Slurm executor's tests; `toy-gpu`: a GPU request preflight refuses): the CLI knows them only
 * when its caller sets PIPELINE_FIXTURES=1, so they are neither listed to users nor roots of their gc.
 */
import type { Pipeline } from "../src/Pipeline.ts"
import benchDag from "./bench-dag.ts"
import toy from "./toy.ts"
import toyBroken from "./toy-broken.ts"
import toyGpu from "./toy-gpu.ts"
import toyJobs from "./toy-jobs.ts"
import w2sChess from "./w2s-chess.ts"

export const pipelines: ReadonlyArray<Pipeline> = [w2sChess, toy]

export const fixtures: ReadonlyArray<Pipeline> = [toyBroken, benchDag, toyJobs, toyGpu]
