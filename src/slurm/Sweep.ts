/**
 * What of the Slurm executor `gc` and the CLI need without talking to Slurm: the sweep of its old
 * files, and whether a command is on PATH. Kept apart from `Client.ts` (which brings Effect's process
 * and stream modules) so that a local run, a plan or `gc` on a machine without Slurm loads none of it.
 */
import * as fs from "node:fs"
import { accessSync, constants } from "node:fs"
import { delimiter, join, resolve } from "node:path"
import { io } from "../store/Disk.ts"
import { readClaim, slurmLayout } from "./Jobs.ts"

/** Whether `name` is an executable file on PATH. */
export const onPath = (name: string): boolean =>
  (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || ".", name), constants.X_OK)
      return true
    } catch {
      return false
    }
  })

/**
 * Removes the executor's job files, results and logs last changed before `cutoff` (ms since epoch);
 * returns how many. A job file a claim still names stays, however old (its job may be pending for
 * days). Claims stay: a driver removes its own, one naming a job over is swept when read, and
 * `sweepClaims` (`Claims.ts`) removes stale ones where Slurm answers. `gc` calls this with its grace
 * period.
 */
export const sweepFiles = (cacheDir: string, cutoff: number) =>
  io(slurmLayout(cacheDir).dir, async () => {
    const { claimsDir, claim } = slurmLayout(cacheDir)
    // A claim's job file, and its job's log and result, stay while the claim does (a job may pend or
    // run quietly for longer than the grace period).
    const { log, result } = slurmLayout(cacheDir)
    const claimed = new Set((await fs.promises.readdir(claimsDir).catch(() => [] as Array<string>)).flatMap((n) => {
      const c = readClaim(claim(n))
      return c ? [c.jobFile, log(n, c.jobId), result(n, c.jobId)] : []
    }))
    let n = 0
    for (const sub of ["jobs", "results", "logs"]) {
      const dir = resolve(slurmLayout(cacheDir).dir, sub)
      const names = await fs.promises.readdir(dir).catch(() => [] as Array<string>)
      for (const name of names) {
        const path = resolve(dir, name)
        const st = await fs.promises.stat(path).catch(() => undefined)
        if (st && st.mtimeMs < cutoff && !claimed.has(path)) {
          await fs.promises.rm(path, { force: true })
          n++
        }
      }
    }
    return n
  })
