#!/usr/bin/env node
"use strict"
// Launcher for the `pipeline` CLI (CommonJS: Node starts a CommonJS entry without its ES-module
// loader, which saves a noticeable share of a no-op run). It runs the bundle named in
// dist/pipeline.current when the files and packages that bundle was built from are unchanged, by
// content (scripts/bundle-inputs.cjs); otherwise it rebuilds first, and if the rebuild fails it
// stops with the reason rather than run code its sources no longer say. The bundle runs with a V8
// code cache kept next to it (written by the build, see scripts/build.mjs, or else by the first run
// of each build; start-up takes about half as long with it).
// PIPELINE_CODE_CACHE=off: do not write a missing cache. PIPELINE_NO_REBUILD=1: no check (the
// build's own code-cache run, which must not start another build).
const { readFileSync, renameSync, writeFileSync } = require("node:fs")
const Module = require("node:module")
const { dirname, join } = require("node:path")
const { pathToFileURL } = require("node:url")
const vm = require("node:vm")

const root = join(__dirname, "..")
const pointer = join(root, "dist", "pipeline.current")

const start = (bundle) => {
  const file = join(root, "dist", bundle)
  startFile(file)
}

const startFile = (file) => {
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

// dist/pipeline.current: { bundle, digest, files, packages } as the build wrote it.
const current = () => {
  try {
    const p = JSON.parse(readFileSync(pointer, "utf8"))
    return typeof p.bundle === "string" && typeof p.digest === "string" ? p : undefined
  } catch {
    return undefined
  }
}

const fresh = (built) =>
  process.env.PIPELINE_NO_REBUILD === "1" ||
  require("../scripts/bundle-inputs.cjs").digest(root, built.files, built.packages) === built.digest

// A user's pipeline files (`pipeline run ./my-pipeline.ts`, or a project's pipelines found from the
// working directory) run from a bundle of their own with the engine (scripts/user-pipelines.cjs).
const userPipelines = require("../scripts/user-pipelines.cjs")
const user = userPipelines.find(process.argv.slice(2), process.cwd(), require("node:fs").realpathSync(root))
const built = user ? undefined : current()
if (user) {
  // exec-node in a Slurm job, started from this run's environment, loads the same files
  process.env.PIPELINE_FILES = user.files.join("\n")
  userPipelines.bundle(user, root).then((file) => {
    try {
      startFile(file)
    } catch (e) {
      process.stderr.write(`error: loading ${user.files.join(", ")} failed: ${String(e?.message ?? e).split("\n")[0]}\n`)
      if (process.argv.includes("--verbose")) process.stderr.write(`${e?.stack ?? e}\n`)
      process.exitCode = 2
    }
  }, (e) => {
    process.stderr.write(e?.usage ? `error: ${e.message}\n` : `error: bundling ${user.files.join(", ")} failed: ${String(e?.message ?? e).replace(/:?\n+/g, ": ")}\n`)
    process.exitCode = 2
  })
} else if (built && fresh(built)) {
  start(built.bundle)
} else {
  import(pathToFileURL(join(root, "scripts", "build.mjs")).href)
    .then(({ build }) => build())
    .then(() => start(current().bundle), (e) => {
      const why = built ? "is out of date with its sources or bundled packages" : "is not built"
      process.stderr.write(`error: the CLI bundle (dist/) ${why}, and building it failed: ${String(e?.message ?? e).replace(/:?\n+/g, ": ")}\nrebuild with npm run build\n`)
      process.exitCode = 2
    })
}
