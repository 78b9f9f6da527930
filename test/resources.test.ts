// Resources: a full disk and a read-only cache, on real file systems (small tmpfs mounts, so these
// tests need root; elsewhere they are skipped and say so). The contract: a clear error naming the
// problem, nothing half-written, the cache still verifies, and once space is back the re-run
// completes with the same outputs as a run that never ran short.
import { afterAll, assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { mkdtempSync, readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { cli, snapshot, tempCache } from "./cli-helpers.ts"

const mounts: Array<string> = []
const mount = (size: string): string | undefined => {
  const dir = mkdtempSync(join(tmpdir(), "w2s-fs-"))
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" })
    mounts.push(dir)
    return dir
  } catch {
    return undefined
  }
}
const remount = (dir: string, opts: string) => execFileSync("mount", ["-o", `remount,${opts}`, dir], { stdio: "ignore" })
afterAll(() => {
  for (const m of mounts) {
    try {
      execFileSync("umount", [m], { stdio: "ignore" })
    } catch {
      // left for the OS; the directory is under tmpdir
    }
  }
})

const canMount = mount("64k") !== undefined

describe.skipIf(!canMount)("resources (tmpfs mounts)", () => {
  const big = ["--set", "n=100000", "--set", "seeds=[1,2]"]
  const results = (cache: string) => cli(["results", "toy", ...big, "--format", "json", "--cache-dir", cache])

  it("a full disk fails the node that cannot write, naming it; nothing half-written; with space back the re-run matches", () => {
    const reference = tempCache()
    assert.strictEqual(cli(["run", "toy", ...big, "--cache-dir", reference]).code, 0)
    const dir = mount("3m")!
    const cache = join(dir, "cache")
    const r = cli(["run", "toy", ...big, "--cache-dir", cache, "--keep-going"])
    assert.strictEqual(r.code, 1, r.stdout + r.stderr)
    assert.match(r.stdout + r.stderr, /no space left on device/)
    assert.deepStrictEqual(readdirSync(join(cache, "tmp")), [], "no temp file left behind")
    const v = cli(["verify", "--cache-dir", cache])
    assert.strictEqual(v.code, 0, v.stdout)
    assert.match(v.stdout, /no damage found/)
    remount(dir, "size=64m")
    const again = cli(["run", "toy", ...big, "--cache-dir", cache])
    assert.strictEqual(again.code, 0, again.stderr)
    assert.isAbove(Number(/(\d+) cached/.exec(again.stdout)![1]), 0, "what was committed before the disk filled is kept")
    assert.strictEqual(results(cache).stdout, results(reference).stdout)
  }, 120_000)

  it("a read-only cache: reads and a no-op run work; a run with work fails with exit 1 naming the cause; nothing changes", () => {
    const dir = mount("64m")!
    const cache = join(dir, "cache")
    assert.strictEqual(cli(["run", "toy", "--cache-dir", cache]).code, 0)
    remount(dir, "ro")
    const before = snapshot(cache)
    const noop = cli(["run", "toy", "--cache-dir", cache])
    assert.strictEqual(noop.code, 0, noop.stderr)
    assert.match(noop.stdout, /0 ran, 11 cached/)
    const work = cli(["run", "toy", "--set", "n=10", "--cache-dir", cache])
    assert.strictEqual(work.code, 1)
    assert.match(work.stderr, /cannot write to the cache \(read-only file system at .*\); \d+ nodes would need computing/)
    assert.notMatch(work.stderr, /\n\s+at /, "no stack trace")
    for (const args of [["plan", "toy"], ["results", "toy"], ["verify"], ["show", "toy", "summary"]]) {
      const c = cli([...args, "--cache-dir", cache])
      assert.strictEqual(c.code, 0, `${args.join(" ")}: ${c.stderr}`)
    }
    assert.deepStrictEqual(snapshot(cache), before)
  }, 60_000)
})
