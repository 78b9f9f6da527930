/**
 * The pipelines this project ships; the CLI knows exactly these.
 */
import type { Pipeline } from "../src/Pipeline.ts"
import benchDag from "./bench-dag.ts"
import toy from "./toy.ts"
import toyBroken from "./toy-broken.ts"

export const pipelines: ReadonlyArray<Pipeline> = [toy, toyBroken, benchDag]
