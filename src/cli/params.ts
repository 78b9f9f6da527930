/**
 * `pipeline params <pipeline> [--preset P]`: every param path `--set` accepts, with its type, its
 * value in that preset (after any `--params`/`--set` given) and its description, so overrides can be
 * written without reading the pipeline's code. `--json` prints the list as one JSON array.
 */
import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { paramList } from "../ParamList.ts"
import { findPipeline, paramsFlag, presetFlag, readParamsFiles, setFlag } from "./App.ts"
import { resolveParams } from "../Params.ts"
import { columns } from "./format.ts"

const valueText = (v: unknown): string => {
  const text = JSON.stringify(v)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

export const params = Command.make(
  "params",
  {
    pipeline: Argument.String("pipeline"),
    preset: presetFlag,
    set: setFlag,
    params: paramsFlag,
    json: Flag.Boolean("json").pipe(Flag.withDescription("One JSON array on stdout: [{path, type, value, description}]"), Flag.withDefault(false))
  },
  Effect.fn(function*(a) {
    const p = yield* findPipeline(a.pipeline)
    const fromFiles = yield* readParamsFiles(a.params)
    const resolved = yield* resolveParams(p, a.preset._tag === "Some" ? a.preset.value : undefined, [...fromFiles, ...a.set])
    const list = paramList(p.params, resolved.encoded)
    if (a.json) return yield* Console.log(JSON.stringify(list.map((x) => ({ ...x, description: x.description ?? null }))))
    yield* Console.log(`${p.name} (preset ${resolved.preset}): ${list.length} params; set one with --set PATH=VALUE (JSON)\n`)
    yield* Console.log(columns([["PATH", "TYPE", "VALUE", "DESCRIPTION"], ...list.map((x) => [x.path, x.type, valueText(x.value), x.description ?? ""])]))
  })
).pipe(Command.withDescription("List the pipeline's params: path, type, value in the preset, description"))
