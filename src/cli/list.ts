/** `pipeline list`: the pipelines this build knows, with their presets. */
import { Console, Effect } from "effect"
import { Command } from "effect/cli"
import { App } from "./App.ts"
import { columns } from "./format.ts"

export const list = Command.make("list", {}, () =>
  Effect.gen(function*() {
    const app = yield* App
    yield* Console.log(columns(app.pipelines.map((p) => [
      p.name,
      Object.keys(p.presets).map((n) => (n === p.defaultPreset ? `${n}*` : n)).join(","),
      p.description
    ])))
  })).pipe(Command.withDescription("List pipelines and their presets (* = default)"))
