// The real SlurmClient and the job watcher (src/slurm/Follow.ts) against fake Slurm commands on PATH:
// several followers of one job each get its end, and a follower whose callback throws ends alone, not
// the watcher; sbatch runs in a process group of its own (a Ctrl-C in the terminal cannot reach it)
// and gets the batch script on stdin; squeue's tags come back with the states.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { execFileSync } from "node:child_process"
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, join } from "node:path"
import { SlurmClient } from "../src/slurm/Client.ts"
import { makeWatcher } from "../src/slurm/Follow.ts"

const bin = mkdtempSync(join(tmpdir(), "w2s-fake-slurm-"))
const states = join(bin, "states")
// squeue -h -t all -j IDS -o '%i|%T|%r': prints the states file (one "id|STATE|reason" per line)
writeFileSync(join(bin, "squeue"), `#!/bin/sh\ncat "${states}"\n`)
chmodSync(join(bin, "squeue"), 0o755)
// a job that is over is asked for its exit code: these know nothing (no real cluster is queried)
for (const cmd of ["scontrol", "sacct"]) {
  writeFileSync(join(bin, cmd), "#!/bin/sh\nexit 1\n")
  chmodSync(join(bin, cmd), 0o755)
}
const setStates = (text: string) => writeFileSync(states, text)
// sbatch --parsable: answers "<its process group>;cluster", and keeps the script it was given
writeFileSync(join(bin, "sbatch"), `#!/bin/sh\ncat > "${bin}/script"\necho "$(ps -o pgid= -p $$ | tr -d ' ');cluster"\n`)
chmodSync(join(bin, "sbatch"), 0o755)

const withFakePath = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const path = process.env.PATH
      process.env.PATH = `${bin}${delimiter}${path}`
      return path
    }),
    () => effect,
    (path) => Effect.sync(() => void (process.env.PATH = path))
  )

describe("slurm job watcher", () => {
  it.live("two followers of one job both see it end; a throwing callback fails only its own follower", () =>
    Effect.scoped(Effect.gen(function*() {
      const path = process.env.PATH
      process.env.PATH = `${bin}${delimiter}${path}`
      yield* Effect.addFinalizer(() => Effect.sync(() => void (process.env.PATH = path)))
      setStates("7|RUNNING|None\n8|RUNNING|None\n")
      const watcher = yield* makeWatcher(20)
      const seen: Array<string> = []
      const a = yield* Effect.forkChild(watcher.follow("7", (s) => (seen.push(`a:${s?.state}`), false)))
      const b = yield* Effect.forkChild(watcher.follow("7", (s) => (seen.push(`b:${s?.state}`), false)))
      const c = yield* Effect.forkChild(watcher.follow("8", () => {
        throw new Error("a reporter bug")
      }))
      const d = yield* Effect.forkChild(watcher.follow("8", (s) => s?.state === "COMPLETED"))
      yield* Effect.sleep(200)
      assert.include(seen, "a:RUNNING")
      assert.include(seen, "b:RUNNING")
      setStates("7|COMPLETED|None\n8|COMPLETED|None\n")
      const ends = yield* Effect.all([a, b, c, d].map((f) => Fiber.await(f))).pipe(Effect.timeout(5000))
      const [ea, eb, ec, ed] = [ends[0]!, ends[1]!, ends[2]!, ends[3]!]
      assert.deepStrictEqual([ea, eb].map((e) => (Exit.isSuccess(e) ? e.value.state : "failed")), ["COMPLETED", "COMPLETED"])
      assert.isTrue(Exit.isFailure(ec), "the throwing follower ends with its defect")
      assert.isTrue(Exit.isSuccess(ed) && ed.value.state === "COMPLETED", "the other follower of that job still ends normally")
    }).pipe(Effect.provide(SlurmClient.layer))))

  it.live("sbatch runs detached, in a process group of its own, with the batch script on stdin; status carries each job's tag", () =>
    withFakePath(Effect.gen(function*() {
      const client = yield* SlurmClient
      const ours = execFileSync("ps", ["-o", "pgid=", "-p", String(process.pid)], { encoding: "utf8" }).trim()
      const id = yield* client.submit({ flags: ["--parsable"], cacheDir: "/c", jobFile: "/c/slurm/jobs/x.json", tag: "w2s:abc" })
      assert.notStrictEqual(id, ours, "sbatch ran in the driver's process group")
      assert.match(readFileSync(join(bin, "script"), "utf8"), /exec-node --cache-dir '\/c' '\/c\/slurm\/jobs\/x\.json'/)
      setStates("7|RUNNING|None|w2s:abc\n")
      const st = yield* client.status(["7"])
      assert.deepStrictEqual(st.get("7"), { state: "RUNNING", reason: "None", comment: "w2s:abc" })
    }).pipe(Effect.provide(SlurmClient.layer))))
})
