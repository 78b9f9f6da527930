// The launcher (bin/pipeline.cjs) in a copy of the project, so that its rebuilds touch nothing the
// other tests run: it builds on first use with the code cache written by the build, rebuilds once
// after an edit, and a source dated in the future neither hides edits nor starts builds without end.
import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, utimesSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

const copy = () => {
  const dir = mkdtempSync(join(tmpdir(), "w2s-launcher-"))
  for (const d of ["bin", "scripts", "src", "stages", "pipelines", "package.json", "tsconfig.json"]) cpSync(resolve(d), join(dir, d), { recursive: true })
  symlinkSync(resolve("node_modules"), join(dir, "node_modules"))
  return dir
}

const call = (dir: string, tmp: string) => {
  const t0 = Date.now()
  const r = spawnSync(process.execPath, [join(dir, "bin", "pipeline.cjs"), "--version"], {
    encoding: "utf8",
    env: { ...process.env, TMPDIR: tmp },
    timeout: 90_000
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 }
}

const pointer = (dir: string) => readFileSync(join(dir, "dist", "pipeline.current"), "utf8").split("\n")

describe("the launcher", () => {
  it("builds on first use, rebuilds once after an edit, and survives sources dated in the future", () => {
    const dir = copy()
    const tmp = mkdtempSync(join(tmpdir(), "w2s-launcher-tmp-"))
    const first = call(dir, tmp)
    assert.strictEqual(first.code, 0, first.stderr)
    assert.match(first.stdout, /^pipeline v/)
    const [bundle, builtFrom] = pointer(dir)
    assert.match(bundle!, /^pipeline-[A-Z0-9]+\.cjs$/)
    assert.isAbove(Number(builtFrom), 0)
    // the build wrote the code cache from a run of its own, and cleaned up after it
    assert.isTrue(existsSync(join(dir, "dist", `${bundle}.v8cache`)))
    assert.deepStrictEqual(readdirSync(tmp), [])

    // nothing changed: no rebuild
    const again = call(dir, tmp)
    assert.strictEqual(again.code, 0, again.stderr)
    assert.deepStrictEqual(pointer(dir), [bundle, builtFrom, ""])

    // an edit: one rebuild, to a new bundle
    appendFileSync(join(dir, "pipelines", "bench-dag.ts"), "// edited\n")
    assert.strictEqual(call(dir, tmp).code, 0)
    const [edited] = pointer(dir)
    assert.notStrictEqual(edited, bundle)
    assert.strictEqual(call(dir, tmp).code, 0)
    assert.strictEqual(pointer(dir)[0], edited)

    // a source an hour in the future: every call still works, says why it rebuilds, and ends
    const future = new Date(Date.now() + 3600_000)
    utimesSync(join(dir, "stages", "bench", "index.ts"), future, future)
    for (let i = 0; i < 2; i++) {
      const r = call(dir, tmp)
      assert.strictEqual(r.code, 0, r.stderr)
      assert.match(r.stdout, /^pipeline v/)
      assert.isBelow(r.ms, 60_000)
      if (i === 1) assert.match(r.stderr, /dated in the future/)
    }
    // an edit made meanwhile is not hidden by the future date
    appendFileSync(join(dir, "pipelines", "bench-dag.ts"), "// edited again\n")
    assert.strictEqual(call(dir, tmp).code, 0)
    assert.notStrictEqual(pointer(dir)[0], edited)
    // back to the present: one more rebuild, then quiet
    const present = new Date()
    utimesSync(join(dir, "stages", "bench", "index.ts"), present, present)
    call(dir, tmp)
    const quiet = call(dir, tmp)
    assert.strictEqual(quiet.code, 0)
    assert.strictEqual(quiet.stderr, "")
    assert.deepStrictEqual(readdirSync(tmp), [])
  }, 180_000)
})
