// End-to-end: the built CLI against a real cache directory, as a user runs it.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import fc from "fast-check"
import { createHash } from "node:crypto"
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import toy from "../pipelines/toy.ts"
import * as Pipeline from "../src/Pipeline.ts"
import { cli, FIXTURES, snapshot, start, tempCache } from "./cli-helpers.ts"

const planJson = (cache: string, ...args: Array<string>) => {
  const r = cli(["plan", "toy", "--json", "--cache-dir", cache, ...args])
  assert.strictEqual(r.code, 0, r.stderr)
  return JSON.parse(r.stdout) as { pipeline: string; nodes: Array<{ id: string; stage: string; key: string | null; status: string; reason: string; needs: Array<string> }> }
}

describe("pipeline run / plan", () => {
  it("runs, then runs nothing; plan --json has the contract's shape and shows every node cached", () => {
    const cache = tempCache()
    const before = planJson(cache)
    assert.strictEqual(before.pipeline, "toy")
    assert.deepStrictEqual(Object.keys(before.nodes[0]!).sort(), ["id", "key", "needs", "reason", "stage", "status"])
    assert.isTrue(before.nodes.every((n) => n.status === "run"))
    assert.deepStrictEqual(before.nodes.find((n) => n.id === "clip/1"), {
      id: "clip/1", stage: "toy-clip", key: null, status: "run", reason: "upstream numbers/1 re-runs", needs: ["numbers/1"]
    })
    const first = cli(["run", "toy", "--cache-dir", cache])
    assert.strictEqual(first.code, 0, first.stderr)
    assert.match(first.stdout, /11 ran, 0 cached/)
    const second = cli(["run", "toy", "--cache-dir", cache])
    assert.strictEqual(second.code, 0)
    assert.match(second.stdout, /0 ran, 11 cached/)
    assert.notMatch(second.stderr, / run /)
    const after = planJson(cache)
    assert.isTrue(after.nodes.every((n) => n.status === "cached" && n.reason === "cached" && /^[0-9a-f]{64}$/.test(n.key!)))
  })

  it("runs the heavy stage in a worker thread and keeps the node's log with its record", () => {
    const cache = tempCache()
    assert.strictEqual(cli(["run", "toy", "--cache-dir", cache]).code, 0)
    const show = cli(["show", "toy", "square/1", "--cache-dir", cache])
    assert.strictEqual(show.code, 0, show.stderr)
    assert.match(show.stdout, /\(worker thread\)/)
    assert.match(show.stdout, /squaring 1000 rows/)
    assert.match(show.stdout, /status +cached/)
  })

  it("PIPELINE_CACHE_DIR chooses the store; --cache-dir is accepted after the command too", () => {
    const cache = tempCache()
    assert.strictEqual(cli(["run", "toy"], { PIPELINE_CACHE_DIR: cache }).code, 0)
    assert.match(cli(["--cache-dir", cache, "run", "toy"]).stdout, /0 ran, 11 cached/)
  })
})

describe("targets: run or plan only the named nodes and what they need", () => {
  const ids = (cache: string, ...targets: Array<string>) => planJson(cache, ...targets).nodes.map((n) => n.id)

  it("plan's nodes are the matches and their upstream, in graph order; * stays within a segment, ** spans them", () => {
    const cache = tempCache()
    assert.deepStrictEqual(ids(cache, "report/1"), ["numbers/1", "clip/1", "square/1", "stats/1", "report/1"])
    assert.deepStrictEqual(ids(cache, "numbers/*", "stats/2"), ["numbers/1", "numbers/2", "clip/2", "stats/2"])
    assert.deepStrictEqual(ids(cache, "s*/1"), ["numbers/1", "clip/1", "square/1", "stats/1"])
    assert.strictEqual(ids(cache, "**").length, 11)
    assert.strictEqual(cli(["plan", "toy", "squ*", "--cache-dir", cache]).code, 2, "squ* does not reach into square/1")
  })

  it("run computes only the targets' part of the graph; the rest is still to run", () => {
    const cache = tempCache()
    const r = cli(["run", "toy", "square/*", "--cache-dir", cache])
    assert.strictEqual(r.code, 0, r.stderr)
    assert.match(r.stdout, /6 ran, 0 cached/)
    const after = planJson(cache)
    const cached = after.nodes.filter((n) => n.status === "cached").map((n) => n.id).sort()
    assert.deepStrictEqual(cached, ["clip/1", "clip/2", "numbers/1", "numbers/2", "square/1", "square/2"])
  })
})

