/**
 * A UCI chess engine: the npm `stockfish` package's lite single-threaded WASM build, run in the
 * caller's thread, or a native `stockfish` found on PATH, in a child process. One engine per caller;
 * analyses are deterministic for a fixed depth or node count because the engine runs one thread: its
 * state (the hash table) is cleared by `newGame()`, and what it holds in between depends only on the
 * searches made since, so a caller that calls `newGame()` at the start of every game gets the same
 * analyses for that game whichever thread, process or shard plays it.
 */
import { readFileSync } from "node:fs"
import { spawn, spawnSync } from "node:child_process"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { createInterface } from "node:readline"

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

/** How UCI text reaches an engine and its lines come back. */
interface Link {
  /** Sends one or more commands, a line each. */
  readonly send: (text: string) => void
  readonly close: () => Promise<void>
  /** CPU seconds of the engine's own process; undefined when it runs in this process. */
  readonly cpuSeconds: () => number | undefined
}

/** What a link reports to its engine. */
interface LinkEvents {
  readonly line: (l: string) => void
  readonly failed: (e: Error) => void
}

/** A native engine in a child process, spoken to over its pipes. */
const processLink = (command: string, events: LinkEvents): Link => {
  const child = spawn(command, [], { stdio: ["pipe", "pipe", "ignore"] })
  let gone = false
  createInterface({ input: child.stdout! }).on("line", events.line)
  // a write to an engine that has died fails with EPIPE; its exit is reported below
  child.stdin!.on("error", () => {})
  child.on("exit", (code, signal) => {
    gone = true
    events.failed(new Error(`chess engine exited (${signal ?? `code ${code}`})`))
  })
  child.on("error", (e) => {
    gone = true
    events.failed(e)
  })
  return {
    send: (text) => {
      child.stdin!.write(text + "\n")
    },
    close: async () => {
      if (gone) return
      const exited = new Promise<void>((r) => child.once("exit", () => r()))
      try {
        child.stdin!.write("quit\n")
      } catch {
        // already gone
      }
      const timer = setTimeout(() => child.kill("SIGKILL"), 2000)
      await exited
      clearTimeout(timer)
    },
    cpuSeconds: () => (child.pid === undefined ? undefined : procCpuSeconds(child.pid)?.own)
  }
}

/** The Emscripten module of the WASM engine, as far as this file uses it. */
interface WasmModule {
  readonly ccall: (name: "command", returns: null, types: ["string"], args: [string], options: { async: boolean }) => unknown
}

let wasmScript: string | undefined

/**
 * A fresh instance of the WASM engine in this thread. The package's script is run as a CommonJS
 * module of its own each time (called a second time, its export gives no new factory), told that it
 * runs on a main thread (in a worker thread it would otherwise export nothing and wait for
 * messages), with no command-line arguments, and with a `quit` of its own, so that its exit (its
 * main() returning at start-up, or a failure later) throws without setting `process.exitCode`. What
 * its start-up changes in the thread is put back as soon as the call that starts it returns: the
 * handlers it installs on `process` (rethrowing uncaught errors and unhandled rejections, as its
 * command-line use wants) and the globals `fetch` (which it sets to null) and `XMLHttpRequest`
 * (which it defines). Errors, exit codes and globals are the caller's.
 */
const wasmInstance = async (line: (l: string) => void): Promise<WasmModule> => {
  const path = wasmEnginePath()
  wasmScript ??= readFileSync(path, "utf8")
  const requireReal = createRequire(path)
  const requireHere = (id: string) => (id === "worker_threads" ? { isMainThread: true } : requireReal(id))
  const cjs: { exports: unknown } = { exports: {} }
  new Function("module", "exports", "require", "__filename", "__dirname", wasmScript)(cjs, cjs.exports, requireHere, path, dirname(path))
  const make = cjs.exports as () => (module: object) => Promise<unknown>
  const wasm = path.replace(/\.js$/, ".wasm")
  const watched = ["uncaughtException", "unhandledRejection"]
  const emitter: NodeJS.EventEmitter = process
  const before = watched.map((event) => new Set(emitter.listeners(event)))
  const globals = globalThis as { fetch?: unknown; XMLHttpRequest?: unknown }
  const hadXhr = "XMLHttpRequest" in globals
  const { fetch, XMLHttpRequest } = globals
  const restore = () => {
    globals.fetch = fetch
    if (hadXhr) globals.XMLHttpRequest = XMLHttpRequest
    else delete globals.XMLHttpRequest
    watched.forEach((event, i) => {
      for (const l of emitter.listeners(event)) if (!before[i]!.has(l)) emitter.removeListener(event, l as (...args: Array<unknown>) => void)
    })
  }
  // the engine calls `onDoneSearching` after every search (its command-line wrapper runs queued
  // commands there); left undefined, each call would throw and be caught inside the engine
  const module = {
    locateFile: (file: string) => (file.includes(".wasm") ? wasm : path),
    listener: line,
    onDoneSearching: () => {},
    arguments: [],
    quit: (_status: number, toThrow: unknown) => {
      throw toThrow
    }
  }
  let ready: Promise<unknown>
  try {
    // the handlers are installed and the globals read while this call runs (the .wasm is loaded
    // from disk either way), so all of it is put back as soon as it returns
    ready = make()(module)
  } finally {
    restore()
  }
  await ready
  return module as unknown as WasmModule
}

