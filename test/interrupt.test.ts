// Ctrl-C is answered within a second or two even while this run waits for another process's node:
// the wait for a key's lock is interruptible (store/Hold.ts); the other process's work goes on.
import { assert, describe, it } from "vitest"
import { start, tempCache } from "./cli-helpers.ts"

/** Resolves when the child's output matches `re` (or rejects after `ms`). */
const until = (child: ReturnType<typeof start>, re: RegExp, ms: number) =>
  new Promise<void>((resolve, reject) => {
    let seen = ""
    const timer = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms; saw:\n${seen}`)), ms)
    const on = (d: Buffer) => {
      seen += d
      if (re.test(seen)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout.on("data", on)
    child.stderr.on("data", on)
  })

describe("interrupting a run that waits for another process", () => {
  it("a CLI run waiting on another process's lock exits 130 within 2 s of SIGINT; the holder finishes its node", async () => {
    const cache = tempCache()
    const args = ["run", "toy", "numbers/1", "--set", "sleepMs=4000", "--cache-dir", cache]
    const holder = start(args)
    let holderOut = ""
    holder.stdout.on("data", (d) => (holderOut += d))
    const holderExit = new Promise<number | null>((r) => holder.once("exit", r))
    await until(holder, /run\s+numbers\/1/, 30_000)
    const waiter = start(args)
    let waiterErr = ""
    waiter.stderr.on("data", (d) => (waiterErr += d))
    const waiterExit = new Promise<number | null>((r) => waiter.once("exit", r))
    await until(waiter, /waiting\s+numbers\/1\s+another run is computing it/, 30_000)
    const t0 = Date.now()
    waiter.kill("SIGINT")
    const code = await waiterExit
    const took = Date.now() - t0
    assert.strictEqual(code, 130, waiterErr)
    assert.isBelow(took, 2000, `exited ${took} ms after SIGINT`)
    assert.match(waiterErr, /interrupted/)
    // the holder was not disturbed: it computes and commits the node
    assert.strictEqual(await holderExit, 0, holderOut)
    assert.match(holderOut, /1 ran/)
  }, 60_000)
})
