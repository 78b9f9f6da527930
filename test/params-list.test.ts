// `pipeline params`: every path it lists is one `--set` accepts, and a path it does not list is
// refused; types and descriptions come from the Schema (absent descriptions print as nothing).
// `plan` names the params that changed, old -> new.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result, Schema } from "effect"
import toy from "../pipelines/toy.ts"
import w2sChess from "../pipelines/w2s-chess.ts"
import { paramList } from "../src/ParamList.ts"
import { paramChanges, resolveParams } from "../src/Params.ts"
import type { Json } from "../src/Key.ts"
import type { Pipeline } from "../src/Pipeline.ts"
import { cli, FIXTURES, tempCache } from "./cli-helpers.ts"

const accepts = (p: Pipeline, preset: string, set: string) => Effect.result(resolveParams(p, preset, [set]))

describe("pipeline params", () => {
  for (const preset of ["smoke", "default"]) {
    it.effect(`w2s-chess (${preset}): each listed path is accepted by --set, an unlisted one refused`, () =>
      Effect.gen(function*() {
        const list = paramList(w2sChess.params, w2sChess.presets[preset] as Json)
        assert.isAbove(list.length, 40)
        for (const x of list) {
          const r = yield* accepts(w2sChess, preset, `${x.path}=${JSON.stringify(x.value)}`)
          assert.isTrue(Result.isSuccess(r), `${x.path}: ${Result.isFailure(r) ? (r.failure as Error).message : ""}`)
          assert.notStrictEqual(x.type, "")
        }
        const paths = new Set(list.map((x) => x.path))
        for (const unlisted of ["strong.epochs", "strong.training.nosuch", "nosuch"]) {
          assert.isFalse(paths.has(unlisted))
          const r = yield* accepts(w2sChess, preset, `${unlisted}=4`)
          assert.isTrue(Result.isFailure(r), unlisted)
          assert.match((r as Result.Failure<unknown, Error>).failure.message, new RegExp(`unknown param '${unlisted.replace(/\./g, "\\.")}'`))
        }
      }))
  }

  it("types, values and descriptions from the Schema; a param without a description has none", () => {
    const P = Schema.Struct({
      n: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).annotate({ description: "how many" }),
      mode: Schema.Literals(["a", "b"]),
      seeds: Schema.Array(Schema.Int),
      group: Schema.Struct({ x: Schema.Boolean }).annotate({ description: "a group" }),
      members: Schema.Array(Schema.Struct({ name: Schema.String }))
    })
    const list = paramList(P, { n: 3, mode: "a", seeds: [1], group: { x: true }, members: [{ name: "s0" }, { name: "s1" }] })
    assert.deepStrictEqual(list.map((x) => [x.path, x.type, x.value, x.description]), [
      ["n", "int (>= 0)", 3, "how many"],
      ["mode", `"a" | "b"`, "a", undefined],
      ["seeds", "list of int", [1], undefined],
      ["group", "{x}", { x: true }, "a group"],
      ["group.x", "boolean", true, undefined],
      ["members.0.name", "string", "s0", undefined],
      ["members.1.name", "string", "s1", undefined]
    ])
  })

  it("the CLI lists toy's params, as text and JSON, for a preset; bad input is exit 2", () => {
    const text = cli(["params", "toy", "--preset", "slow"])
    assert.strictEqual(text.code, 0, text.stderr)
    assert.match(text.stdout, /^toy \(preset slow\): 5 params/)
    assert.match(text.stdout, /^sleepMs\s+int \(>= 0\)\s+300\s*$/m)
    const json = JSON.parse(cli(["params", "w2s-chess", "--preset", "smoke", "--json"]).stdout) as Array<{ path: string; description: string | null }>
    assert.deepStrictEqual(json.map((x) => x.path), paramList(w2sChess.params, w2sChess.presets.smoke as Json).map((x) => x.path))
    assert.isTrue(json.every((x) => x.description === null || typeof x.description === "string"))
    assert.strictEqual(cli(["params", "toy", "--preset", "nosuch"]).code, 2)
    assert.strictEqual(cli(["params", "nosuch"]).code, 2)
  })

  it("plan names the changed params, old -> new, per node and against the preset", () => {
    assert.deepStrictEqual(paramChanges({ a: { b: 1, c: [1, 2] }, d: "x" }, { a: { b: 2, c: [1, 2] }, d: "x" }), ["a.b: 1 -> 2"])
    const cache = tempCache()
    assert.strictEqual(cli(["run", "toy", "--set", "n=20", "--cache-dir", cache], FIXTURES).code, 0)
    const plan = cli(["plan", "toy", "--set", "n=20", "--set", "clip=40", "--cache-dir", cache])
    assert.strictEqual(plan.code, 0, plan.stderr)
    assert.match(plan.stdout, /^run\s+clip\/1\s+params changed \(max: 90 -> 40\)$/m)
    assert.match(plan.stdout, /^params changed from preset default: n: 1000 -> 20, clip: 90 -> 40$/m)
    const json = JSON.parse(cli(["plan", "toy", "--set", "n=20", "--set", "clip=40", "--json", "--cache-dir", cache]).stdout) as { nodes: Array<{ id: string; reason: string }> }
    assert.strictEqual(json.nodes.find((n) => n.id === "clip/2")!.reason, "params changed (max: 90 -> 40)")
  })

  it("--help's --set example names a path that exists", () => {
    const help = cli(["run", "--help"]).stdout
    const example = /--set (\S+)=\S+/.exec(help.replace(/\s+/g, " "))![1]!
    const list = paramList(toy.params, toy.presets.default as Json).map((x) => x.path)
    assert.include(list, example)
  })
})
