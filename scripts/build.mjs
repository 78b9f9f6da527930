// Bundles the CLI (bin/pipeline.ts: engine + pipelines + stages + effect) into dist/pipeline.js, and
// the TypeScript scripts (label check, data benchmark) next to it.
// Third-party packages other than effect stay external and load from node_modules when first used,
// so heavy ones (TensorFlow.js, Stockfish, Arrow) cost nothing until a node needs them.
// Each project module keeps its own import.meta.url, which code fingerprints rely on.
import * as esbuild from "esbuild"
import { readFile } from "node:fs/promises"
import { dirname, join, relative } from "node:path"
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

export const build = () =>
  esbuild.build({
    absWorkingDir: root,
    entryPoints: {
      pipeline: "bin/pipeline.ts",
      "check-labels": "scripts/check-labels.ts",
      "bench-data": "scripts/bench-data.ts"
    },
    outdir: "dist",
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

if (import.meta.url === pathToFileURL(process.argv[1]).href) await build()
