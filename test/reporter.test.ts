// The console reporter: the live view's redraw timer is stopped however the run ends, and the
// minimum log level (`--log-level`) decides which events are shown.
import { afterEach, assert, describe, it, vi } from "@effect/vitest"
import { Effect, Exit, Fiber, References } from "effect"
import { layerConsole, layerLive, levelOf, Reporter, type RunEvent } from "../src/Reporter.ts"
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
