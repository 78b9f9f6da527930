/**
 * Running chess work with one engine process for the life of a stage, closed on success, failure
 * or interruption.
 */
import { Effect, Schema } from "effect"
import { nativeAvailable, type EngineKind, UciEngine } from "./uci.ts"

export const Engine = Schema.Literals(["wasm", "native"])

export const withEngine = <A>(kind: EngineKind, work: (engine: UciEngine, signal: AbortSignal) => Promise<A>) =>
  Effect.acquireUseRelease(
    Effect.tryPromise({
      try: async () => {
        if (kind === "native" && !nativeAvailable()) {
          throw new Error("engine 'native' asked for, but no native stockfish was found (on PATH, /usr/games, or $STOCKFISH_PATH); install one or use --set data.engine=wasm")
        }
        return UciEngine.open(kind)
      },
      catch: (e) => e
    }),
    (engine) => Effect.tryPromise({ try: (signal) => work(engine, signal), catch: (e) => e }),
    (engine) => Effect.promise(() => engine.close())
  )

export const checkAborted = (signal: AbortSignal) => {
  if (signal.aborted) throw new Error("interrupted")
}
