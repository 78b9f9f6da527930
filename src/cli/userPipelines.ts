/**
 * Pipelines from a user's own files (`pipeline run ./my-pipeline.ts`, or a project's `pipelines.ts` or
 * `pipelines/` folder found from the working directory): the CLI bundles those files with the engine
 * (scripts/user-pipelines.cjs) and hands their modules here. A module contributes its default export
 * when it is a pipeline or a list of them, and every named export that is a pipeline.
 */
import type { Pipeline } from "../Pipeline.ts"

/** One loaded user module: its absolute path and its exports. */
export interface UserModule {
  readonly file: string
  readonly module: Readonly<Record<string, unknown>>
}

/** The pipelines of a set of user modules, and which file defined each. */
export interface UserPipelines {
  readonly pipelines: ReadonlyArray<Pipeline>
  /** absolute path -> the pipelines that file exports */
  readonly files: ReadonlyMap<string, ReadonlyArray<Pipeline>>
}

/** Whether a value is a pipeline made by `Pipeline.make` (by its shape: bundles may hold copies of nothing else). */
export const isPipeline = (x: unknown): x is Pipeline =>
  typeof x === "object" && x !== null &&
  typeof (x as Pipeline).name === "string" && typeof (x as Pipeline).build === "function" &&
  typeof (x as Pipeline).presets === "object" && typeof (x as Pipeline).defaultPreset === "string"

export const pipelinesOf = (modules: ReadonlyArray<UserModule>): UserPipelines => {
  const files = new Map<string, ReadonlyArray<Pipeline>>()
  const byName = new Map<string, { readonly pipeline: Pipeline; readonly file: string }>()
  for (const { file, module } of modules) {
    const found: Array<Pipeline> = []
    const add = (x: unknown) => {
      if (isPipeline(x) && !found.includes(x)) found.push(x)
    }
    const d = module.default
    if (Array.isArray(d)) d.forEach(add)
    else add(d)
    for (const [k, v] of Object.entries(module)) if (k !== "default") add(v)
    files.set(file, found)
    for (const p of found) {
      const prior = byName.get(p.name)
      if (prior && prior.pipeline !== p) throw new Error(`two pipelines are named '${p.name}' (in ${prior.file} and ${file})`)
      byName.set(p.name, { pipeline: p, file })
    }
  }
  return { pipelines: [...byName.values()].map((x) => x.pipeline), files }
}
