// Bundles the CLI (bin/pipeline.ts: engine + pipelines + stages + effect) into dist/pipeline.js, and
// the TypeScript scripts (label check, data benchmark) next to it.
// Third-party packages other than effect stay external and load from node_modules when first used,
// so heavy ones (TensorFlow.js, Stockfish, Arrow) cost nothing until a node needs them.
// Each project module keeps its own import.meta.url, which code fingerprints rely on.
import * as esbuild from "esbuild"
import { readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises"
import { basename, dirname, join, relative } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")

const keepModuleUrls = {
  name: "keep-module-urls",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const rel = relative(root, args.path)
      // Entries keep the bundle's own URL: worker threads start from it.
      if (rel.startsWith("node_modules") || rel.startsWith("bin") || rel.startsWith("scripts")) return undefined
      const text = await readFile(args.path, "utf8")
      return { contents: text.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)), loader: "ts" }
    })
  }
}

const external = {
  name: "external-packages",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path === "effect" || args.path.startsWith("effect/") || args.path.startsWith("@effect/")) return undefined
      return { path: args.path, external: true }
    })
  }
}

// Each build writes content-hashed bundles (dist/pipeline-<hash>.js) and points a small stub
// (dist/pipeline.js) at them. A running pipeline starts its worker threads from its own hashed
// file, so rebuilding while it runs (after an edit) cannot hand its workers different code.
export const build = async () => {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: {
      pipeline: "bin/pipeline.ts",
      "check-labels": "scripts/check-labels.ts",
      "bench-data": "scripts/bench-data.ts",
      "bench-train": "scripts/bench-train.ts"
    },
    outdir: "dist",
    entryNames: "[name]-[hash]",
    metafile: true,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "linked",
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: "warning",
    plugins: [keepModuleUrls, external],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" }
  })
  const outputs = Object.entries(result.metafile.outputs).filter(([, o]) => o.entryPoint)
  const current = new Set()
  for (const [file] of outputs) {
    const name = basename(file)
    current.add(name)
    const stub = name.replace(/-[A-Z0-9]+\.js$/, ".js")
    await writeFile(join(root, "dist", `${stub}.tmp`), `import "./${name}"\n`)
    await rename(join(root, "dist", `${stub}.tmp`), join(root, "dist", stub))
    await rm(join(root, "dist", `${stub}.map`), { force: true })
  }
  // Old bundles go after a day: long enough for any run that started from them.
  const day = Date.now() - 24 * 3600 * 1000
  for (const f of await readdir(join(root, "dist"))) {
    const m = /^(.*-[A-Z0-9]+\.js)(\.map)?$/.exec(f)
    if (m && !current.has(m[1]) && (await stat(join(root, "dist", f))).mtimeMs < day) await rm(join(root, "dist", f))
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await build()