/**
 * The WASM engine in this thread: each command is a call into it, made after the one before has
 * finished (a search may yield to the event loop and end later), and its lines come back as calls.
 * No process, pipe or text framing between the caller and the engine: what the engine computes and
 * prints is the same as in its own process.
 */
const wasmLink = async (events: LinkEvents): Promise<Link> => {
  const module = await wasmInstance((l) => events.line(l))
  let queue: Promise<unknown> = Promise.resolve()
  let closed = false
  return {
    send: (text) => {
      for (const command of text.split("\n")) {
        queue = queue.then(() => {
          if (closed) return
          return module.ccall("command", null, ["string"], [command], { async: /^go\b/.test(command) })
        }).catch((e: unknown) => {
          closed = true
          // an exit inside the engine throws its ExitStatus, an object with a message but no Error
          events.failed(e instanceof Error ? e : new Error(`chess engine stopped: ${(e as { message?: unknown } | undefined)?.message ?? String(e)}`))
        })
      }
    },
    close: async () => {
      closed = true
      // a search under way ends on its own (depth and node limits are short); waited for at most 2 s
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([queue, new Promise<void>((r) => (timer = setTimeout(r, 2000)))])
      clearTimeout(timer)
      events.failed(new Error("chess engine closed"))
    },
    cpuSeconds: () => undefined
  }
}

export class UciEngine {
  private readonly waiters: Array<{ test: (l: string) => boolean; resolve: (l: string) => void }> = []
  private listener: ((l: string) => void) | undefined
  private multipv = 1
  private exited: Error | undefined
  private link: Link | undefined
  id = "unknown"

  private constructor(readonly kind: EngineKind) {}

  private readonly events: LinkEvents = {
    line: (l) => {
      this.listener?.(l)
      const i = this.waiters.findIndex((w) => w.test(l))
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(l)
    },
    failed: (e) => {
      this.exited = e
      for (const w of this.waiters.splice(0)) w.resolve("")
    }
  }

  /** Starts an engine and completes the UCI handshake. */
  static async open(kind: EngineKind): Promise<UciEngine> {
    const engine = new UciEngine(kind)
    engine.link = kind === "wasm" ? await wasmLink(engine.events) : processLink(nativeEngine() ?? "stockfish", engine.events)
    const ids: Array<string> = []
    engine.listener = (l) => {
      if (l.startsWith("id name ")) ids.push(l.slice(8).trim())
    }
    await engine.request("uci", (l) => l === "uciok")
    engine.listener = undefined
    engine.id = ids[0] ?? kind
    engine.send("setoption name Threads value 1\nsetoption name Hash value 16")
    return engine
  }

  private send(cmd: string) {
    if (this.exited) throw this.exited
    this.link!.send(cmd)
  }

  /** Sends `cmd` and waits for the first line that passes `test` (listening from before it is sent). */
  private request(cmd: string, test: (l: string) => boolean): Promise<string> {
    if (this.exited) return Promise.reject(this.exited)
    const answer = new Promise<string>((resolve) => this.waiters.push({ test, resolve })).then((l) => {
      if (this.exited) throw this.exited
      return l
    })
    this.link!.send(cmd)
    return answer
  }

  /** Clears the engine's state (its hash table): the next search depends on nothing searched before. */
  async newGame(): Promise<void> {
    await this.request("ucinewgame\nisready", (l) => l === "readyok")
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
    // one write for both commands (to a native engine, a pipe write is a system call)
    await this.request(`position fen ${fen}\n${limit.depth !== undefined ? `go depth ${limit.depth}` : `go nodes ${limit.nodes ?? 1000}`}`, (l) => l.startsWith("bestmove"))
    this.listener = undefined
    return [...lines.entries()].sort((a, b) => a[0] - b[0]).map(([, line]) => line)
  }

  /** CPU seconds the engine's own process has used so far (Linux /proc); undefined for the WASM engine, which runs in this process, and elsewhere. */
  cpuSeconds(): number | undefined {
    return this.link?.cpuSeconds()
  }

  async close(): Promise<void> {
    if (this.exited || !this.link) return
    await this.link.close()
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
