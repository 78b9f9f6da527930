/**
 * The pipelines this project ships; the CLI knows exactly these.
 */
import type { Pipeline } from "../src/Pipeline.ts"
import benchDag from "./bench-dag.ts"
import toy from "./toy.ts"
import toyBroken from "./toy-broken.ts"
import w2sChess from "./w2s-chess.ts"

export const pipelines: ReadonlyArray<Pipeline> = [w2sChess, toy, toyBroken, benchDag]