describe("bad input: exit 2, one line naming the problem, no stack trace, cache untouched", () => {
  const cache = tempCache()
  const cases: ReadonlyArray<readonly [string, ReadonlyArray<string>, RegExp]> = [
    ["unknown pipeline", ["run", "nope"], /unknown pipeline 'nope' \(known: w2s-chess, toy/],
    ["unknown node", ["show", "toy", "nonode"], /unknown node of toy 'nonode'/],
    ["unknown preset", ["run", "toy", "--preset", "huge"], /unknown preset of toy 'huge'/],
    ["malformed --set", ["run", "toy", "--set", "clip"], /--set expects path=value, got 'clip'/],
    ["unknown param", ["run", "toy", "--set", "clipp=3"], /unknown param 'clipp'/],
    ["value the schema rejects", ["run", "toy", "--set", "n=-4"], /greater than or equal to 0.*\["n"\]/],
    ["cycle", ["run", "toy-broken", "--set", "defect=cycle"], /cycle: /],
    ["duplicate id", ["plan", "toy-broken", "--set", "defect=duplicate-id"], /duplicate node id 'square'/],
    ["type mismatch", ["run", "toy-broken", "--set", "defect=type-mismatch"], /wants table Numbers.*is json Stats/],
    ["unknown flag", ["run", "toy", "--bogus"], /Unrecognized flag: --bogus/],
    ["unknown export format", ["export", "toy", "summary", "--format", "xlsx"], /--format: "xlsx"\. Expected: "parquet" \| "csv" \| "json" \| "svg" \| "png"/],
    ["unknown results format", ["results", "toy", "--format", "xlsx"], /--format: "xlsx"\. Expected: "table" \| "json" \| "csv" \| "parquet"/],
    ["unknown dag format", ["dag", "toy", "--format", "png"], /--format: "png"\. Expected: "text" \| "mermaid" \| "dot"/],
    ["a target that matches no node (plan)", ["plan", "toy", "nmbers/*"], /^error: no node of toy matches 'nmbers\/\*' \(nearest: numbers\/1, numbers\/2\)\n$/],
    ["a target that matches no node (run)", ["run", "toy", "summary", "report"], /^error: no node of toy matches 'report' \(nearest: report\/1, report\/2\)\n$/],
    ["a graph past the node limit (plan)", ["plan", "w2s-chess", "--set", "data.puzzles.shards=3000000"],
      /^error: pipeline w2s-chess makes more than 250,000 nodes[^\n]*likely cause: data\.puzzles\.shards=3000000\n$/],
    ["a graph past the node limit (run)", ["run", "bench-dag", "--set", "nodes=1e9"], /^error: pipeline bench-dag makes more than [^\n]*: nodes=1000000000\n$/]
  ]
  it("a populated cache to protect", () => {
    assert.strictEqual(cli(["run", "toy", "--cache-dir", cache]).code, 0)
  })
  for (const [name, args, message] of cases) {
    it(name, () => {
      const before = snapshot(cache)
      const r = cli([...args, "--cache-dir", cache], FIXTURES)
      assert.strictEqual(r.code, 2, `${r.stdout}\n${r.stderr}`)
      assert.match(r.stderr, message)
      assert.notMatch(r.stderr, /\n\s+at /, "no stack trace")
      assert.deepStrictEqual(snapshot(cache), before)
    })
  }
  it("a command line that does not parse gets one line per error and no help page", () => {
    for (const args of [["export", "toy", "summary", "--format", "xlsx"], ["run", "toy", "--forc", "x"], ["show", "toy"]]) {
      const r = cli([...args, "--cache-dir", cache])
      assert.strictEqual(r.code, 2, r.stderr)
      assert.strictEqual(r.stdout, "", "no help page")
      assert.match(r.stderr, new RegExp(`^error: [^\n]+ \\(see pipeline ${args[0]} --help\\)\n$`))
    }
    assert.match(cli(["run", "toy", "--forc", "x"]).stderr, /did you mean --force\?/)
  })
})

describe("--cache-dir that is not a directory", () => {
  it("every command that opens the store exits 2 naming it, and leaves the file as it was", () => {
    const file = join(dirname(tempCache()), "a-file")
    writeFileSync(file, "not a store\n")
    const commands = [["plan", "toy"], ["run", "toy"], ["show", "toy", "summary"], ["results", "toy"], ["export", "toy", "summary"], ["verify"], ["gc"]]
    for (const [where, dir] of [["file", file], ["below a file", join(file, "sub")]] as const) {
      for (const args of commands) {
        const r = cli([...args, "--cache-dir", dir])
        assert.strictEqual(r.code, 2, `${args.join(" ")} (${where}): ${r.stdout}${r.stderr}`)
        assert.match(r.stderr, new RegExp(`^error: --cache-dir ${dir.replace(/[.]/g, "\\.")} is not a directory[^\n]*\n$`))
      }
    }
    assert.strictEqual(readFileSync(file, "utf8"), "not a store\n")
  })
})

describe("hostile input through the binary (fast-check)", () => {
  const cache = tempCache()
  const file = join(dirname(cache), "params.json")
  const path = fc.oneof(fc.constantFrom("n", "seeds", "seeds.0", "seeds.9", "clip", "sleepMs", "fail", "clip.x", ".", "a..b", ""), fc.string({ maxLength: 6 }))
  const value = fc.oneof(fc.json({ maxDepth: 2 }), fc.string({ maxLength: 6 }), fc.constantFrom("-1", "1e400", "[1,2]", "{}", "null", "none"))
  const setText = fc.oneof(fc.string({ maxLength: 8 }), fc.tuple(path, value).map(([p, v]) => `${p}=${v}`))
  // A params file: garbage text, any JSON, or an object of (possibly wrong) params.
  const paramsFile = fc.option(fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.json({ maxDepth: 2 }),
    fc.dictionary(fc.constantFrom("n", "seeds", "clip", "fail", "nope", "a b"), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }).map((o) => JSON.stringify(o))
  ))
  const preset = fc.option(fc.constantFrom("default", "slow", "nope", "", "--x"))
  /** What the engine itself says of these inputs: undefined when they are valid. */
  const verdict = async (sets: ReadonlyArray<string>, p: string | null, text: string | null) => {
    let fromFile: ReadonlyArray<string> = []
    if (text !== null) {
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        return "not JSON"
      }
      const r = Pipeline.setsFromJson(json, `params file ${file}`)
      if (Result.isFailure(r)) return r.failure.message
      fromFile = r.success
    }
    const exit = await Effect.runPromiseExit(Pipeline.graph(toy, p ?? undefined, [...fromFile, ...sets]))
    if (exit._tag === "Success") return undefined
    return String((exit.cause.reasons[0] as { error?: { message?: string } }).error?.message ?? "defect")
  }

  it("every rejected combination of --set, --preset and --params exits 2 with the error named, no stack trace, cache untouched", async () => {
    assert.strictEqual(cli(["run", "toy", "--cache-dir", cache]).code, 0)
    const before = snapshot(cache)
    let rejected = 0
    await fc.assert(
      fc.asyncProperty(fc.array(setText, { maxLength: 2 }), preset, paramsFile, async (sets, p, text) => {
        const expected = await verdict(sets, p, text)
        fc.pre(expected !== undefined) // valid inputs would run the pipeline; the engine's own tests cover them
        assert.notStrictEqual(expected, "defect")
        if (text !== null) writeFileSync(file, text)
        const args = ["run", "toy", "--cache-dir", cache, ...(p !== null ? [`--preset=${p}`] : []), ...sets.map((s) => `--set=${s}`), ...(text !== null ? ["--params", file] : [])]
        const r = cli(args)
        assert.strictEqual(r.code, 2, `${JSON.stringify(args)}: ${r.stdout}${r.stderr}`)
        assert.notMatch(r.stderr, /\n\s+at /, "no stack trace")
        assert.isAbove(r.stderr.trim().length, 0)
        if (r.stderr.startsWith("error: ") && expected !== "not JSON") assert.include(r.stderr, expected!.split("\n")[0]!)
        rejected++
      }),
      { numRuns: 40 }
    )
    assert.isAbove(rejected, 20)
    assert.deepStrictEqual(snapshot(cache), before)
  }, 120_000)
})

