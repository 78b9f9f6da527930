// gc through the built CLI: it never drops what a preset reaches (whatever state the inputs are in)
// or what a recent run used; it says why each thing goes and how much it frees; on a read-only cache
// it claims nothing it did not do. Also the run summaries gc takes as roots.
import { afterAll, assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { bytes } from "../src/cli/format.ts"
import { cli, snapshot, start, tempCache } from "./cli-helpers.ts"

const recordFiles = (cache: string) =>
  readdirSync(join(cache, "records")).flatMap((d) => readdirSync(join(cache, "records", d)).map((f) => join(cache, "records", d, f)))
const recordFile = (cache: string, key: string) => join(cache, "records", key.slice(0, 2), `${key}.json`)
const keyOf = (cache: string, node: string, ...args: Array<string>): string => {
  const r = cli(["plan", "toy", "--json", "--cache-dir", cache, ...args])
  return (JSON.parse(r.stdout) as { nodes: Array<{ id: string; key: string }> }).nodes.find((n) => n.id === node)!.key
}
const body = (file: string) => JSON.parse(readFileSync(file, "utf8").split("\n").slice(1).join("\n")) as {
  node: string
  outputs: Record<string, { size: number }>
}
interface Summary {
  startedAt: string
  pipeline: string
  preset: string
  sets: Array<string>
  exit: number
  interrupted: boolean
  counts: Record<string, number>
  keys: Array<string>
}
const history = (cache: string): Array<Summary> =>
  readdirSync(join(cache, "history"))
    .filter((f) => f.endsWith(".json")) // beside each summary, the run's log (<id>.log)
    .map((f) => JSON.parse(readFileSync(join(cache, "history", f), "utf8")) as Summary)
    .sort((x, y) => Date.parse(x.startedAt) - Date.parse(y.startedAt))

describe("gc keeps what presets reach, whatever state their inputs are in", () => {
  it("with an upstream record removed, every downstream record stays, and the next run recomputes only that node", () => {
    const cache = tempCache()
    assert.strictEqual(cli(["run", "toy", "--cache-dir", cache]).code, 0)
    const key = keyOf(cache, "numbers/1")
    renameSync(recordFile(cache, key), join(cache, "..", "numbers-1.json")) // as verify --repair or a user would
    const before = snapshot(cache)
    const dry = cli(["gc", "--dry-run", "--grace", "0", "--keep-runs", "0", "--cache-dir", cache])
    assert.strictEqual(dry.code, 0, dry.stderr)
    assert.match(dry.stdout, /would remove 0 records/)
    assert.match(dry.stdout, /kept 10 records reached by presets \(5 of nodes whose inputs must be recomputed first\)/)
    assert.deepStrictEqual(snapshot(cache), before, "a dry run changes nothing")
    // runs are not roots here (--keep-runs 0): the presets alone keep the downstream cone
    const real = cli(["gc", "--grace", "0", "--keep-runs", "0", "--cache-dir", cache])
    assert.strictEqual(real.code, 0, real.stderr)
    assert.match(real.stdout, /removed 0 records/)
    assert.strictEqual(recordFiles(cache).length, 10)
    const rerun = cli(["run", "toy", "--cache-dir", cache])
    assert.strictEqual(rerun.code, 0, rerun.stderr)
    assert.match(rerun.stdout, /1 ran, 10 cached/)
  })
})

describe("runs are roots: every run leaves a summary, and gc keeps what recent runs used", () => {
  it("a --set sweep survives gc --grace 0; with --keep-runs 0 it goes, each record with its reason and the bytes it frees", () => {
    const cache = tempCache()
    assert.strictEqual(cli(["run", "toy", "--cache-dir", cache]).code, 0)
    assert.strictEqual(cli(["run", "toy", "--set", "clip=40", "--cache-dir", cache]).code, 0)
    const [, sweep] = history(cache)
    assert.deepStrictEqual([sweep!.pipeline, sweep!.preset, sweep!.sets, sweep!.exit, sweep!.interrupted], ["toy", "default", ["clip=40"], 0, false])
    assert.deepStrictEqual(sweep!.counts, { ran: 9, cached: 2, reused: 0, failed: 0, skipped: 0, cancelled: 0 })
    assert.strictEqual(sweep!.keys.length, 11)

    const kept = cli(["gc", "--grace", "0", "--cache-dir", cache])
    assert.strictEqual(kept.code, 0, kept.stderr)
    assert.match(kept.stdout, /removed 0 records and 0 objects \(0 B\); kept 11 records reached by presets, 9 more used by 2 runs of the last 30 days/)
    assert.match(cli(["plan", "toy", "--set", "clip=40", "--cache-dir", cache]).stdout, /0 to run, 11 cached/)

    // A summary that does not decode is named, and its run is not taken as a root; gc goes on.
    writeFileSync(join(cache, "history", "20260101T000000Z-1-0badbad0.json"), "{ truncated")
    const warned = cli(["gc", "--dry-run", "--grace", "0", "--cache-dir", cache])
    assert.strictEqual(warned.code, 0, warned.stderr)
    assert.match(warned.stderr, /^warning: run summary 20260101T000000Z-1-0badbad0 is unreadable \(.+\): what that run used is not kept for it\n$/)
    assert.match(warned.stdout, /would remove 0 records/)

    // Within the grace period nothing goes, and gc says that is why.
    assert.match(cli(["gc", "--dry-run", "--keep-runs", "0", "--cache-dir", cache]).stdout, /would remove 0 records.*9 more written within the grace period/)

    const before = snapshot(cache)
    const dry = cli(["gc", "--dry-run", "--grace", "0", "--keep-runs", "0", "--cache-dir", cache])
    assert.strictEqual(dry.code, 0, dry.stderr)
    assert.deepStrictEqual(snapshot(cache), before, "a dry run changes nothing")
    const lines = dry.stdout.split("\n").filter((l) => l.startsWith("would remove record "))
    assert.strictEqual(lines.length, 9)
    let total = 0
    for (const line of lines) {
      const [, short, node, size] = /^would remove record ([0-9a-f]{12}) toy\/(\S+), frees ([^:]+): (.*)$/.exec(line)!.slice(0, 4)
      assert.include(line, "not reached by any preset (runs are not roots with --keep-runs 0); written 0 min ago, past the grace period (0 min)")
      const file = recordFiles(cache).find((f) => f.split("/").pop()!.startsWith(short!))!
      const r = body(file)
      assert.strictEqual(r.node, node)
      // each of the sweep's records alone references its outputs: they are what it frees
      const own = Object.values(r.outputs).reduce((s, o) => s + o.size, 0)
      assert.strictEqual(size, bytes(own), line)
      total += own
    }
    assert.match(dry.stdout, new RegExp(`would remove 9 records and 9 objects \\(${bytes(total).replace(".", "\\.")}\\)`))
    const real = cli(["gc", "--grace", "0", "--keep-runs", "0", "--cache-dir", cache])
    assert.strictEqual(real.code, 0, real.stderr)
    assert.deepStrictEqual(real.stdout.split("\n").filter((l) => l.startsWith("removed record ")), lines.map((l) => l.replace(/^would remove/, "removed")))
    assert.match(cli(["run", "toy", "--cache-dir", cache]).stdout, /0 ran, 11 cached/)
    assert.match(cli(["plan", "toy", "--set", "clip=40", "--cache-dir", cache]).stdout, /9 to run/)
  })

  it("a run that fails, and one that is interrupted, leave their summaries; gc keeps what they committed", async () => {
    const cache = tempCache()
    const failed = cli(["run", "toy", "--set", "clip=40", "--set", "fail=throw", "--jobs", "1", "--cache-dir", cache])
    assert.strictEqual(failed.code, 1)
    const child = start(["run", "toy", "--preset", "slow", "--set", "n=999", "--jobs", "1", "--cache-dir", cache])
    let err = ""
    child.stderr.on("data", (d) => (err += d))
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (/done\s+numbers\/1/.test(err)) {
          clearInterval(poll)
          resolve()
        }
      }, 50)
    })
    child.kill("SIGINT")
    assert.strictEqual(await new Promise((r) => child.once("exit", r)), 130)
    const [f, i] = history(cache)
    assert.deepStrictEqual([f!.exit, f!.interrupted, f!.counts.failed], [1, false, 1])
    assert.deepStrictEqual([i!.exit, i!.interrupted, i!.preset, i!.sets], [130, true, "slow", ["n=999"]])
    assert.isAbove(i!.counts.ran!, 0)
    assert.isAbove(i!.counts.cancelled!, 0)
    const committed = recordFiles(cache).length
    assert.strictEqual(f!.keys.length + i!.keys.length, committed)
    const gc = cli(["gc", "--grace", "0", "--cache-dir", cache])
    assert.strictEqual(gc.code, 0, gc.stderr)
    assert.match(gc.stdout, /removed 0 records/)
    assert.strictEqual(recordFiles(cache).length, committed)
  }, 60_000)

  it("--keep-runs or --grace below 0 is bad usage: exit 2, one line, nothing removed", () => {
    const cache = tempCache()
    assert.strictEqual(cli(["run", "toy", "--set", "clip=40", "--cache-dir", cache]).code, 0)
    const before = snapshot(cache)
    for (const flag of ["--keep-runs", "--grace"]) {
      const r = cli(["gc", flag, "-1", "--cache-dir", cache])
      assert.strictEqual(r.code, 2, r.stderr)
      assert.match(r.stderr, new RegExp(`^error: ${flag} must be 0 or more .*\\n$`))
    }
    assert.deepStrictEqual(snapshot(cache), before)
  })
})

