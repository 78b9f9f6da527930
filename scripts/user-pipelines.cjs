"use strict"
// Pipelines from a user's own files, for the launcher (bin/pipeline.cjs).
// `find` says which files: a pipeline argument that names a script file (`./my-pipeline.ts`,
// `my.ts#name`), else a project found from the working directory upwards: a `pipelines.ts` (or .mts,
// .js, .mjs) file, or a `pipelines/` folder of such files, in the first directory that has one,
// stopping at the first directory with a package.json. This package's own checkout (or any copy of
// it: a package.json of this package's name) is not a user project: there the CLI runs its own bundle.
// `bundle` bundles those files with the engine into one CommonJS file, as scripts/build.mjs bundles
// the CLI (one copy of the engine and of effect, so stages register where workers look them up),
// kept under node_modules/.cache/w2s-pipeline/ (or the temp folder) and rebuilt only when a file or
// bundled package it was built from changes. A syntax error or an unresolvable import is an error
// naming file:line:column; with `typescript` installed in the user's project (and
// PIPELINE_TYPECHECK not 0), a rebuild is also type-checked with its tsc, and a type error is an
// error naming file:line:column too. Such errors carry `usage: true` (exit 2).
// `find` runs on every call of the CLI: it needs only fs and path; the rest loads when bundling.
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } = require("node:fs")
const { dirname, join, relative, resolve, sep } = require("node:path")
const createHash = (algorithm) => require("node:crypto").createHash(algorithm)

const SCRIPT = /\.[cm]?[jt]s$/
const FILE_ARG = /^(.*\.[cm]?[jt]s)(?:#[^#/]+)?$/
// Flags whose value is the next argument: it is never a pipeline.
const VALUED = new Set([
  "--cache-dir", "--log-level", "--preset", "--set", "--params", "--jobs", "--force", "--out", "--format", "--output",
  "--executor", "--slurm-partition", "--slurm-arg", "--grace", "--keep-runs"
])

const isFile = (p) => {
  try {
    return statSync(p).isFile()
  } catch {
    return false
  }
}
const isDir = (p) => {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

/**
 * The user's pipeline files for this command line, `{ files: [absolute paths], project }`, or
 * undefined for the CLI's own pipelines. PIPELINE_FILES (set by a parent run: a Slurm job's
 * exec-node) names them explicitly.
 */
exports.find = (argv, cwd, root, env = process.env) => {
  if (env.PIPELINE_FILES) return { files: env.PIPELINE_FILES.split("\n").filter(Boolean), project: undefined }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a.startsWith("-")) {
      if (VALUED.has(a)) i++
      continue
    }
    const m = FILE_ARG.exec(a)
    if (m && isFile(resolve(cwd, m[1]))) return { files: [resolve(cwd, m[1])], project: undefined }
  }
  const nameAt = (dir) => {
    try {
      return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name
    } catch {
      return undefined
    }
  }
  for (let dir = cwd; ;) {
    if (dir === root) return undefined
    // a checkout or copy of this package (a test's, a benchmark's baseline) is not a user project
    if (isFile(join(dir, "package.json")) && nameAt(dir) === nameAt(root)) return undefined
    for (const name of ["pipelines.ts", "pipelines.mts", "pipelines.js", "pipelines.mjs"]) {
      if (isFile(join(dir, name))) return { files: [join(dir, name)], project: dir }
    }
    const folder = join(dir, "pipelines")
    if (isDir(folder)) {
      const files = readdirSync(folder).filter((f) => SCRIPT.test(f) && !/\.d\.[cm]?ts$|\.test\./.test(f)).sort()
      if (files.length) return { files: files.map((f) => join(folder, f)), project: dir }
    }
    const up = dirname(dir)
    if (isFile(join(dir, "package.json")) || up === dir) return undefined
    dir = up
  }
}

const sha256 = (x) => createHash("sha256").update(x).digest("hex")

/** Where user bundles are kept: the nearest node_modules/.cache above the files, else the temp folder. */
const cacheFolder = (from) => {
  for (let dir = from; ;) {
    if (isDir(join(dir, "node_modules"))) return join(dir, "node_modules", ".cache", "w2s-pipeline")
    const up = dirname(dir)
    if (up === dir) return join(require("node:os").tmpdir(), `w2s-pipeline-${process.getuid?.() ?? "user"}`)
    dir = up
  }
}