describe("crash safety", () => {
  it("kill -9 at random moments: the re-run completes, verify finds no damage, outputs equal an uninterrupted run", async () => {
    const reference = tempCache()
    assert.strictEqual(cli(["run", "toy", "--preset", "slow", "--cache-dir", reference]).code, 0)
    const expected = cli(["results", "toy", "--preset", "slow", "--format", "json", "--cache-dir", reference]).stdout
    const env = { PIPELINE_LOCK_STALE_MS: "2000" }
    // Moments spread over the whole run (about 2.5 s uninterrupted), one random moment in each of
    // KILL_TRIALS equal slices (default 10); each failure message names its delay.
    const n = Number(process.env.KILL_TRIALS ?? 10)
    const trials = Array.from({ length: n }, (_, i) => 200 + Math.floor(((i + Math.random()) / n) * 2600))
    for (const delay of trials) {
      const cache = tempCache()
      const child = start(["run", "toy", "--preset", "slow", "--cache-dir", cache], env)
      await new Promise((r) => setTimeout(r, delay))
      child.kill("SIGKILL")
      await new Promise((r) => child.once("exit", r))
      const verify1 = cli(["verify", "--cache-dir", cache])
      assert.strictEqual(verify1.code, 0, `after kill at ${delay} ms: ${verify1.stdout}`)
      const rerun = cli(["run", "toy", "--preset", "slow", "--cache-dir", cache], env)
      assert.strictEqual(rerun.code, 0, rerun.stderr)
      const verify2 = cli(["verify", "--cache-dir", cache])
      assert.strictEqual(verify2.code, 0, verify2.stdout)
      assert.match(verify2.stdout, /no damage found/)
      assert.strictEqual(cli(["results", "toy", "--preset", "slow", "--format", "json", "--cache-dir", cache]).stdout, expected)
    }
  }, 400_000)

  it("Ctrl-C (SIGINT) cancels cleanly: exit 130, locks released, the re-run finishes at once what is left", async () => {
    const cache = tempCache()
    const child = start(["run", "toy", "--preset", "slow", "--cache-dir", cache])
    let err = ""
    child.stderr.on("data", (d) => (err += d))
    await new Promise((r) => setTimeout(r, 1500))
    child.kill("SIGINT")
    const code = await new Promise((r) => child.once("exit", r))
    assert.strictEqual(code, 130, err)
    assert.match(err, /interrupted/)
    assert.deepStrictEqual(readdirSync(join(cache, "locks")), [], "no lock left behind")
    const rerun = cli(["run", "toy", "--preset", "slow", "--cache-dir", cache])
    assert.strictEqual(rerun.code, 0, rerun.stderr)
    assert.notMatch(rerun.stderr, /waiting/, "no stale lock to wait for")
    assert.match(cli(["verify", "--cache-dir", cache]).stdout, /no damage found/)
  }, 60_000)

  it("two runs at once on one cache both succeed and compute each node once", async () => {
    const cache = tempCache()
    const go = () =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const c = start(["run", "toy", "--preset", "slow", "--cache-dir", cache])
        let out = ""
        let err = ""
        c.stdout.on("data", (d) => (out += d))
        c.stderr.on("data", (d) => (err += d))
        c.on("exit", (code) => resolve({ code, out, err }))
      })
    const [a, b] = await Promise.all([go(), go()])
    assert.strictEqual(a.code, 0, a.err)
    assert.strictEqual(b.code, 0, b.err)
    const ran = (s: string) => Number(/(\d+) ran/.exec(s)![1])
    assert.strictEqual(ran(a.out) + ran(b.out), 16, `${a.out}${b.out}`)
    const records = readdirSync(join(cache, "records")).flatMap((d) => readdirSync(join(cache, "records", d)))
    assert.strictEqual(records.length, 16)
  }, 120_000)
})

