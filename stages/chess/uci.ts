/**
 * A UCI chess engine in a child process: the npm `stockfish` package's lite single-threaded WASM build
 * (run by Node), or a native `stockfish` found on PATH. One process per caller; analyses are
 * deterministic for a fixed depth or node count because the engine runs one thread: its state (the
 * hash table) is cleared by `newGame()`, and what it holds in between depends only on the searches
 * made since, so a caller that calls `newGame()` at the start of every game gets the same analyses
 * for that game whichever process or shard plays it.
 */
import { readFileSync } from "node:fs"
import { spawn, spawnSync } from "node:child_process"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

export type EngineKind = "wasm" | "native"

/** A score from the side to move's point of view. */
export type Score = { readonly cp: number } | { readonly mate: number }

export interface Line {
  readonly move: string
  readonly score: Score
  readonly depth: number
}

export interface Limit {
  readonly depth?: number | undefined
  readonly nodes?: number | undefined
}

/**
 * Preloaded into the WASM engine's process: its output lines are written together once it yields
 * instead of one system call each (batch-stdout.cjs). The bytes the engine prints are the same.
 */
const batchStdout = (): string => fileURLToPath(new URL("./batch-stdout.cjs", import.meta.url))

/** Where the WASM engine's script is (inside node_modules/stockfish). */
export const wasmEnginePath = (): string => {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve("stockfish/package.json")), "bin", "stockfish-19-lite-single.js")
}

/** The native engine to try: $STOCKFISH_PATH, else `stockfish` on PATH, else Debian's /usr/games/stockfish. */
const nativeCandidates = (): ReadonlyArray<string> =>
  process.env.STOCKFISH_PATH ? [process.env.STOCKFISH_PATH] : ["stockfish", "/usr/games/stockfish"]

let nativeCommand: string | null | undefined

/** The command of a working native Stockfish, or undefined when there is none. */
export const nativeEngine = (): string | undefined => {
  if (nativeCommand === undefined) {
    nativeCommand = nativeCandidates().find((cmd) => {
      const r = spawnSync(cmd, [], { input: "uci\nquit\n", encoding: "utf8", timeout: 5000 })
      return r.status === 0 && /id name Stockfish/i.test(r.stdout)
    }) ?? null
  }
  return nativeCommand ?? undefined
}

export const nativeAvailable = (): boolean => nativeEngine() !== undefined

const parseInfo = (line: string): { multipv: number; line: Line } | undefined => {
  if (!line.startsWith("info ") || !line.includes(" pv ") || / (upper|lower)bound/.test(line)) return undefined
  const depth = /\bdepth (\d+)/.exec(line)
  const score = /\bscore (cp|mate) (-?\d+)/.exec(line)
  const pv = / pv (\S+)/.exec(line)
  if (!depth || !score || !pv) return undefined
  const multipv = Number(/\bmultipv (\d+)/.exec(line)?.[1] ?? 1)
  const value = Number(score[2])
  return {
    multipv,
    line: { move: pv[1]!, depth: Number(depth[1]), score: score[1] === "cp" ? { cp: value } : { mate: value } }
  }
}

export class UciEngine {
  private readonly waiters: Array<{ test: (l: string) => boolean; resolve: (l: string) => void }> = []
  private listener: ((l: string) => void) | undefined
  private multipv = 1
  private exited: Error | undefined
  id = "unknown"

  private constructor(private readonly child: ReturnType<typeof spawn>, readonly kind: EngineKind) {
    createInterface({ input: child.stdout! }).on("line", (l) => {
      this.listener?.(l)
      const i = this.waiters.findIndex((w) => w.test(l))
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(l)
    })
    child.on("exit", (code, signal) => {
      this.exited = new Error(`chess engine exited (${signal ?? `code ${code}`})`)
      for (const w of this.waiters.splice(0)) w.resolve("")
    })
    child.on("error", (e) => {
      this.exited = e
      for (const w of this.waiters.splice(0)) w.resolve("")
    })
  }

