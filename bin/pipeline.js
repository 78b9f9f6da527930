#!/usr/bin/env node
// Launcher for the `pipeline` CLI: rebuilds the bundle when a source file is newer than it (so edits
// to pipelines and stages take effect on the next call), then runs it with a V8 code cache kept next
// to the bundle (written on the first run of each build; start-up takes about half as long with it).
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs"
import Module, { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import vm from "node:vm"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const pointer = join(root, "dist", "pipeline.current")

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

if (!existsSync(pointer) || statSync(pointer).mtimeMs < newestSource()) {
  const { build } = await import(pathToFileURL(join(root, "scripts", "build.mjs")).href)
  await build()
}

const file = join(root, "dist", readFileSync(pointer, "utf8").trim())
const cachePath = `${file}.v8cache`
let cachedData
try {
  cachedData = readFileSync(cachePath)
} catch {
  cachedData = undefined
}
const script = new vm.Script(Module.wrap(readFileSync(file, "utf8")), {
  filename: file,
  cachedData,
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER
})
if (cachedData === undefined || script.cachedDataRejected) {
  // At exit the cache also holds the functions this run compiled lazily.
  process.once("exit", () => {
    try {
      writeFileSync(`${cachePath}.${process.pid}`, script.createCachedData())
      renameSync(`${cachePath}.${process.pid}`, cachePath)
    } catch {
      // a cache is an optimisation: a read-only install runs without one
    }
  })
}
const module = { exports: {} }
script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, dirname(file))
