#!/usr/bin/env node
// Launcher for the `pipeline` CLI: rebuilds the bundle when a source file is newer than it (so edits
// to pipelines and stages take effect on the next call), then runs it.
import { existsSync, readdirSync, statSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const bundle = join(root, "dist", "pipeline.js")

const newestSource = () => {
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

if (!existsSync(bundle) || statSync(bundle).mtimeMs < newestSource()) {
  const { build } = await import(pathToFileURL(join(root, "scripts", "build.mjs")).href)
  await build()
}
await import(pathToFileURL(bundle).href)
