// The console reporter: the live view's redraw timer is stopped however the run ends, and the
// minimum log level (`--log-level`) decides which events are shown.
import { afterEach, assert, describe, it, vi } from "@effect/vitest"
import { Effect, Exit, Fiber, References } from "effect"
import { layerConsole, layerLive, levelOf, makeLive, makeTally, Reporter, type RunEvent } from "../src/Reporter.ts"
import { cli, tempCache } from "./cli-helpers.ts"

const fakeTerminal = () => {
  const written: Array<string> = []
  const stream = { columns: 80, write: (s: string) => written.push(s), moveCursor: () => true, clearScreenDown: () => true }
  return { written, stream: stream as unknown as NodeJS.WriteStream }
}

const started: RunEvent = { _tag: "Started", node: "a", stage: "s", reason: { _tag: "New" } }

describe("the live view's timer lives in the layer's scope", () => {
  afterEach(() => void vi.useRealTimers())

  for (const [how, end] of [
    ["succeeds", Effect.void],
    ["fails", Effect.fail("a stage failed")],
    ["is interrupted", Effect.interrupt]
  ] as const) {
    it(`is cleared when the run ${how}`, async () => {
      vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] })
      const program = Effect.gen(function*() {
        const r = yield* Reporter
        r.emit(started)
        assert.strictEqual(vi.getTimerCount(), 1, "the live view redraws on a timer")
        return yield* end
      }).pipe(Effect.provide(layerLive(fakeTerminal().stream)))
      const fiber = Effect.runFork(program)
      const exit = await Effect.runPromise(Fiber.await(fiber))
      assert.strictEqual(Exit.isSuccess(exit), how === "succeeds")
      assert.strictEqual(vi.getTimerCount(), 0)
    })
  }
})

describe("--log-level", () => {
  it("ranks failures as errors, skips, cancellations and repairs as warnings, the rest as info", () => {
    assert.strictEqual(levelOf({ _tag: "Failed", node: "a", message: "x" }), "Error")
    assert.strictEqual(levelOf({ _tag: "Cancelled", node: "a" }), "Warn")
    assert.strictEqual(levelOf({ _tag: "Skipped", node: "a", because: "x" }), "Warn")
    assert.strictEqual(levelOf(started), "Info")
  })

  it("the console layer shows nothing at none, and only what is at or above the level otherwise", async () => {
    const events: Array<RunEvent> = [started, { _tag: "Skipped", node: "b", because: "x" }, { _tag: "Failed", node: "c", message: "boom" }]
    const shown = async (level: "None" | "Warn" | "Info") => {
      const lines: Array<string> = []
      const write = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
        lines.push(String(s))
        return true
      })
      try {
        await Effect.runPromise(
          Effect.flatMap(Reporter, (r) => Effect.sync(() => events.forEach(r.emit))).pipe(
            Effect.provide(layerConsole),
            Effect.provideService(References.MinimumLogLevel, level)
          )
        )
      } finally {
        write.mockRestore()
      }
      return lines.join("")
    }
    assert.strictEqual(await shown("None"), "")
    const warn = await shown("Warn")
    assert.match(warn, /skipped\s+b/)
    assert.match(warn, /FAILED\s+c/)
    assert.notMatch(warn, /run\s+a/)
    assert.match(await shown("Info"), /run\s+a/)
  })

  it("through the CLI: none leaves stderr empty; error shows only the failure; the summary line stays on stdout", () => {
    const cache = tempCache()
    const quiet = cli(["run", "toy", "--log-level", "none", "--cache-dir", cache])
    assert.strictEqual(quiet.code, 0, quiet.stderr)
    assert.strictEqual(quiet.stderr, "")
    assert.match(quiet.stdout, /11 ran/)
    const failing = cli(["--log-level", "error", "run", "toy", "--set", "fail=throw", "--jobs", "1", "--cache-dir", cache])
    assert.strictEqual(failing.code, 1)
    assert.match(failing.stderr, /FAILED\s+square\/1/)
    assert.notMatch(failing.stderr, /\b(plan|run|done|cancelled|skipped)\s/)
    assert.match(cli(["run", "toy", "--set", "clip=3", "--cache-dir", cache]).stderr, /done\s+clip\/1/)
  })
})

