// Running the built CLI as a user would, in a temporary cache directory.
import { spawn, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

export const BIN = resolve("bin/pipeline.cjs")

export const tempCache = (label = "cache") => join(mkdtempSync(join(tmpdir(), "w2s-cli-")), label)

/** The environment under which the CLI also knows the test fixtures (`toy-broken`, `bench-dag`). */
export const FIXTURES: Readonly<Record<string, string>> = { PIPELINE_FIXTURES: "1" }

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `pipeline ...args` to completion. */
export const cli = (args: ReadonlyArray<string>, env: Readonly<Record<string, string>> = {}, timeoutMs = 120_000): CliResult => {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, CI: "1", ...env },
    timeout: timeoutMs
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Starts `pipeline ...args` without waiting. */
export const start = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CI: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] })

/** Every file under a directory with its content hash: a snapshot to prove a command left it untouched. */
export const snapshot = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    let names: Array<string>
    try {
      names = readdirSync(d)
    } catch {
      return
    }
    for (const n of names) {
      const p = join(d, n)
      if (statSync(p).isDirectory()) walk(p)
      else out[p.slice(dir.length)] = createHash("sha256").update(readFileSync(p)).digest("hex")
    }
  }
  walk(dir)
  return out
}
