/**
 * The engine's public surface for stage and pipeline authors (`import { Stage, Pipeline } from
 * "w2s-pipeline"`): stages and their ports (`Stage`, `Artifact`), pipelines (`Pipeline`), params
 * listing (`ParamList`), running in process on a store of your choosing (`Local`, `Store`), and the
 * pieces a program that plans or schedules by itself needs (`Planner`, `Scheduler`, `Errors`).
 * See docs/authoring.md.
 */
export * as Artifact from "./Artifact.ts"
export * as Errors from "./Errors.ts"
export * as Local from "./Local.ts"
export * as ParamList from "./ParamList.ts"
export * as Pipeline from "./Pipeline.ts"
export * as Planner from "./Planner.ts"
export * as Scheduler from "./Scheduler.ts"
export * as Stage from "./Stage.ts"
export * as Store from "./Store.ts"