  /** Starts an engine and completes the UCI handshake. */
  static async open(kind: EngineKind): Promise<UciEngine> {
    const child = kind === "wasm"
      ? spawn(process.execPath, ["--require", batchStdout(), wasmEnginePath()], { stdio: ["pipe", "pipe", "ignore"] })
      : spawn(nativeEngine() ?? "stockfish", [], { stdio: ["pipe", "pipe", "ignore"] })
    const engine = new UciEngine(child, kind)
    const ids: Array<string> = []
    engine.listener = (l) => {
      if (l.startsWith("id name ")) ids.push(l.slice(8).trim())
    }
    engine.send("uci")
    await engine.until((l) => l === "uciok")
    engine.listener = undefined
    engine.id = ids[0] ?? kind
    engine.send("setoption name Threads value 1")
    engine.send("setoption name Hash value 16")
    return engine
  }

  private send(cmd: string) {
    if (this.exited) throw this.exited
    this.child.stdin!.write(cmd + "\n")
  }

  private until(test: (l: string) => boolean): Promise<string> {
    if (this.exited) return Promise.reject(this.exited)
    return new Promise<string>((resolve) => this.waiters.push({ test, resolve })).then((l) => {
      if (this.exited) throw this.exited
      return l
    })
  }

  /** Clears the engine's state (its hash table): the next search depends on nothing searched before. */
  async newGame(): Promise<void> {
    this.send("ucinewgame\nisready")
    await this.until((l) => l === "readyok")
  }

  /**
   * The best `multipv` lines for a position, best first, searched to the given limit. With
   * `fresh` (the default) the engine's state is cleared first; without it the search may reuse
   * what the hash table holds from this game's earlier searches (cheaper; see `newGame`).
   */
  async analyse(fen: string, limit: Limit, multipv: number, fresh = true): Promise<ReadonlyArray<Line>> {
    if (multipv !== this.multipv) {
      this.send(`setoption name MultiPV value ${multipv}`)
      this.multipv = multipv
    }
    if (fresh) await this.newGame()
    const lines = new Map<number, Line>()
    this.listener = (l) => {
      const info = parseInfo(l)
      if (info) lines.set(info.multipv, info.line)
    }
    // one write for both commands: a pipe write is a system call
    this.send(`position fen ${fen}\n${limit.depth !== undefined ? `go depth ${limit.depth}` : `go nodes ${limit.nodes ?? 1000}`}`)
    await this.until((l) => l.startsWith("bestmove"))
    this.listener = undefined
    return [...lines.entries()].sort((a, b) => a[0] - b[0]).map(([, line]) => line)
  }

  /** CPU seconds the engine process has used so far (Linux /proc; undefined elsewhere). */
  cpuSeconds(): number | undefined {
    return this.child.pid === undefined ? undefined : procCpuSeconds(this.child.pid)?.own
  }

  async close(): Promise<void> {
    if (this.exited) return
    const gone = new Promise<void>((r) => this.child.once("exit", () => r()))
    try {
      this.send("quit")
    } catch {
      // already gone
    }
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 2000)
    await gone
    clearTimeout(timer)
  }
}

/**
 * CPU seconds of a process from Linux /proc (in clock ticks of 100 per second, as /proc reports
 * them): its own (utime + stime) and its finished, waited-for children's (cutime + cstime).
 * Undefined where there is no /proc.
 */
export const procCpuSeconds = (pid: number | "self"): { own: number; children: number } | undefined => {
  try {
    // after the command name, state is field 3, so fields 14-17 are at indices 11-14
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ")
    return { own: (Number(f[11]) + Number(f[12])) / 100, children: (Number(f[13]) + Number(f[14])) / 100 }
  } catch {
    return undefined
  }
}

/** A score as centipawns for comparisons: a mate in n is worth 100000 - n (negative when being mated). */
export const value = (s: Score): number =>
  "cp" in s ? s.cp : s.mate > 0 ? 100_000 - s.mate : -100_000 - s.mate
