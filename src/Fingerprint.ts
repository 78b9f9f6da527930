/**
 * Code fingerprints: a hash of a stage's source file, every local module it imports (transitively),
 * and the versions of the npm packages those modules import; a stage's fingerprint adds the codecs
 * of its ports (their versions and the versions of the packages they encode with). A change to any
 * of them changes the stage's node keys ("code changed"). The engine's own files (this folder) are
 * not part of it: what of the engine determines the bytes is versioned explicitly, the record and
 * key formats by `KEY_FORMAT`, each codec by its own version (`Codec.ts`).
 *
 * Imports are found with a scanner for `import ... from "x"`, `export ... from "x"` and `import("x")`
 * with literal specifiers, which is what stage code uses; a computed `import(name)` is not seen.
 */
import { existsSync, readFileSync } from "node:fs"
import { dirname, join, relative, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"
import type { Codec } from "./Codec.ts"
import { sha256 } from "./Key.ts"

const ENGINE_DIR = dirname(fileURLToPath(import.meta.url)) + sep

const IMPORT_RE =
  /(?:^|[;\s])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+\s+from\s+)?["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/g

/** The literal module specifiers a source text imports (type-only imports excluded). */
export const importsOf = (source: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  const text = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "")
  for (const m of text.matchAll(IMPORT_RE)) {
    if (/^\s*;?\s*(?:import|export)\s+type\s/.test(m[0])) continue
    out.push((m[1] ?? m[2])!)
  }
  return out
}

const resolveLocal = (from: string, spec: string): string | undefined => {
  const base = resolve(dirname(from), spec)
  const candidates = [base, base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")]
  return candidates.find((c) => existsSync(c) && !c.endsWith(sep))
}

const packageName = (spec: string): string => {
  const parts = spec.split("/")
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!
}

/** The installed version of package `name` as Node would resolve it from the file `from`; "absent" if none. */
export const packageVersion = (from: string, name: string): string => {
  let dir = dirname(from)
  for (;;) {
    const p = join(dir, "node_modules", name, "package.json")
    if (existsSync(p)) {
      try {
        return String((JSON.parse(readFileSync(p, "utf8")) as { version?: unknown }).version ?? "?")
      } catch {
        return "?"
      }
    }
    const up = dirname(dir)
    if (up === dir) return "absent"
    dir = up
  }
}

const cache = new Map<string, string>()

/**
 * The fingerprint of the module at `moduleUrl` (a `file:` URL or path). Memoised per process: the CLI
 * runs a bundle loaded when it started, so its keys must name that code even if the files are edited
 * later (`Scheduler.readFingerprints` reads every stage's at a run's start). Code run from its sources
 * (tests, a library caller) may load a module later, from the files as they are then.
 */
export const fingerprint = (moduleUrl: string): string => {
  const entry = moduleUrl.startsWith("file:") ? fileURLToPath(moduleUrl) : resolve(moduleUrl)
  let fp = cache.get(entry)
  if (fp === undefined) cache.set(entry, (fp = computeFingerprint(entry)))
  return fp
}

const engineVersions = new Map<string, string>()

/**
 * A stage's fingerprint: the code fingerprint of its module combined with the codecs of its ports
 * (name, version, and the installed versions of their packages, resolved from the engine's folder).
 * Equal to `fingerprint(moduleUrl)` for a stage without ports.
 */
export const stageFingerprint = (moduleUrl: string, portCodecs: ReadonlyArray<Codec>): string => {
  const code = fingerprint(moduleUrl)
  if (portCodecs.length === 0) return code
  const lines = [`code ${code}`]
  for (const c of portCodecs) {
    const pkgs = c.packages.map((n) => {
      let v = engineVersions.get(n)
      if (v === undefined) engineVersions.set(n, (v = packageVersion(join(ENGINE_DIR, "Codec.ts"), n)))
      return ` ${n}@${v}`
    })
    lines.push(`codec ${c.name}/${c.version}${pkgs.join("")}`)
  }
  return sha256(lines.join("\n"))
}

/** The fingerprint of the module at `entry`, read from disk now. */
export const computeFingerprint = (entry: string): string => {
  const files = new Map<string, string>()
  const packages = new Map<string, string>()
  const visit = (file: string) => {
    if (files.has(file) || file.startsWith(ENGINE_DIR)) return
    const source = readFileSync(file, "utf8")
    files.set(file, sha256(source))
    for (const spec of importsOf(source)) {
      if (spec.startsWith(".")) {
        const target = resolveLocal(file, spec)
        if (target) visit(target)
      } else if (!spec.startsWith("node:")) {
        const name = packageName(spec)
        if (!packages.has(name)) packages.set(name, packageVersion(file, name))
      }
    }
  }
  visit(entry)
  const root = dirname(entry)
  const doc = [
    ...[...files].map(([f, h]) => `file ${relative(root, f).split(sep).join("/")} ${h}`),
    ...[...packages].map(([n, v]) => `pkg ${n}@${v}`)
  ].sort().join("\n")
  return sha256(doc)
}
