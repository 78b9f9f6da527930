"use strict"
// The newest modification time (ms) of the TypeScript sources the CLI bundle is built from. The build
// records it in dist/pipeline.current; the launcher rebuilds when a source is newer than that record
// (not newer than the pointer file: a source stamped in the future would then rebuild on every call).
const { existsSync, readdirSync, statSync } = require("node:fs")
const { join } = require("node:path")

exports.newestSource = (root) => {
  let newest = 0
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith(".ts")) newest = Math.max(newest, statSync(p).mtimeMs)
    }
  }
  for (const d of ["src", "stages", "pipelines", "bin"]) if (existsSync(join(root, d))) walk(join(root, d))
  return newest
}