/** The root folder of the package a path lies in (below its last node_modules), or undefined. */
const packageRoot = (file) => {
  const i = file.lastIndexOf(`${sep}node_modules${sep}`)
  if (i < 0) return undefined
  const rest = file.slice(i + 14).split(sep)
  return file.slice(0, i + 14) + rest.slice(0, rest[0].startsWith("@") ? 2 : 1).join(sep)
}

const versionAt = (pkgRoot) => {
  try {
    return String(JSON.parse(readFileSync(join(pkgRoot, "package.json"), "utf8")).version)
  } catch {
    return "absent"
  }
}

/** The digest of what a bundle was built from: files by content, packages by installed version. */
const digestOf = (files, packages) => {
  const h = createHash("sha256")
  for (const f of files) {
    let text
    try {
      text = readFileSync(f)
    } catch {
      text = Buffer.from("\0absent")
    }
    h.update(`file ${f} ${text.length}\n`).update(text)
  }
  for (const p of packages) h.update(`pkg ${p}@${versionAt(p)}\n`)
  return h.digest("hex")
}

const writeAtomic = (file, data) => {
  writeFileSync(`${file}.${process.pid}.tmp`, data)
  renameSync(`${file}.${process.pid}.tmp`, file)
}

/** An error the launcher prints as one line and answers with exit 2. */
const usage = (message) => Object.assign(new Error(message), { usage: true })

const shown = (file) => {
  const rel = relative(process.cwd(), file)
  return rel.startsWith("..") ? file : rel
}

/**
 * Type-checks `files` with the tsc of the user's project, when it has one. Only errors in `mine` (the
 * user's own files of the bundle) count; the first is thrown naming file:line:column.
 */
