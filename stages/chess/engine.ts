/**
 * Running chess work with engines for the life of a stage, closed on success, failure or
 * interruption.
 */
import { Effect, Schema } from "effect"
import { nativeAvailable, type EngineKind, UciEngine } from "./uci.ts"

/** The engine a data stage runs: part of its key, so caches made with different engines never mix. */
export const Engine = Schema.Literals(["wasm", "native"])

/** What a pipeline may ask for: `auto` is a native Stockfish when one is found, else WASM. */
export const EngineChoice = Schema.Literals(["auto", "wasm", "native"])

/** The engine `auto` stands for on this machine (looked for once per process). */
export const resolveEngine = (choice: typeof EngineChoice.Type): EngineKind => choice === "auto" ? (nativeAvailable() ? "native" : "wasm") : choice

/** Runs `work` with `count` engines of one kind (the puzzle generator plays with one and analyses with another). */
export const withEngines = <A>(kind: EngineKind, count: number, work: (engines: ReadonlyArray<UciEngine>, signal: AbortSignal) => Promise<A>) =>
  Effect.acquireUseRelease(
    Effect.tryPromise({
      try: async () => {
        if (kind === "native" && !nativeAvailable()) {
          throw new Error("engine 'native' asked for, but no native stockfish was found (on PATH, /usr/games, or $STOCKFISH_PATH); install one or use --set data.engine=wasm")
        }
        const opened = await Promise.allSettled(Array.from({ length: count }, () => UciEngine.open(kind)))
        const engines = opened.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []))
        const failed = opened.find((o) => o.status === "rejected")
        if (failed) {
          await Promise.all(engines.map((e) => e.close()))
          throw failed.reason
        }
        return engines
      },
      catch: (e) => e
    }),
    (engines) => Effect.tryPromise({ try: (signal) => work(engines, signal), catch: (e) => e }),
    (engines) => Effect.promise(() => Promise.all(engines.map((e) => e.close())))
  )

export const withEngine = <A>(kind: EngineKind, work: (engine: UciEngine, signal: AbortSignal) => Promise<A>) =>
  withEngines(kind, 1, (engines, signal) => work(engines[0]!, signal))

export const checkAborted = (signal: AbortSignal) => {
  if (signal.aborted) throw new Error("interrupted")
}
