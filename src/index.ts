/**
 * The engine's public surface for stage and pipeline authors.
 */
export * as Artifact from "./Artifact.ts"
export * as Pipeline from "./Pipeline.ts"
export * as Stage from "./Stage.ts"
