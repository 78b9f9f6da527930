"use strict"
// What the CLI bundle was built from, as one sha256 that the launcher can recompute cheaply: the
// content of every project file the bundle includes (esbuild's metafile lists them) plus the build
// script, and the installed version of every npm package bundled into it (effect, chessops...).
// The build records the lists and the digest in dist/pipeline.current; the launcher recomputes the
// digest from the files as they are now, so an edit (whatever its mtime) or an `npm install` that
// changes a bundled package makes it rebuild. Packages left outside the bundle load from
// node_modules at run time and are always current.
const { createHash } = require("node:crypto")
const { readFileSync } = require("node:fs")
const { join } = require("node:path")

/** The package a bundled input path belongs to, as a path below node_modules (`@effect/platform-node`, `a/node_modules/b`). */
exports.packageOf = (input) => {
  const i = input.indexOf("node_modules/")
  if (i < 0) return undefined
  const parts = input.slice(i + "node_modules/".length).split("/")
  const out = []
  for (let j = 0; j < parts.length;) {
    const n = parts[j].startsWith("@") ? 2 : 1
    out.push(...parts.slice(j, j + n))
    j += n
    if (parts[j] !== "node_modules") break
    out.push("node_modules")
    j++
  }
  return out.join("/")
}

/** Installed version of a package below `root`/node_modules, or "absent". */
const versionOf = (root, pkg) => {
  try {
    return String(JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")).version)
  } catch {
    return "absent"
  }
}

/**
 * The digest of `files` (paths relative to `root`) and `packages`. `contents(file)` gives a file's
 * bytes as a Buffer (the build passes what it bundled); a missing file counts as absent, never as unchanged.
 */
exports.digest = (root, files, packages, contents = (f) => readFileSync(join(root, f))) => {
  const h = createHash("sha256")
  for (const f of files) {
    let text
    try {
      text = contents(f)
    } catch {
      text = Buffer.from("\0absent")
    }
    h.update(`file ${f} ${text.length}\n`).update(text)
  }
  for (const p of packages) h.update(`pkg ${p}@${versionOf(root, p)}\n`)
  return h.digest("hex")
}