describe("the run's count (done / cached / running / failed / to run of the total) and its ETA", () => {
  const planned = (estimates: Record<string, number>, jobs = 1): RunEvent =>
    ({ _tag: "Planned", pipeline: "p", toRun: 4, cached: ["c"], estimates, jobs })
  const start = (node: string): RunEvent => ({ _tag: "Started", node, stage: "s", reason: { _tag: "New" } })

  it("counts every node once, the counts add up to the total at every step, and the ETA is the stored time left", () => {
    let now = 0
    const t = makeTally(() => now)
    const events: Array<RunEvent> = [
      planned({ a: 1000, b: 2000, d: 4000, e: 3000 }),
      start("a"),
      { _tag: "Ran", node: "a", durationMs: 900, reused: false },
      start("b"),
      { _tag: "Failed", node: "b", message: "x" },
      start("d"),
      { _tag: "Cached", node: "d", early: true },
      { _tag: "Skipped", node: "e", because: "upstream b did not complete" }
    ]
    const seen: Array<string> = []
    for (const e of events) {
      t.apply(e)
      const c = t.counts()
      assert.strictEqual(c.done + c.cached + c.running + c.failed + c.skipped + c.cancelled + c.toRun, c.total)
      seen.push(t.text())
      now += 500
    }
    assert.strictEqual(seen[0], "5 nodes: 0 done, 1 cached, 0 running, 0 failed, 4 to run; 0.0s elapsed, ETA 10s")
    assert.strictEqual(seen[1], "5 nodes: 0 done, 1 cached, 1 running, 0 failed, 3 to run; 0.5s elapsed, ETA 10s")
    assert.match(seen[3]!, /1 running, 0 failed, 2 to run; 1\.5s elapsed, ETA 9\.0s$/, "b's 2 s, d's 4 s and e's 3 s")
    assert.deepStrictEqual(t.counts(), { total: 5, done: 1, cached: 2, running: 0, failed: 1, skipped: 1, cancelled: 0, toRun: 0 })
    assert.strictEqual(t.text(), "5 nodes: 1 done, 2 cached, 0 running, 1 failed, 1 skipped, 0 to run; 4.0s elapsed")
  })

  it("spreads the time left over the nodes run at once; nodes with no stored time make it a lower bound, or leave it out", () => {
    const t = makeTally(() => 0)
    t.apply(planned({ a: 4000, b: 4000 }, 2))
    assert.match(t.text(), /ETA >4\.0s$/, "8 s over 2 jobs, and 2 nodes with no stored time")
    const none = makeTally(() => 0)
    none.apply(planned({}))
    assert.match(none.text(), /elapsed$/)
  })

  it("weighs each node by its stage's cpu: three 2/3-core nodes of 84 s on 2 cores take 84 s, six take 168 s", () => {
    const shares = (n: number): RunEvent => {
      const ids = Array.from({ length: n }, (_, i) => `s${i}`)
      return {
        _tag: "Planned",
        pipeline: "p",
        toRun: n,
        cached: [],
        estimates: Object.fromEntries(ids.map((id) => [id, 84_000])),
        jobs: 2,
        cpu: Object.fromEntries(ids.map((id) => [id, 2 / 3]))
      }
    }
    const three = makeTally(() => 0)
    three.apply(shares(3))
    assert.match(three.text(), /ETA 1m24s$/)
    const six = makeTally(() => 0)
    six.apply(shares(6))
    assert.match(six.text(), /ETA 2m48s$/)
    const one = makeTally(() => 0)
    one.apply(shares(1))
    assert.match(one.text(), /ETA 1m24s$/, "one node alone takes its own time, whatever its share")
    // two of three finished: the last runs alone, for its own 84 s
    let now = 0
    const late = makeTally(() => now)
    late.apply(shares(3))
    for (const n of ["s0", "s1", "s2"]) late.apply({ _tag: "Started", node: n, stage: "s", reason: { _tag: "New" } })
    now = 84_000
    late.apply({ _tag: "Ran", node: "s0", durationMs: 84_000, reused: false })
    late.apply({ _tag: "Ran", node: "s1", durationMs: 84_000, reused: false })
    assert.match(late.text(), /1 running, 0 failed, 0 to run; 1m24s elapsed, ETA 0\.0s$/)
    now = 0
    const half = makeTally(() => now)
    half.apply(shares(3))
    for (const n of ["s0", "s1", "s2"]) half.apply({ _tag: "Started", node: n, stage: "s", reason: { _tag: "New" } })
    now = 42_000 // half-way through the last
    half.apply({ _tag: "Ran", node: "s0", durationMs: 42_000, reused: false })
    half.apply({ _tag: "Ran", node: "s1", durationMs: 42_000, reused: false })
    assert.match(half.text(), /ETA 42s$/, "the last node's 42 s left, not spread over more cores than it uses")
  })

  it("a node that counts for all of --jobs (the scheduler's cap) takes its own time; --jobs 0 is read as 1", () => {
    const t = makeTally(() => 0)
    t.apply({ _tag: "Planned", pipeline: "p", toRun: 1, cached: [], estimates: { big: 60_000 }, jobs: 2, cpu: { big: 2 } })
    assert.match(t.text(), /ETA 1m00s$/)
    const zero = makeTally(() => 0)
    zero.apply({ _tag: "Planned", pipeline: "p", toRun: 2, cached: [], estimates: { a: 1000, b: 1000 }, jobs: 0 })
    assert.match(zero.text(), /ETA 2\.0s$/)
  })

  it("the live view keeps the count as its last line", () => {
    const { written, stream } = fakeTerminal()
    const live = makeLive(stream)
    live.emit(planned({}))
    live.emit(start("a"))
    const last = written.at(-1)!.trimEnd().split("\n").at(-1)!
    assert.match(last, /^ {2}total {2}5 nodes: 0 done, 1 cached, 1 running, 0 failed, 3 to run; /)
    Effect.runSync(live.close)
  })
})
