/**
 * The on-disk layout of a store directory and the file operations every disk layer shares: where
 * objects, records, refs, failure logs, locks, run markers, run summaries, the record index and
 * temp files live, and the atomic write (temp file in `tmp/`, fsync, rename) that makes a file
 * appear whole or not at all. Nothing is created until something is written. Also the lockfile options, written once for
 * the key locks and the run markers.
 */
import { Effect } from "effect"
import { randomUUID } from "node:crypto"
import * as fsp from "node:fs/promises"
import { createRequire } from "node:module"
import { hostname } from "node:os"
import { dirname, join, sep } from "node:path"
import type * as Lockfile from "proper-lockfile"
import { StoreError } from "../Errors.ts"

/** The paths of a store rooted at `root`. */
export const layout = (root: string) => {
  // Built by concatenation (a plan makes thousands of these; keys and hashes are hex, never "..").
  const objectsDir = join(root, "objects")
  const recordsDir = join(root, "records")
  return {
    root,
    objectsDir,
    recordsDir,
    object: (hash: string) => `${objectsDir}${sep}${hash.slice(0, 2)}${sep}${hash}`,
    record: (key: string) => `${recordsDir}${sep}${key.slice(0, 2)}${sep}${key}.json`,
    refsDir: join(root, "refs"),
    ref: (pipeline: string, node: string) => join(root, "refs", encodeURIComponent(pipeline), encodeURIComponent(node)),
    failure: (pipeline: string, node: string) =>
      join(root, "failures", encodeURIComponent(pipeline), `${encodeURIComponent(node)}.log`),
    index: join(root, "index", "records.json"),
    tmpDir: join(root, "tmp"),
    locksDir: join(root, "locks"),
    runsDir: join(root, "runs"),
    historyDir: join(root, "history")
  }
}
export type Layout = ReturnType<typeof layout>

export const NO_THROW_IF_ABSENT = { throwIfNoEntry: false } as const

/** A file-system call on `path` as an effect that fails with the store's error. */
export const io = <A>(path: string, f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (e) => StoreError.fromCause(path, e) })

/** Writes `target` whole or not at all: a temp file under `tmpDir`, fsync, rename. */
export const writeAtomic = (tmpDir: string, target: string, data: Uint8Array | string) =>
  io(target, async () => {
    await fsp.mkdir(tmpDir, { recursive: true })
    await fsp.mkdir(dirname(target), { recursive: true })
    // The pid@host prefix lets the leftovers sweep tell a dead process's temp file from a live one's.
    const tmp = join(tmpDir, `${TEMP_PREFIX}-${randomUUID()}`)
    try {
      const fh = await fsp.open(tmp, "wx")
      try {
        await fh.writeFile(data)
        await fh.sync()
      } finally {
        await fh.close()
      }
      await fsp.rename(tmp, target)
    } catch (e) {
      await fsp.rm(tmp, { force: true }).catch(() => {})
      throw e
    }
  })

/** The names in a directory; none when it does not exist. */
export const listDir = (dir: string) =>
  io(dir, async () => {
    try {
      return await fsp.readdir(dir)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return []
      throw e
    }
  })

export const rm = (path: string) => io(path, () => fsp.rm(path, { force: true, recursive: true }))

// proper-lockfile loads on the first lock: a run with nothing to do takes no lock and skips its cost.
let lockfileModule: typeof Lockfile | undefined
export const lockfile = (): typeof Lockfile => (lockfileModule ??= createRequire(import.meta.url)("proper-lockfile") as typeof Lockfile)

/** Milliseconds after which a lock whose owner stopped refreshing it is taken over. */
export const LOCK_STALE_MS = Number(process.env.PIPELINE_LOCK_STALE_MS ?? 5000)

/**
 * The options of every lock the store takes (key locks and run markers). Losing a lock cannot
 * corrupt the store (commits are atomic and content-addressed): at worst another run computes the
 * same node too, so a compromised lock is ignored.
 */
export const lockOptions = {
  realpath: false,
  stale: LOCK_STALE_MS,
  update: Math.max(1000, Math.floor(LOCK_STALE_MS / 4)),
  onCompromised: () => {}
} as const

/**
 * One attempt at the lock of `target` (its directory `dir` made first): the release, or `undefined`
 * when a live holder has it. `Hold.withHold` polls this.
 */
export const tryLock = (dir: string, target: string) =>
  io(target, async () => {
    await fsp.mkdir(dir, { recursive: true })
    try {
      return await lockfile().lock(target, { ...lockOptions, retries: 0 })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ELOCKED") return undefined
      throw e
    }
  })

/** Releases a lock taken by `tryLock`; a lock already lost is no error. */
export const unlock = (release: () => Promise<void>) => Effect.promise(() => release().catch(() => {}))

/** Whether `target` is locked by a live holder (the options `check` takes). */
export const checkOptions = { realpath: false, stale: LOCK_STALE_MS } as const

// A host name never holds "@" or "-" here: a dotted name keeps its first label, as `hostname -s`.
const HOST = hostname().split(".")[0]!.replace(/[@-]/g, "_")
const TEMP_PREFIX = `${process.pid}@${HOST}`

/**
 * How long a temp file written from another host is kept after its last change: a pid means
 * nothing here, so only its age says its writer is gone (a live writer is never idle this long).
 */
export const TEMP_LEASE_MS = Number(process.env.PIPELINE_TEMP_LEASE_MS ?? 6 * 3600_000)

/**
 * Whether a temp file (named `pid@host-uuid`, or `pid-uuid` as older versions wrote it) is left
 * over from a dead writer: on this host, when its process is gone; from another host, when it has
 * not changed for `TEMP_LEASE_MS`. Names of any other shape are not ours to judge.
 */
export const tempLeftOver = (name: string, mtimeMs: number, now = Date.now()): boolean => {
  const owner = name.split("-")[0]!
  const [pidText, host] = owner.split("@")
  const pid = Number(pidText)
  if (!Number.isInteger(pid) || pid <= 0) return false
  if (host === undefined || host === HOST) return !processAlive(pid)
  return now - mtimeMs > TEMP_LEASE_MS
}

/** Whether a process is alive (ours always is; another user's answers EPERM). */
export const processAlive = (pid: number): boolean => {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}
