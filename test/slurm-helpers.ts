// A real single-node Slurm cluster for the Slurm executor's tests (scripts/slurm-cluster.sh), and
// running the CLI against it without blocking, so a test can kill, cancel or interrupt mid-run.
import { execFileSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { onPath } from "../src/slurm/Sweep.ts"
import { type CliResult, FIXTURES, start } from "./cli-helpers.ts"

/** Why the Slurm tests cannot run here, or undefined when they can. */
export const slurmMissing = (): string | undefined => {
  const missing = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel"].filter((b) => !onPath(b))
  if (missing.length) return `Slurm is not installed (${missing.join(", ")} not on PATH; apt-get install slurm-wlm slurmctld slurmd munge slurm-client)`
  if (process.getuid?.() !== 0) return "the test cluster runs its daemons as root"
  return undefined
}

const SCRIPT = resolve("scripts/slurm-cluster.sh")

/** A started cluster: its directory and the environment every client command needs. */
export interface Cluster {
  readonly dir: string
  readonly env: Readonly<Record<string, string>>
  readonly stop: () => void
}

/** Starts a cluster in a new temp dir offering `cpus` CPUs (default four: toy jobs mostly sleep). */
export const startCluster = (cpus = 4): Cluster => {
  const dir = mkdtempSync(join(tmpdir(), "w2s-slurm-"))
  const conf = execFileSync(SCRIPT, ["start", dir], { encoding: "utf8", timeout: 60_000, env: { ...process.env, SLURM_CLUSTER_CPUS: String(cpus) } }).trim()
  return {
    dir,
    env: { ...FIXTURES, SLURM_CONF: conf },
    stop: () => void execFileSync(SCRIPT, ["stop", dir], { stdio: "ignore", timeout: 60_000 })
  }
}

/** A Slurm client command against the cluster; its stdout. */
export const slurm = (c: Cluster, cmd: string, args: ReadonlyArray<string>): string =>
  execFileSync(cmd, args, { encoding: "utf8", timeout: 30_000, env: { ...process.env, ...c.env } })

/** A CLI run in flight: its output so far, and its end. */
export interface Running {
  readonly pid: number
  readonly output: () => string
  readonly done: Promise<CliResult>
  readonly kill: (signal: NodeJS.Signals) => void
}

export const launch = (args: ReadonlyArray<string>, env: Readonly<Record<string, string>>): Running => {
  const child = start(args, { ...env })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (d) => (stdout += d))
  child.stderr.on("data", (d) => (stderr += d))
  const done = new Promise<CliResult>((ok) => child.on("close", (code) => ok({ code, stdout, stderr })))
  return { pid: child.pid!, output: () => stdout + stderr, done, kill: (s) => void child.kill(s) }
}

/** Waits until `test` holds (checked every 100 ms), failing after `ms`. */
export const until = async (what: string, test: () => boolean, ms = 30_000): Promise<void> => {
  const end = Date.now() + ms
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** The id of the job the driver's output says runs `node`, once it says so. */
export const runningJob = async (r: Running, node: string): Promise<string> => {
  const re = new RegExp(`slurm\\s+${node.replace(/\//g, "\\/")}\\s+job (\\d+) running`)
  await until(`${node}'s job to run`, () => re.test(r.output()))
  return re.exec(r.output())![1]!
}

/** The jobs' logs in a cache, by key prefix: how many jobs each key had and how often each committed. */
export const jobLogs = (cache: string): Map<string, { jobs: number; committed: number }> => {
  const out = new Map<string, { jobs: number; committed: number }>()
  let names: Array<string> = []
  try {
    names = readdirSync(join(cache, "slurm", "logs"))
  } catch {
    // no job ran
  }
  for (const name of names) {
    const key = name.split("-")[0]!
    const text = readFileSync(join(cache, "slurm", "logs", name), "utf8")
    const e = out.get(key) ?? { jobs: 0, committed: 0 }
    out.set(key, { jobs: e.jobs + 1, committed: e.committed + (text.match(/^\[exec-node\] committed$/gm)?.length ?? 0) })
  }
  return out
}

/** node id -> key, from a cache's refs (what each node last committed). */
export const refs = (cache: string, pipeline: string): Record<string, string> => {
  const dir = join(cache, "refs", encodeURIComponent(pipeline))
  return Object.fromEntries(readdirSync(dir).map((n) => [decodeURIComponent(n), readFileSync(join(dir, n), "utf8").trim()]))
}

/** The objects of a cache by name (their content hashes). */
export const objectNames = (cache: string): Array<string> =>
  readdirSync(join(cache, "objects")).flatMap((shard) => readdirSync(join(cache, "objects", shard))).sort()

/** node id -> output port -> object hash, for every node of a plan that a cache holds (all must be cached). */
export const outputsOf = (cache: string, planJson: string): Record<string, Record<string, string>> => {
  const plan = JSON.parse(planJson) as { nodes: Array<{ id: string; key: string | null; status: string }> }
  return Object.fromEntries(plan.nodes.map((n) => {
    if (n.status !== "cached" || !n.key) throw new Error(`${n.id} is not cached in ${cache}`)
    const text = readFileSync(join(cache, "records", n.key.slice(0, 2), `${n.key}.json`), "utf8")
    const record = JSON.parse(text.slice(text.indexOf("\n") + 1)) as { outputs: Record<string, { hash: string }> }
    return [n.id, Object.fromEntries(Object.entries(record.outputs).map(([p, o]) => [p, o.hash]))]
  }))
}
