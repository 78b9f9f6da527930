/**
 * What every command needs: the pipelines this build knows, the root command's shared flags, and
 * the store they point at (`storeLayer`, which the commands that read or write the store are
 * provided with). `App` is provided once by `main`; tests provide their own.
 */
import { Config, Console, Context, Effect, Layer, type Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { resolve } from "node:path"
import { existsSync, readFileSync, type Stats, statSync } from "node:fs"
import { NotFound, UsageError } from "../Errors.ts"
import type { Pipeline } from "../Pipeline.ts"
import * as Pipe from "../Pipeline.ts"
import * as Rebuilder from "../Rebuilder.ts"
import * as Reporter from "../Reporter.ts"
import * as Runner from "../Runner.ts"
import * as Slurm from "../slurm/Executor.ts"
import { SlurmClient } from "../slurm/Client.ts"
import * as Store from "../Store.ts"
import * as Targets from "../Targets.ts"
import * as Workers from "../Workers.ts"

export class App extends Context.Service<App, {
  readonly pipelines: ReadonlyArray<Pipeline>
  /** The script worker threads start from (the CLI bundle); inline runs when absent. */
  readonly workerEntry: URL | undefined
  /** With pipelines from a user's files: absolute path -> the pipelines that file exports. */
  readonly files?: ReadonlyMap<string, ReadonlyArray<Pipeline>> | undefined
}>()("w2s/App") {}

/** `pipeline`: the root command and the flags every subcommand accepts. */
export const root = Command.make("pipeline").pipe(
  Command.withSharedFlags({
    cacheDir: Flag.String("cache-dir").pipe(
      Flag.withDescription("The store (default ./cache, or $PIPELINE_CACHE_DIR)"),
      Flag.withFallbackConfig(Config.String("PIPELINE_CACHE_DIR")),
      Flag.withDefault("cache")
    ),
    verbose: Flag.Boolean("verbose").pipe(Flag.withDescription("Stack traces with errors"), Flag.withDefault(false))
  }),
  Command.withDescription("Declarative, content-hashed ML experiment pipelines")
)

/** A pipeline argument that names a file (`./my-pipeline.ts`, `my.ts#name`) rather than a pipeline. */
const FILE_ARG = /^(.*\.[cm]?[jt]s)(?:#([^#/]+))?$/

/** The pipeline a file argument names: the file's only one, or the one after `#`. */
const fromFile = (app: App["Service"], arg: string, file: string, which: string | undefined) => {
  const path = resolve(file)
  const found = app.files?.get(path)
  if (found === undefined) {
    return Effect.fail(new UsageError({ message: `${file} was not loaded as a pipeline file (is it a file? run \`pipeline run ${file}\` from where the path is valid)` }))
  }
  if (found.length === 0) return Effect.fail(new UsageError({ message: `${file} exports no pipeline (export one made by Pipeline.make, as default or by name)` }))
  if (which !== undefined) {
    const p = found.find((x) => x.name === which)
    return p ? Effect.succeed(p) : Effect.fail(new NotFound({ what: `pipeline of ${file}`, name: which, known: found.map((x) => x.name) }))
  }
  if (found.length > 1) {
    return Effect.fail(new UsageError({ message: `${file} exports ${found.length} pipelines (${found.map((x) => x.name).join(", ")}): name one, e.g. ${arg}#${found[0]!.name}` }))
  }
  return Effect.succeed(found[0]!)
}

export const findPipeline = (name: string) =>
  Effect.gen(function*() {
    const app = yield* App
    const asFile = FILE_ARG.exec(name)
    if (asFile && app.files !== undefined) return yield* fromFile(app, name, asFile[1]!, asFile[2])
    if (asFile && !existsSync(asFile[1]!)) return yield* Effect.fail(new UsageError({ message: `no pipeline file ${asFile[1]} (no such file)` }))
    const p = app.pipelines.find((x) => x.name === name)
    if (!p) return yield* Effect.fail(new NotFound({ what: "pipeline", name, known: app.pipelines.map((x) => x.name) }))
    return p
  })

/**
 * The absolute store directory chosen by the shared flags. It need not exist yet (a run makes it),
 * but a path that is a file, or lies below one, is bad usage before anything reads or writes.
 */
export const cacheDir = Effect.flatMap(root, (r) => {
  const dir = resolve(r.cacheDir)
  let stat: Stats | undefined
  try {
    stat = statSync(dir)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === "ENOTDIR") return Effect.fail(new UsageError({ message: `--cache-dir ${r.cacheDir} is not a directory (a part of the path is a file)` }))
    if (code !== "ENOENT") return Effect.fail(new UsageError({ message: `--cache-dir ${r.cacheDir}: ${(e as Error).message}` }))
  }
  return stat && !stat.isDirectory()
    ? Effect.fail(new UsageError({ message: `--cache-dir ${r.cacheDir} is not a directory` }))
    : Effect.succeed(dir)
})

/** The disk store at the chosen cache directory, for the commands that use it. */
export const storeLayer = Layer.unwrap(Effect.map(cacheDir, Store.layerDisk))

/**
 * What running graphs needs besides the store: the rebuilder (the local one, or with `slurm` the
 * Slurm executor's), a runner (heavy stages in worker threads started from the CLI bundle, when
 * there is one) and the console reporter (also writing plain lines to `log` when given: the run's log).
 */
export const runLayer = (slurm?: Omit<Slurm.SlurmOptions, "cacheDir">, log?: (line: string) => void) => Effect.gen(function*() {
  const app = yield* App
  const rebuilder = slurm ? Slurm.layer({ ...slurm, cacheDir: yield* cacheDir }).pipe(Layer.provide(SlurmClient.layer)) : Rebuilder.Rebuilder.layer
  // PIPELINE_WORKER_MEMORY_MB caps each worker thread's heap: a stage that exceeds it fails alone.
  const heap = Number(process.env.PIPELINE_WORKER_MEMORY_MB ?? 0)
  const runner = app.workerEntry
    ? Workers.layer(app.workerEntry, heap > 0 ? { maxOldGenerationSizeMb: heap } : undefined)
    : Runner.layerInline
  return rebuilder.pipe(Layer.provideMerge(runner), Layer.provideMerge(log ? Reporter.layerConsoleAndLog(log) : Reporter.layerConsole))
})

// Flags shared by the commands that resolve a pipeline.
export const presetFlag = Flag.String("preset").pipe(Flag.withDescription("Preset of the pipeline's params"), Flag.optional)
export const setFlag = Flag.String("set").pipe(
  Flag.withDescription("Override a param: --set clip=40, --set strong.training.epochs=4 (JSON values; repeatable; `pipeline params` lists them)"),
  Flag.atLeast(0)
)

/** `[NODE-GLOB...]` of `run` and `plan`: only these nodes and what they need. */
export const targetsArg = Argument.String("node-glob").pipe(
  Argument.withDescription("Only nodes whose id matches (and what they need): 'puzzles/*', figure-pgr, 'train-weak/**'"),
  Argument.variadic()
)

export const paramsFlag = Flag.String("params").pipe(
  Flag.withDescription("A JSON file of param overrides, applied before --set (repeatable)"),
  Flag.atLeast(0)
)

/** The overrides of params files, as `--set` texts. */
export const readParamsFiles = (files: ReadonlyArray<string>) =>
  Effect.forEach(files, (file) =>
    Effect.gen(function*() {
      const text = yield* Effect.try({
        try: () => readFileSync(file, "utf8"),
        catch: (e) => new UsageError({ message: `cannot read params file ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String((e as Error).message ?? e)}` })
      })
      const json = yield* Effect.try({
        try: () => JSON.parse(text.replace(/^\uFEFF/, "")) as unknown,
        catch: (e) => new UsageError({ message: `params file ${file} is not JSON: ${(e as Error).message}` })
      })
      return yield* Effect.fromResult(Pipe.setsFromJson(json, `params file ${file}`))
    })).pipe(Effect.map((xs) => xs.flat()))

/**
 * Resolves a pipeline by name with preset, params files and overrides into a validated graph;
 * with `targets`, only the nodes they match and their upstream.
 */
export const resolveGraph = (
  name: string,
  preset: Option.Option<string>,
  sets: ReadonlyArray<string>,
  files: ReadonlyArray<string> = [],
  targets: ReadonlyArray<string> = []
) =>
  Effect.gen(function*() {
    const p = yield* findPipeline(name)
    const fromFiles = yield* readParamsFiles(files)
    const graph = yield* Pipe.graph(p, preset._tag === "Some" ? preset.value : undefined, [...fromFiles, ...sets])
    if (graph.unreturned?.length) {
      const ids = graph.unreturned.length > 8 ? [...graph.unreturned.slice(0, 8), "..."] : graph.unreturned
      yield* Console.error(
        `warning: pipeline ${graph.pipeline}: ${graph.unreturned.length} node${graph.unreturned.length > 1 ? "s were" : " was"} built but not returned from build, ` +
          `so ${graph.unreturned.length > 1 ? "they are" : "it is"} not part of the graph and never run${":"} ${ids.join(", ")} (return ${graph.unreturned.length > 1 ? "them" : "it"}, or any node downstream, from build)`
      )
    }
    return yield* Effect.fromResult(Targets.select(graph, targets))
  })