// A read-only cache needs a file system mounted read-only (root); elsewhere this is skipped, saying so.
const mounts: Array<string> = []
const mountTmpfs = (): string | undefined => {
  const dir = mkdtempSync(join(tmpdir(), "w2s-gc-fs-"))
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", dir], { stdio: "ignore" })
    mounts.push(dir)
    return dir
  } catch {
    return undefined
  }
}
afterAll(() => {
  for (const m of mounts) {
    try {
      execFileSync("umount", [m], { stdio: "ignore" })
    } catch {
      // left for the OS; the directory is under tmpdir
    }
  }
})
const probe = mountTmpfs()

describe.skipIf(probe === undefined)("gc on a read-only cache (needs tmpfs mounts, so root)", () => {
  it("lists what it would remove with --dry-run; without, fails with one line having printed and removed nothing", () => {
    const dir = probe!
    const cache = join(dir, "cache")
    mkdirSync(cache)
    assert.strictEqual(cli(["run", "toy", "--cache-dir", cache]).code, 0)
    assert.strictEqual(cli(["run", "toy", "--set", "clip=40", "--cache-dir", cache]).code, 0)
    execFileSync("mount", ["-o", "remount,ro", dir], { stdio: "ignore" })
    const before = snapshot(cache)
    const dry = cli(["gc", "--dry-run", "--grace", "0", "--keep-runs", "0", "--cache-dir", cache])
    assert.strictEqual(dry.code, 0, dry.stderr)
    assert.match(dry.stdout, /would remove 9 records/)
    const r = cli(["gc", "--grace", "0", "--keep-runs", "0", "--cache-dir", cache])
    assert.strictEqual(r.code, 1, r.stdout + r.stderr)
    assert.notMatch(r.stdout, /removed/)
    assert.match(r.stderr, /^error: .*read-only file system\n$/)
    assert.deepStrictEqual(snapshot(cache), before)
  }, 60_000)
})
