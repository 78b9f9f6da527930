/**
 * `toy-gpu`: `toy-jobs` whose pipeline asks a GPU for the square stage (merged over the stage's own
 * resources): a request no test cluster can meet, so `--executor slurm`'s preflight must refuse it
 * (`sbatch --test-only`) before anything is submitted.
 */
import { Pipeline } from "../src/index.ts"
import toyJobs from "./toy-jobs.ts"

export default Pipeline.make({
  ...toyJobs,
  name: "toy-gpu",
  description: "Test fixture: toy-jobs asking a GPU for its heavy stage (--executor slurm preflight)",
  resources: { "toy-square": { gpu: true } }
})
