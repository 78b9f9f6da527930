// Usage checks of `run` that must come before anything runs, and `show`'s failure log, which
// belongs to one key: the node under other params is another computation.
import { assert, describe, it } from "@effect/vitest"
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { cli, snapshot, tempCache } from "./cli-helpers.ts"

describe("run: bad usage is found before anything runs (exit 2, one line, cache untouched)", () => {
  it("a --force glob that matches no node is named, with the nearest ids; plan --force too", () => {
    const cache = tempCache()
    for (const cmd of ["run", "plan"]) {
      const r = cli([cmd, "toy", "--force", "numbers/*", "--force", "nosuch*", "--cache-dir", cache])
      assert.strictEqual(r.code, 2, r.stdout + r.stderr)
      assert.match(r.stderr, /^error: no node of toy \(--force\) matches 'nosuch\*' \(nearest: [^)]+\)\n$/)
    }
    assert.deepStrictEqual(snapshot(cache), {})
    // a glob that matches forces what it matches, an alias or id typed exactly included
    assert.strictEqual(cli(["run", "toy", "--cache-dir", cache]).code, 0)
    assert.match(cli(["run", "toy", "--force", "stats/*", "--cache-dir", cache]).stdout, /2 ran, 9 cached/)
  })

  it("--out naming an existing file (or a path below one) fails at once", () => {
    const cache = tempCache()
    const file = join(dirname(cache), "figures.txt")
    writeFileSync(file, "not a folder")
    for (const out of [file, join(file, "sub")]) {
      const r = cli(["run", "toy", "--out", out, "--cache-dir", cache])
      assert.strictEqual(r.code, 2, r.stdout + r.stderr)
      assert.match(r.stderr, /^error: --out .*(is a file|a part of the path is a file).*\n$/)
      assert.strictEqual(r.stdout, "")
    }
    assert.deepStrictEqual(snapshot(cache), {}, "nothing ran")
    mkdirSync(join(dirname(cache), "figs"))
    assert.strictEqual(cli(["run", "toy", "--out", join(dirname(cache), "figs"), "--cache-dir", cache]).code, 0)
  })
})

describe("show: the last failure log only for the node's current key", () => {
  it("a failure under other params is not shown as this node's", () => {
    const cache = tempCache()
    assert.strictEqual(cli(["run", "toy", "--set", "fail=throw", "--set", "clip=40", "--jobs", "1", "--cache-dir", cache]).code, 1)
    const same = cli(["show", "toy", "square/1", "--set", "fail=throw", "--set", "clip=40", "--cache-dir", cache])
    assert.match(same.stdout, /last failure log\n {2}squaring \d+ rows\n {2}FAILED: toy-square was told to fail/)
    // clip=41: the same node id, another key (the upstream runs first, so it is not even known yet)
    assert.notMatch(cli(["show", "toy", "square/1", "--set", "fail=throw", "--set", "clip=41", "--cache-dir", cache]).stdout, /last failure log/)
    // fail=none with clip=40: the key is known (its upstream is cached) and is not the one that failed
    const other = cli(["show", "toy", "square/1", "--set", "clip=40", "--cache-dir", cache])
    assert.match(other.stdout, /key +[0-9a-f]{64}/)
    assert.notMatch(other.stdout, /last failure log/)
  })
})
