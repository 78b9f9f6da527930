// The launcher (bin/pipeline.cjs) in a copy of the project, so that its rebuilds touch nothing the
// other tests run. Staleness is decided by content: it builds on first use (with the code cache
// written by the build), rebuilds when a bundled file changes even if its mtime is put back, or when
// a bundled package's installed version changes, not when a file outside the bundle does; and when
// the rebuild fails it stops with "rebuild with npm run build" instead of running the stale bundle.
import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

/** A copy of the project whose node_modules links to ours, except chessops (bundled): its package.json is the copy's own. */
const copy = () => {
  const dir = mkdtempSync(join(tmpdir(), "w2s-launcher-"))
  for (const d of ["bin", "scripts", "src", "stages", "pipelines", "package.json", "tsconfig.json"]) cpSync(resolve(d), join(dir, d), { recursive: true })
  const modules = resolve("node_modules")
  mkdirSync(join(dir, "node_modules"))
  for (const e of readdirSync(modules)) if (e !== "chessops") symlinkSync(join(modules, e), join(dir, "node_modules", e))
  mkdirSync(join(dir, "node_modules", "chessops"))
  for (const e of readdirSync(join(modules, "chessops"))) {
    if (e === "package.json") cpSync(join(modules, "chessops", e), join(dir, "node_modules", "chessops", e))
    else symlinkSync(join(modules, "chessops", e), join(dir, "node_modules", "chessops", e))
  }
  return dir
}

const call = (dir: string, tmp: string) => {
  const r = spawnSync(process.execPath, [join(dir, "bin", "pipeline.cjs"), "--version"], {
    encoding: "utf8",
    env: { ...process.env, TMPDIR: tmp },
    timeout: 90_000
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

interface Pointer {
  readonly bundle: string
  readonly digest: string
  readonly files: ReadonlyArray<string>
  readonly packages: ReadonlyArray<string>
}
const pointer = (dir: string) => JSON.parse(readFileSync(join(dir, "dist", "pipeline.current"), "utf8")) as Pointer

/** Rewrites a file and puts its modification time back, as a checkout or a copy with -p can. */
const rewriteKeepingMtime = (file: string, edit: (text: string) => string) => {
  const { atime, mtime } = statSync(file)
  writeFileSync(file, edit(readFileSync(file, "utf8")))
  utimesSync(file, atime, mtime)
}

describe("the launcher", () => {
  it("rebuilds when what the bundle is built from changes by content, and refuses to run a bundle it cannot rebuild", () => {
    const dir = copy()
    const tmp = mkdtempSync(join(tmpdir(), "w2s-launcher-tmp-"))
    const ok = () => {
      const r = call(dir, tmp)
      assert.strictEqual(r.code, 0, r.stderr)
      assert.match(r.stdout, /^pipeline v/)
      assert.strictEqual(r.stderr, "")
      return pointer(dir)
    }
    const first = ok()
    assert.match(first.bundle, /^pipeline-[A-Z0-9]+\.cjs$/)
    assert.include(first.files, "stages/bench/index.ts")
    assert.include(first.packages, "chessops")
    assert.include(first.packages, "effect")
    // the build wrote the code cache from a run of its own, and cleaned up after it
    assert.isTrue(existsSync(join(dir, "dist", `${first.bundle}.v8cache`)))
    assert.deepStrictEqual(readdirSync(tmp), [])

    // nothing changed: no rebuild; a file outside the bundle changed: none either
    assert.deepStrictEqual(ok(), first)
    writeFileSync(join(dir, "scripts", "coverage.ts"), "// not part of the CLI\n", { flag: "a" })
    assert.deepStrictEqual(ok(), first)

    // a bundled source edited (same length) with its old mtime put back: one rebuild, to a new bundle
    rewriteKeepingMtime(join(dir, "stages", "bench", "index.ts"), (t) => t.replace("trivial", "TRIVIAL"))
    const edited = ok()
    assert.notStrictEqual(edited.bundle, first.bundle)
    assert.deepStrictEqual(ok(), edited)

    // a bundled package's installed version changed (an npm install), mtime put back: rebuilt
    rewriteKeepingMtime(join(dir, "node_modules", "chessops", "package.json"), (t) => t.replace(/"version": "([^"]+)"/, '"version": "$1-changed"'))
    const upgraded = ok()
    assert.notStrictEqual(upgraded.digest, edited.digest)
    assert.deepStrictEqual(ok(), upgraded)

    // a rebuild that fails: exit 2 with the reason, and the stale bundle does not run
    rewriteKeepingMtime(join(dir, "pipelines", "bench-dag.ts"), (t) => `${t}\nconst = broken\n`)
    const broken = call(dir, tmp)
    assert.strictEqual(broken.code, 2)
    assert.strictEqual(broken.stdout, "")
    assert.match(broken.stderr, /(^|\n)error: the CLI bundle \(dist\/\) is out of date with its sources or bundled packages, and building it failed: [^\n]*pipelines\/bench-dag\.ts:\d+[^\n]*\nrebuild with npm run build\n$/)
    assert.deepStrictEqual(pointer(dir), upgraded)
    rewriteKeepingMtime(join(dir, "pipelines", "bench-dag.ts"), (t) => t.replace("\nconst = broken\n", ""))
    assert.deepStrictEqual(ok(), upgraded, "back to the sources it was built from: that bundle again, no rebuild")
    assert.deepStrictEqual(readdirSync(tmp), [])
  }, 180_000)
})
