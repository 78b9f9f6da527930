#!/usr/bin/env node
"use strict"
// Launcher for the `pipeline` CLI (CommonJS: Node starts a CommonJS entry without its ES-module
// loader, which saves a noticeable share of a no-op run). It rebuilds the bundle when a source file
// is newer than it (so edits to pipelines and stages take effect on the next call), then runs it
// with a V8 code cache kept next to the bundle (written by the build, see scripts/build.mjs, or else
// by the first run of each build; start-up takes about half as long with it).
// PIPELINE_CODE_CACHE=off: do not write a missing cache.
const { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } = require("node:fs")
const Module = require("node:module")
const { dirname, join } = require("node:path")
const { pathToFileURL } = require("node:url")
const vm = require("node:vm")

const root = join(__dirname, "..")
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

const start = () => {
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
  if ((cachedData === undefined || script.cachedDataRejected) && process.env.PIPELINE_CODE_CACHE !== "off") {
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
  script.runInThisContext().call(module.exports, module.exports, Module.createRequire(file), module, file, dirname(file))
}

if (!existsSync(pointer) || statSync(pointer).mtimeMs < newestSource()) {
  import(pathToFileURL(join(root, "scripts", "build.mjs")).href)
    .then(({ build }) => build())
    .then(start, (e) => {
      process.stderr.write(`error: could not build the CLI: ${e?.message ?? e}\n`)
      process.exitCode = 2
    })
} else {
  start()
}
