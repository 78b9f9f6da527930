/**
 * The CLI entry: composes the commands, provides the services, and maps the outcome to the exit
 * codes of the contract (0 ok, 1 a stage or the store failed, 2 bad usage or an invalid pipeline,
 * 130 interrupted). Errors print as one line naming the problem; `--verbose` adds the stack.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Cause, Console, Effect, Exit, Layer } from "effect"
import { CliError, CliOutput, Command } from "effect/cli"
import { exitCode, messageOf } from "../Errors.ts"
import type { Pipeline } from "../Pipeline.ts"
import { App, root } from "./App.ts"
import { dag } from "./dag.ts"
import { execNode, TERMINATED } from "./execNode.ts"
import * as Runner from "../Runner.ts"
import * as Store from "../Store.ts"
import * as Workers from "../Workers.ts"
import { exportCmd, results } from "./exporting.ts"
import { gc } from "./gc.ts"
import { list } from "./list.ts"
import { params } from "./params.ts"
import { plan } from "./plan.ts"
import { run } from "./run.ts"
import { report } from "./report.ts"
import { runs } from "./runs.ts"
import { diff } from "./diff.ts"
import { show } from "./show.ts"
import { verify } from "./verify.ts"

export const command = root.pipe(Command.withSubcommands([list, run, plan, params, dag, show, results, report, runs, diff, exportCmd, verify, gc]))

/**
 * effect/cli's presenter, except that a command line it cannot parse gets one line per error and a
 * pointer to `--help` instead of the whole help page above the error.
 */
const presenter: CliOutput.Presenter = {
  present: (event) =>
    event._tag === "InvalidInvocation"
      ? Console.error(event.errors.map((e) => `error: ${oneLine(e)} (see ${event.commandPath.join(" ")} --help)`).join("\n"))
      : CliOutput.defaultPresenter.present(event)
}

/** A parse error's message on one line; "did you mean" suggestions keep their place at its end. */
const oneLine = (e: { readonly _tag: string; readonly message: string }): string => {
  const suggestions = "suggestions" in e ? (e.suggestions as ReadonlyArray<string>) : []
  const first = e.message.split("\n")[0]!.trim()
  return suggestions.length ? `${first}; did you mean ${suggestions.join(" or ")}?` : first
}

/** Prints a failure the way a user should see it and returns the exit code. */
export const reportFailure = (cause: Cause.Cause<unknown>, verbose: boolean): number => {
  if (Cause.hasInterruptsOnly(cause)) {
    process.stderr.write("interrupted: nodes in flight were cancelled; everything committed is kept\n")
    return 130
  }
  const err = Cause.squash(cause)
  // effect/cli has printed the help, and the parse errors if there were any.
  if (CliError.isCliError(err) && err._tag === "ShowHelp") return err.errors.length > 0 ? 2 : 0
  // a command line it could not parse: effect/cli has printed it with the help hint
  if (CliError.isCliError(err) && err._tag !== "UserError") return 2
  process.stderr.write(`error: ${messageOf(err)}\n`)
  if (verbose) process.stderr.write(`${Cause.pretty(cause)}\n`)
  return exitCode(err)
}

export const main = (
  pipelines: ReadonlyArray<Pipeline>,
  options: { readonly version: string; readonly workerEntry?: URL; readonly files?: ReadonlyMap<string, ReadonlyArray<Pipeline>> }
) => {
  // The one command a Slurm job runs; not for users, so not in the help (see execNode.ts).
  // Under the runtime's main, so SIGTERM (scancel, a time limit) interrupts it and its finalizers run.
  if (process.argv[2] === "exec-node") {
    // As a local run does: PIPELINE_WORKER_MEMORY_MB caps each worker thread's heap.
    const heap = Number(process.env.PIPELINE_WORKER_MEMORY_MB ?? 0)
    const runner = options.workerEntry ? Workers.layer(options.workerEntry, heap > 0 ? { maxOldGenerationSizeMb: heap } : undefined) : Runner.layerInline
    const program = execNode(process.argv.slice(3), (cacheDir) => runner.pipe(Layer.provideMerge(Store.layerDisk(cacheDir))))
    NodeRuntime.runMain(program, {
      disableErrorReporting: true,
      teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) ? Number(exit.value) : Cause.hasInterruptsOnly(exit.cause) ? TERMINATED : 1)
    })
    return
  }
  const verbose = process.argv.includes("--verbose")
  const program = Command.run(command, { version: options.version }).pipe(
    Effect.provideService(App, { pipelines, workerEntry: options.workerEntry, files: options.files }),
    Effect.provide(CliOutput.layerPresenter(presenter)),
    Effect.provide(NodeServices.layer)
  )
  NodeRuntime.runMain(program, {
    disableErrorReporting: true,
    // Exits as soon as the program is done instead of waiting for the event loop to wind down (about
    // 15 ms of a no-op run): nothing is left running by then (workers are terminated by their scope).
    // Output still in flight (pipes are asynchronous on some systems) is waited for.
    teardown: (exit, onExit) => {
      const code = Exit.isSuccess(exit) ? Number(process.exitCode ?? 0) : reportFailure(exit.cause, verbose)
      if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit(code)
      onExit(code)
    }
  })
}
