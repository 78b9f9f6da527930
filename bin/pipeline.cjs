#!/usr/bin/env node
"use strict"
// Launcher for the `pipeline` CLI (CommonJS: Node starts a CommonJS entry without its ES-module
// loader, which saves a noticeable share of a no-op run). It rebuilds the bundle when a source file
// is newer than it (so edits to pipelines and stages take effect on the next call), then runs it
// with a V8 code cache kept next to the bundle (written by the build, see scripts/build.mjs, or else
// by the first run of each build; start-up takes about half as long with it).
// PIPELINE_CODE_CACHE=off: do not write a missing cache. PIPELINE_NO_REBUILD=1: no source check.
const { readFileSync, renameSync, writeFileSync } = require("node:fs")
const Module = require("node:module")
const { dirname, join } = require("node:path")
const { pathToFileURL } = require("node:url")
const vm = require("node:vm")

const root = join(__dirname, "..")
const pointer = join(root, "dist", "pipeline.current")

const start = (bundle) => {
  const file = join(root, "dist", bundle)
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

// dist/pipeline.current: the current bundle's file name, then the newest source time it was built from.
const current = () => {
  try {
    const [bundle, builtFrom] = readFileSync(pointer, "utf8").split("\n")
    return bundle ? { bundle: bundle.trim(), builtFrom: Number(builtFrom) || 0 } : undefined
  } catch {
    return undefined
  }
}

// Fresh: built from sources no newer than now. A source dated in the future (clock skew) would hide
// later edits, so then every call rebuilds, as `make` would, and says why.
const fresh = (built) => {
  if (process.env.PIPELINE_NO_REBUILD === "1") return true // the build's own code-cache run
  if (built.builtFrom > Date.now()) {
    process.stderr.write("warning: a source file is dated in the future (clock skew?); the CLI is rebuilt on every call until it is not\n")
    return false
  }
  return !(require("../scripts/sources.cjs").newestSource(root) > built.builtFrom)
}

const built = current()
if (built && fresh(built)) {
  start(built.bundle)
} else {
  import(pathToFileURL(join(root, "scripts", "build.mjs")).href)
    .then(({ build }) => build())
    .then(() => start(current().bundle), (e) => {
      process.stderr.write(`error: could not build the CLI: ${e?.message ?? e}\n`)
      process.exitCode = 2
    })
}