const typecheck = (files, mine, from) => {
  if (process.env.PIPELINE_TYPECHECK === "0") return
  let tsc
  try {
    tsc = require.resolve("typescript/bin/tsc", { paths: [from] })
  } catch {
    return // no TypeScript installed here: esbuild only strips types
  }
  let config
  for (let dir = from; ;) {
    if (isFile(join(dir, "tsconfig.json"))) config = join(dir, "tsconfig.json")
    const up = dirname(dir)
    if (config || isFile(join(dir, "package.json")) || up === dir) break
    dir = up
  }
  const options = config
    ? ["-p", config]
    : ["--strict", "--skipLibCheck", "--target", "es2022", "--module", "preserve", "--moduleResolution", "bundler", "--allowImportingTsExtensions", ...files]
  const r = require("node:child_process").spawnSync(process.execPath, [tsc, "--noEmit", "--pretty", "false", ...options], { cwd: from, encoding: "utf8", maxBuffer: 64 * 2 ** 20 })
  if (r.status === 0) return
  const wanted = new Set(mine)
  const errors = []
  for (const line of `${r.stdout}\n${r.stderr}`.split("\n")) {
    const m = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line)
    if (m && wanted.has(resolve(from, m[1]))) errors.push(`${shown(resolve(from, m[1]))}:${m[2]}:${m[3]}: type error ${m[4]}: ${m[5]}`)
  }
  if (errors.length) {
    throw usage(`${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more type error${errors.length > 2 ? "s" : ""}; PIPELINE_TYPECHECK=0 skips the check)` : ""}`)
  }
}

/**
 * The CommonJS bundle of `sources` (from `find`) with the engine at `root`: reused when what it was
 * built from is unchanged, else built (and type-checked). Returns its absolute path.
 */
exports.bundle = async ({ files, project }, root) => {
  const Module = require("node:module")
  const { pathToFileURL } = require("node:url")
  const from = project ?? dirname(files[0])
  const base = cacheFolder(from)
  const pointerFile = join(base, `user-${sha256(files.join("\n")).slice(0, 16)}.json`)
  try {
    const p = JSON.parse(readFileSync(pointerFile, "utf8"))
    if (p.root === root && existsSync(join(base, p.bundle)) && digestOf(p.files, p.packages) === p.digest) return join(base, p.bundle)
  } catch {
    // no pointer yet, or unreadable: build
  }
  const esbuild = require("esbuild")
  const engineOwn = (f) => f.startsWith(root + sep) && !f.startsWith(join(root, "node_modules") + sep)
  const userOwn = (f) => engineOwn(f) || !f.includes(`${sep}node_modules${sep}`)
  const loaded = new Set()
  const keepModuleUrls = {
    name: "keep-module-urls",
    setup(build) {
      build.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
        if (!userOwn(args.path)) return undefined
        loaded.add(args.path)
        const text = readFileSync(args.path, "utf8").replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href))
        return { contents: text, loader: /\.[cm]?ts$/.test(args.path) ? "ts" : "js" }
      })
    }
  }
  const resolver = {
    name: "user-resolve",
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === "engine" || args.kind === "entry-point") return undefined
        if (args.path.startsWith("node:") || Module.isBuiltin(args.path)) return { path: args.path, external: true }
        if (args.path === "w2s-pipeline") return { path: join(root, "src", "index.ts") }
        // One copy of effect, the engine's, whatever the user's project resolves.
        if (/^(effect|@effect\/)/.test(args.path)) {
          const r = await build.resolve(args.path, { resolveDir: root, kind: args.kind, pluginData: "engine" })
          return r.errors.length ? undefined : { path: r.path }
        }
        // As scripts/build.mjs: ES-module-only packages are bundled (the bundle may not import()).
        if (/^(chessops|@badrap\/result|hyparquet-writer|hyparquet)/.test(args.path)) return undefined
        // Others load from node_modules at run time, resolved now from the importing file.
        try {
          return { path: Module.createRequire(join(args.resolveDir, "x.js")).resolve(args.path), external: true }
        } catch {
          return undefined // esbuild reports it with the importing file and line
        }
      })
    }
  }
  const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version
  const q = (x) => JSON.stringify(x)
  const entry = [
    `import { isMainThread, parentPort, workerData } from "node:worker_threads"`,
    `import { main } from ${q(join(root, "src", "cli", "main.ts"))}`,
    `import { pipelinesOf } from ${q(join(root, "src", "cli", "userPipelines.ts"))}`,
    `import { serveWorker } from ${q(join(root, "src", "Workers.ts"))}`,
    ...files.map((f, i) => `import * as m${i} from ${q(f)}`),
    `if (isMainThread) {`,
    `  const loaded = pipelinesOf([${files.map((f, i) => `{ file: ${q(f)}, module: m${i} }`).join(", ")}])`,
    `  main(loaded.pipelines, { version: ${q(version)}, workerEntry: new URL(import.meta.url), files: loaded.files })`,
    `} else void serveWorker(workerData, (m) => parentPort.postMessage(m))`
  ].join("\n")
  let result
  try {
    result = await esbuild.build({
      stdin: { contents: entry, resolveDir: root, sourcefile: "user-pipelines-entry.ts", loader: "ts" },
      absWorkingDir: root,
      bundle: true,
      write: false,
      outfile: join(base, "user.cjs"),
      metafile: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      supported: { "dynamic-import": false },
      define: { "import.meta.url": "__importMetaUrl" },
      banner: { js: "var __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
      minifyWhitespace: true,
      minifySyntax: true,
      logLevel: "silent",
      plugins: [keepModuleUrls, resolver]
    })
  } catch (e) {
    const first = e.errors?.[0]
    if (!first) throw e
    const where = first.location ? `${shown(resolve(root, first.location.file))}:${first.location.line}:${first.location.column + 1}: ` : ""
    const more = e.errors.length > 1 ? ` (and ${e.errors.length - 1} more error${e.errors.length > 2 ? "s" : ""})` : ""
    throw usage(`${where}${first.text}${more}`)
  }
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith("<stdin>")).map((f) => resolve(root, f))
  typecheck(files, inputs.filter((f) => !engineOwn(f) && !f.includes(`${sep}node_modules${sep}`)), from)
  const own = [...new Set([...inputs.filter((f) => loaded.has(f) || userOwn(f)), ...files])].sort()
  const packages = [...new Set(inputs.map(packageRoot).filter((p) => p !== undefined))].sort()
  const digest = digestOf(own, packages)
  const bundle = `user-${digest.slice(0, 16)}.cjs`
  mkdirSync(base, { recursive: true })
  if (!existsSync(join(base, bundle))) writeAtomic(join(base, bundle), result.outputFiles[0].contents)
  writeAtomic(pointerFile, JSON.stringify({ root, bundle, digest, files: own, packages }, null, 1) + "\n")
  return join(base, bundle)
}
