// Bundles the CLI (bin/pipeline.ts: engine + pipelines + stages + effect) into a CommonJS file
// dist/pipeline-<hash>.cjs, named in dist/pipeline.current with what it was built from (see
// scripts/bundle-inputs.cjs); the launcher (bin/pipeline.cjs) runs it with a V8 code cache, which
// halves start-up on Node 20 (no compile cache for ES modules there).
// The TypeScript scripts (label check, benchmarks) are bundled as ES modules next to it.
// Third-party packages other than effect (and the ES-module-only chessops and hyparquet-writer)
// stay external and load from node_modules when first used, so heavy ones (TensorFlow.js, Arrow)
// cost nothing until a node needs them. Each project module keeps its own
// import.meta.url, which code fingerprints rely on. PIPELINE_BUILD_READABLE=1 keeps line breaks (for
// profiles that attribute time to lines).
import * as esbuild from "esbuild"
import { spawnSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { basename, dirname, join, relative, sep } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const { digest, packageOf } = createRequire(import.meta.url)("./bundle-inputs.cjs")

// The text of each project file as it was bundled: the digest of the bundle's inputs is taken from
// it, so an edit made while the build runs makes the result stale at once.
const bundled = new Map()

const keepModuleUrls = {
  name: "keep-module-urls",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const rel = relative(root, args.path).split(sep).join("/")
      if (rel.startsWith("node_modules")) return undefined
      const bytes = await readFile(args.path)
      bundled.set(rel, bytes)
      const text = bytes.toString("utf8")
      // Entries keep the bundle's own URL: worker threads start from it.
      if (rel.startsWith("bin") || rel.startsWith("scripts")) return { contents: text, loader: "ts" }
      return { contents: text.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)), loader: "ts" }
    })
  }
}

const external = {
  name: "external-packages",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (/^(effect|@effect\/|chessops|@badrap\/result|hyparquet-writer|hyparquet)/.test(args.path)) return undefined
      return { path: args.path, external: true }
    })
  }
}

const common = {
  absWorkingDir: root,
  outdir: "dist",
  entryNames: "[name]-[hash]",
  metafile: true,
  bundle: true,
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  minifyWhitespace: !process.env.PIPELINE_BUILD_READABLE,
  minifySyntax: true,
  logLevel: "warning",
  plugins: [keepModuleUrls, external]
}

const entryOutput = (result) => basename(Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint)[0])

const writeAtomic = async (file, text) => {
  await writeFile(`${file}.tmp`, text)
  await rename(`${file}.tmp`, file)
}

// The launcher's V8 code cache holds the functions compiled by the run that wrote it, so the first
// run after a build decides how much later runs compile again (`--help` would leave the whole run
// path out). The build writes it from a no-op run of a small bench-dag, the engine's path that is
// most sensitive to start-up; a failure here only leaves the cache to the first real run.
const warmCodeCache = async (bundle) => {
  if (existsSync(join(root, "dist", `${bundle}.v8cache`))) return
  let store
  try {
    store = await mkdtemp(join(tmpdir(), "w2s-warm-"))
    const cli = (env) =>
      spawnSync(process.execPath, [join(root, "bin", "pipeline.cjs"), "run", "bench-dag", "--set", "nodes=4", "--cache-dir", store], {
        stdio: "ignore",
        // the bundle was just built: the child must not check sources and build again
        env: { ...process.env, PIPELINE_NO_REBUILD: "1", PIPELINE_FIXTURES: "1", ...env },
        timeout: 60_000
      })
    if (cli({ PIPELINE_CODE_CACHE: "off" }).status === 0) cli({})
  } catch {
    // no temp folder or no child process here: the first real run writes the cache
  } finally {
    if (store) await rm(store, { recursive: true, force: true }).catch(() => {})
  }
}

// Bundles are content-hashed (dist/pipeline-<hash>.cjs) and a pointer names the current one. A
// running pipeline starts its worker threads from its own hashed file, so a rebuild while it runs
// (after an edit) cannot hand its workers different code.
export const build = async () => {
  const buildScript = await readFile(join(root, "scripts", "build.mjs"))
  const cli = await esbuild.build({
    ...common,
    entryPoints: { pipeline: "bin/pipeline.ts" },
    format: "cjs",
    outExtension: { ".js": ".cjs" },
    // Lazy loads become require() calls: V8 drops the dynamic-import callback of functions restored
    // from a code cache, so the bundle must not use import() (hence ESM-only packages are bundled).
    supported: { "dynamic-import": false },
    define: { "import.meta.url": "__importMetaUrl" },
    banner: { js: "var __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" }
  })
  const cliContents = new Map(bundled) // before the scripts' build reads the shared files again
  const scripts = await esbuild.build({
    ...common,
    entryPoints: {
      "check-labels": "scripts/check-labels.ts",
      "bench-data": "scripts/bench-data.ts",
      "bench-train": "scripts/bench-train.ts",
      coverage: "scripts/coverage.ts",
      families: "scripts/families.ts",
      "dial-trend": "scripts/dial-trend.ts",
      "val-score": "scripts/val-score.ts"
    },
    format: "esm",
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" }
  })
  // The engine as a library (package.json `exports`: `import { Stage } from "w2s-pipeline"` in a
  // user's own scripts and tests): one ES module, every package external, so it shares the user's
  // effect. The CLI does not use it: it bundles a user's pipelines with the engine's sources.
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: { index: "src/index.ts" },
    outdir: "dist/lib",
    bundle: true,
    packages: "external",
    platform: "node",
    target: "node20",
    format: "esm",
    logLevel: "warning"
  })
  const current = new Set([entryOutput(cli)])
  // What the launcher checks: the project files in the bundle (and this script), the bundled packages.
  const inputs = Object.keys(cli.metafile.inputs)
  const files = [...inputs.filter((f) => packageOf(f) === undefined), "scripts/build.mjs"].sort()
  const packages = [...new Set(inputs.map(packageOf).filter((p) => p !== undefined))].sort()
  const contents = (f) => (f === "scripts/build.mjs" ? buildScript : cliContents.get(f) ?? readFileSync(join(root, f)))
  const pointer = { bundle: entryOutput(cli), digest: digest(root, files, packages, contents), files, packages }
  await writeAtomic(join(root, "dist", "pipeline.current"), JSON.stringify(pointer, null, 1) + "\n")
  for (const [file, o] of Object.entries(scripts.metafile.outputs)) {
    if (!o.entryPoint) continue
    const name = basename(file)
    current.add(name)
    await writeAtomic(join(root, "dist", name.replace(/-[A-Z0-9]+\.js$/, ".js")), `import "./${name}"\n`)
  }
  await warmCodeCache(entryOutput(cli))
  // Old bundles (and their code caches) go after a day: long enough for any run that started from them.
  const day = Date.now() - 24 * 3600 * 1000
  for (const f of await readdir(join(root, "dist"))) {
    const m = /^(.*-[A-Z0-9]+\.c?js)(\.map|\.v8cache)?$/.exec(f)
    if (m && !current.has(m[1]) && (await stat(join(root, "dist", f))).mtimeMs < day) await rm(join(root, "dist", f))
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await build()
