// README's Quick start, run as written: every `npx pipeline` and `echo` line of its code blocks, in
// order, in an empty directory (so its ./cache and the files it writes are the test's). The toy
// lines run in full; the chess lines on the smoke preset. The one line marked as the long run (the
// default preset, about an hour) is planned instead of run. `npm run check-labels` (re-analyses 100
// puzzles at depth 18, minutes) is not run here. Also: the "not computed" hint names the preset.
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "vitest"
import { BIN } from "./cli-helpers.ts"

const readme = readFileSync("README.md", "utf8")
const quickStart = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("**On a GPU.**"))

/** The runnable lines of each code block of the Quick start, comments dropped. */
const blocks = [...quickStart.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
  m[1]!.split("\n").filter((l) => /^(npx pipeline|echo) /.test(l)).map((l) => ({ line: l, long: /THE LONG RUN/.test(l) })))

const dir = mkdtempSync(join(tmpdir(), "w2s-readme-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Runs one README line in `dir` with `npx pipeline` meaning this checkout's CLI. */
const sh = (line: string) => {
  const shim = `npx() { if [ "$1" = pipeline ]; then shift; "${process.execPath}" "${BIN}" "$@"; else command npx "$@"; fi; }`
  const r = spawnSync("bash", ["-c", `${shim}\n${line.replace(/\s+#.*$/, "")}`], { cwd: dir, encoding: "utf8", env: { ...process.env, CI: "1" }, timeout: 600_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe("README's Quick start runs as written", () => {
  it("has the blocks this test expects: toy, then the chess experiment with one long-run line", () => {
    assert.strictEqual(blocks.length, 2)
    assert.isTrue(blocks[0]!.every((l) => / toy\b|^echo |pipeline (list|runs|diff)\b/.test(l.line)), JSON.stringify(blocks[0]))
    assert.deepStrictEqual(blocks[1]!.filter((l) => l.long).map((l) => l.line.split("#")[0]!.trim()), ["npx pipeline run w2s-chess"])
    // every chess line that computes or reads results names the smoke preset, except the long run
    for (const l of blocks[1]!) if (!l.long) assert.match(l.line, /--preset smoke/, l.line)
  })

  it("the not-computed hint names the preset in use", () => {
    const r = sh("npx pipeline export w2s-chess split/s0 --output report --format json --preset smoke")
    assert.strictEqual(r.code, 2)
    assert.match(r.stderr, /run `pipeline run w2s-chess --preset smoke`/)
  }, 120_000)

  it("the toy lines", () => {
    for (const { line } of blocks[0]!) {
      const r = sh(line)
      assert.strictEqual(r.code, 0, `${line}\n${r.stderr}`)
      if (line.startsWith("npx pipeline run toy ") && line.includes("compute everything")) assert.match(r.stdout, /11 ran, 0 cached/)
      if (line.includes("again: nothing runs")) assert.match(r.stdout, /0 ran, 11 cached/)
    }
  }, 300_000)

  it("the chess lines on the smoke preset (the long run only planned)", () => {
    for (const { line, long } of blocks[1]!) {
      const r = sh(long ? line.replace("pipeline run", "pipeline plan") : line)
      assert.strictEqual(r.code, 0, `${line}\n${r.stderr}`)
      if (line.includes("'puzzles/*'")) assert.match(r.stdout, / 0 ran, \d+ cached/, "the smoke run made the shards")
    }
  }, 900_000)
})
