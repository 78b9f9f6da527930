// Builds the CLI bundle once before the suite: the end-to-end tests run `bin/pipeline.cjs` as a user would.
import { execFileSync } from "node:child_process"

export default function setup() {
  execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" })
}