describe("a huge graph can be stopped", () => {
  // Just under the node limit: a valid graph that takes many seconds to build and plan.
  // scored on test: so many ordinary shards would reach the confirmatory set's games (a build error, not a long build)
  const huge = ["plan", "w2s-chess", "--set", `data.puzzles.shards=${Pipeline.MAX_NODES - 10_000}`, "--set", 'scoreOn="test"']
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} while it is built or planned: exit 130 within 20 s, nothing written`, async () => {
      const cache = tempCache()
      const child = start([...huge, "--cache-dir", cache])
      let err = ""
      child.stderr.on("data", (d) => (err += d))
      const exited = new Promise<number | null>((r) => child.once("exit", r))
      await new Promise((r) => setTimeout(r, 1500))
      child.kill(signal)
      const code = await Promise.race([exited, new Promise<"alive">((r) => setTimeout(() => r("alive"), 20_000))])
      if (code === "alive") child.kill("SIGKILL")
      assert.strictEqual(code, 130, err)
      assert.match(err, /interrupted/)
      assert.deepStrictEqual(snapshot(cache), {})
    }, 40_000)
  }
})

describe("overlapping pipelines at once", () => {
  it("two runs sharing part of their graph both succeed and compute each shared node once", async () => {
    const cache = tempCache()
    const go = (seeds: string) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const c = start(["run", "toy", "--preset", "slow", "--set", `seeds=${seeds}`, "--cache-dir", cache])
        let out = ""
        let err = ""
        c.stdout.on("data", (d) => (out += d))
        c.stderr.on("data", (d) => (err += d))
        c.on("exit", (code) => resolve({ code, out, err }))
      })
    // seed 2's five nodes are in both graphs; each run has its own summary
    const [a, b] = await Promise.all([go("[1,2]"), go("[2,3]")])
    assert.strictEqual(a.code, 0, a.err)
    assert.strictEqual(b.code, 0, b.err)
    const ran = (s: string) => Number(/(\d+) ran/.exec(s)![1])
    assert.strictEqual(ran(a.out) + ran(b.out), 3 * 5 + 2, `${a.out}${b.out}`)
    const records = readdirSync(join(cache, "records")).flatMap((d) => readdirSync(join(cache, "records", d)))
    assert.strictEqual(records.length, 17)
    assert.match(cli(["verify", "--cache-dir", cache]).stdout, /no damage found/)
  }, 120_000)
})

describe("verify and gc", () => {
  it("verify names a flipped byte, a deleted object, a truncated record and a wrong-schema record, exits 1; --repair lets the next run recompute", () => {
    const cache = tempCache()
    assert.strictEqual(cli(["run", "toy", "--cache-dir", cache]).code, 0)
    const shards = readdirSync(join(cache, "objects"))
    const obj = join(cache, "objects", shards[0]!, readdirSync(join(cache, "objects", shards[0]!))[0]!)
    const bytes = readFileSync(obj)
    const mid = bytes.length >> 1
    bytes[mid] = bytes[mid]! ^ 0x01
    writeFileSync(obj, bytes)
    const records = readdirSync(join(cache, "records")).flatMap((d) => readdirSync(join(cache, "records", d)).map((f) => join(cache, "records", d, f)))
    // a truncated record
    writeFileSync(records[0]!, readFileSync(records[0]!, "utf8").slice(0, 100))
    // a record whose digest is right but whose body has the wrong schema
    const key = records[1]!.split("/").pop()!.replace(".json", "")
    const body = JSON.stringify({ key, format: 1, outputs: "none" }) + "\n"
    writeFileSync(records[1]!, `w2s-record/1 sha256:${createHash("sha256").update(body).digest("hex")}\n${body}`)
    // a deleted object (another shard than the flipped one)
    const other = readdirSync(join(cache, "objects")).find((d) => d !== shards[0])!
    const gone = readdirSync(join(cache, "objects", other))[0]!
    rmSync(join(cache, "objects", other, gone))
    const v = cli(["verify", "--cache-dir", cache])
    assert.strictEqual(v.code, 1)
    assert.match(v.stdout, /does not match its hash/)
    assert.match(v.stdout, /digest mismatch/)
    assert.match(v.stdout, /wrong shape/)
    assert.match(v.stdout, new RegExp(`${gone.slice(0, 12)}.*missing|missing.*${gone.slice(0, 12)}`))
    assert.strictEqual(cli(["verify", "--repair", "--cache-dir", cache]).code, 0)
    const rerun = cli(["run", "toy", "--cache-dir", cache])
    assert.strictEqual(rerun.code, 0, rerun.stderr)
    assert.match(cli(["verify", "--cache-dir", cache]).stdout, /no damage found/)
  })

  it("a no-op run trusts unchanged files by their stat and re-hashes nothing; verify re-hashes every object", () => {
    const cache = tempCache()
    assert.strictEqual(cli(["run", "toy", "--cache-dir", cache]).code, 0)
    assert.match(cli(["run", "toy", "--cache-dir", cache]).stdout, /0 ran, 11 cached/) // fills the record index
    // every object gets one flipped byte, size unchanged: reading or hashing any of them would notice
    const objects = readdirSync(join(cache, "objects")).flatMap((d) => readdirSync(join(cache, "objects", d)).map((f) => join(cache, "objects", d, f)))
    assert.isAbove(objects.length, 0)
    for (const obj of objects) {
      const bytes = readFileSync(obj)
      bytes[0] = bytes[0]! ^ 0x01
      writeFileSync(obj, bytes)
    }
    const noop = cli(["run", "toy", "--cache-dir", cache])
    assert.strictEqual(noop.code, 0, noop.stderr)
    assert.match(noop.stdout, /0 ran, 11 cached/)
    const v = cli(["verify", "--cache-dir", cache])
    assert.strictEqual(v.code, 1)
    assert.strictEqual(v.stdout.match(/does not match its hash/g)?.length, objects.length)
  })

  it("gc keeps what presets reach and removes the rest (runs not taken as roots: --keep-runs 0)", () => {
    const cache = tempCache()
    assert.strictEqual(cli(["run", "toy", "--cache-dir", cache]).code, 0)
    assert.strictEqual(cli(["run", "toy", "--set", "clip=40", "--cache-dir", cache]).code, 0)
    const before = snapshot(cache)
    const dry = cli(["gc", "--dry-run", "--grace", "0", "--keep-runs", "0", "--cache-dir", cache])
    assert.strictEqual(dry.code, 0, dry.stderr)
    assert.match(dry.stdout, /would remove 9 records/)
    assert.deepStrictEqual(snapshot(cache), before, "a dry run removes nothing")
    const real = cli(["gc", "--grace", "0", "--keep-runs", "0", "--cache-dir", cache])
    assert.match(real.stdout, /removed 9 records/)
    assert.match(cli(["run", "toy", "--cache-dir", cache]).stdout, /0 ran, 11 cached/)
    assert.match(cli(["verify", "--cache-dir", cache]).stdout, /no damage found/)
    assert.match(cli(["plan", "toy", "--set", "clip=40", "--cache-dir", cache]).stdout, /9 to run/)
  })

  it("gc's roots are the users' pipelines: a fixture's results are not kept", () => {
    const cache = tempCache()
    assert.strictEqual(cli(["run", "bench-dag", "--cache-dir", cache], FIXTURES).code, 0) // its default preset, 200 nodes
    assert.match(cli(["gc", "--dry-run", "--grace", "0", "--keep-runs", "0", "--cache-dir", cache], FIXTURES).stdout, /would remove 0 records/)
    assert.match(cli(["gc", "--grace", "0", "--keep-runs", "0", "--cache-dir", cache]).stdout, /removed 200 records/)
  })
})

describe("exit code 1 for a failing stage", () => {
  it("names the node and its error; other commands still read the cache", () => {
    const cache = tempCache()
    const r = cli(["run", "toy", "--set", "fail=throw", "--cache-dir", cache])
    assert.strictEqual(r.code, 1)
    assert.match(r.stderr, /failed: square\/\d: toy-square was told to fail/)
    const crash = cli(["run", "toy", "--set", "fail=exit", "--keep-going", "--cache-dir", cache])
    assert.strictEqual(crash.code, 1)
    assert.match(crash.stderr, /worker exited \(code 3\)/)
    assert.match(crash.stdout, /2 failed/)
    // the failure's log is kept: a failed node has no record, so show prints the last failure
    const show = cli(["show", "toy", "square/1", "--set", "fail=exit", "--cache-dir", cache])
    assert.match(show.stdout, /last failure log\n {2}squaring 1000 rows\n {2}FAILED: worker exited \(code 3\)/)
  })

  it("a stage that runs out of memory fails alone, with a message; the rest finish with --keep-going", () => {
    const cache = tempCache()
    const r = cli(["run", "toy", "--set", "fail=oom", "--keep-going", "--jobs", "1", "--cache-dir", cache], { PIPELINE_WORKER_MEMORY_MB: "64" })
    assert.strictEqual(r.code, 1, r.stderr)
    assert.match(r.stderr, /failed: square\/1: worker crashed: .*memory/i)
    assert.match(r.stdout, /2 failed/)
    assert.match(r.stdout, /\d+ ran/)
    assert.match(cli(["verify", "--cache-dir", cache]).stdout, /no damage found/)
  }, 60_000)
})

describe("gc while a run is active", () => {
  it("removes nothing a run in progress may still need, even with --grace 0", async () => {
    const cache = tempCache()
    assert.strictEqual(cli(["run", "toy", "--set", "clip=40", "--cache-dir", cache]).code, 0)
    // An override, not a preset: gc would otherwise consider all of this run's nodes unreachable.
    const slow = ["run", "toy", "--preset", "slow", "--set", "n=999", "--cache-dir", cache]
    const child = start(slow)
    let out = ""
    let err = ""
    child.stdout.on("data", (d) => (out += d))
    child.stderr.on("data", (d) => (err += d))
    await new Promise((r) => setTimeout(r, 1500))
    // Objects the slow run has written but not yet committed are newer than its start: they stay.
    const gc = cli(["gc", "--grace", "0", "--cache-dir", cache])
    assert.strictEqual(gc.code, 0, gc.stderr)
    assert.match(gc.stdout, /a run is in progress/)
    const code = await new Promise((r) => child.once("exit", r))
    assert.strictEqual(code, 0, out)
    assert.match(out, /16 ran/)
    assert.notMatch(err, /repaired/, "gc removed something the run still needed")
    assert.match(cli(["verify", "--cache-dir", cache]).stdout, /no damage found/)
    assert.match(cli(slow).stdout, / 0 ran, 16 cached/)
    // Once no run is active, gc removes what no preset reaches (runs not taken as roots): the clip=40 results.
    assert.match(cli(["gc", "--grace", "0", "--keep-runs", "0", "--cache-dir", cache]).stdout, /removed [1-9]\d* records/)
  }, 60_000)
})

describe("list and dag", () => {
  it("list names every pipeline with its presets, the default starred", () => {
    const r = cli(["list"])
    assert.strictEqual(r.code, 0)
    assert.match(r.stdout, /^w2s-chess +smoke,default\*,paper +Weak-to-strong/m)
    assert.match(r.stdout, /^toy +default\*,slow/m)
    assert.notMatch(r.stdout, /toy-broken|bench-dag/, "test fixtures are not listed to users")
    assert.match(cli(["list"], FIXTURES).stdout, /^toy-broken .*\n^bench-dag /m)
    assert.strictEqual(cli(["run", "bench-dag", "--cache-dir", tempCache()]).code, 2, "nor known to them")
  })

  it("dag prints the graph as text, Mermaid and dot, with every edge and each node's status; targets restrict it", () => {
    const cache = tempCache()
    const one = ["--set", "seeds=[1]", "--cache-dir", cache]
    const text = cli(["dag", "toy", ...one]).stdout
    assert.match(text, /report\/1 {2}\[toy-report\] {2}to run \(upstream square\/1 re-runs\)\n {4}squares <- square\/1\.rows\n {4}stats <- stats\/1\.stats/)
    assert.match(text, /numbers\/1 {2}\[toy-numbers\] {2}to run \(new\)/)
    assert.strictEqual(cli(["run", "toy", "stats/1", ...one]).code, 0)
    const after = cli(["dag", "toy", "report/1", ...one]).stdout
    assert.match(after, /^stats\/1 {2}\[toy-stats\] {2}cached$/m)
    assert.match(after, /^square\/1 {2}\[toy-square\] {2}to run/m)
    assert.notMatch(cli(["dag", "toy", "stats/1", ...one]).stdout, /square|report/, "only the target and its upstream")
    const mermaid = cli(["dag", "toy", "--format", "mermaid", ...one]).stdout
    assert.match(mermaid, /^flowchart LR/)
    assert.strictEqual((mermaid.match(/-->/g) ?? []).length, 6)
    assert.notInclude(mermaid, "\\n", "no literal \\n: GitHub would show it as text")
    assert.match(mermaid, /^ {2}n\d+\["stats\/1<br\/>toy-stats<br\/>cached"\]:::cached$/m)
    assert.match(mermaid, /^ {2}classDef torun /m)
    const dot = cli(["dag", "toy", "--format", "dot", ...one]).stdout
    assert.match(dot, /^digraph "toy" \{/)
    assert.match(dot, /"clip\/1" -> "square\/1" \[label="rows"\];/)
  })
})
