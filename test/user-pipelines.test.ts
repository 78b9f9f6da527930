// Pipelines from a user's own files, through this checkout's CLI: a file anywhere (it imports
// "w2s-pipeline" and effect without installing them: the CLI resolves both to its own), `#name` for
// a file of several pipelines, nodes built but not returned warned about, a syntax error named by
// file:line. The packed-and-installed path is test/authoring.test.ts.
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Pipeline from "../src/Pipeline.ts"
import { pipelinesOf } from "../src/cli/userPipelines.ts"
import * as Toy from "../stages/toy/index.ts"
import toy from "../pipelines/toy.ts"
import { cli } from "./cli-helpers.ts"

const dir = mkdtempSync(join(tmpdir(), "w2s-user-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const source = (name: string, extra = "") => `
import { Effect, Schema } from "effect"
import { Artifact, Pipeline, Stage } from "w2s-pipeline"

const Rows = Artifact.json("Rows", Schema.Array(Schema.Number))
export const make = Stage.make({
  name: "user-make-${name}",
  version: 1,
  source: import.meta.url,
  params: Schema.Struct({ n: Schema.Int }),
  inputs: {},
  outputs: { rows: Rows },
  run: ({ params }) => Effect.succeed({ rows: Array.from({ length: params.n }, (_, i) => i) })
})
export const total = Stage.make({
  name: "user-total-${name}",
  version: 1,
  source: import.meta.url,
  heavy: true,
  params: Schema.Struct({}),
  inputs: { rows: Rows },
  outputs: { total: Rows },
  run: ({ inputs }) => Effect.succeed({ total: [inputs.rows.reduce((a, b) => a + b, 0)] })
})
export const ${name.replace(/-/g, "_")} = Pipeline.make({
  name: "${name}",
  description: "a user's pipeline",
  params: Schema.Struct({ n: Schema.Int.annotate({ description: "how many" }) }),
  presets: { default: { n: 4 } },
  defaultPreset: "default",
  build: (p) => {
    ${extra}
    const rows = make({ id: "make", params: { n: p.n } })
    return total({ id: "total", params: {}, inputs: { rows: rows.outputs.rows } })
  }
})
`

describe("user pipeline files", () => {
  it("a file outside any project runs, heavy stage in a worker; a second run is cached", () => {
    const file = join(dir, "one.ts")
    writeFileSync(file, source("one"))
    const cache = join(dir, "cache-one")
    const first = cli(["run", file, "--cache-dir", cache])
    assert.strictEqual(first.code, 0, first.stderr)
    assert.match(first.stdout, /one \(preset default\): 2 ran, 0 cached/)
    const again = cli(["run", file, "--cache-dir", cache])
    assert.match(again.stdout, /0 ran, 2 cached/)
    const params = cli(["params", file])
    assert.match(params.stdout, /^n\s+int\s+4\s+how many$/m)
    const dag = cli(["dag", file])
    // dag's text: each node with its status, then its inputs
    assert.match(dag.stdout, /total {2}\[user-total-one\][^\n]*\n {4}rows <- make\.rows/)
  })

  it("a file of several pipelines: #name picks one; without it, exit 2 naming them", () => {
    const file = join(dir, "two.ts")
    writeFileSync(file, `${source("alpha")}\nexport const beta = Pipeline.make({ ...alpha, name: "beta" })\n`)
    const both = cli(["plan", file])
    assert.strictEqual(both.code, 2)
    assert.match(both.stderr, /exports 2 pipelines \(alpha, beta\): name one, e\.g\. .*two\.ts#alpha/)
    const beta = cli(["plan", `${file}#beta`, "--cache-dir", join(dir, "cache-two")])
    assert.strictEqual(beta.code, 0, beta.stderr)
    assert.match(beta.stdout, /beta \(preset default\): 2 to run/)
    assert.strictEqual(cli(["plan", `${file}#gamma`]).code, 2)
  })

  it("nodes built but not returned are warned about, by id; a syntax error is file:line, exit 2", () => {
    const file = join(dir, "dropped.ts")
    writeFileSync(file, source("dropped", `make({ id: "forgotten", params: { n: 99 } })`))
    const r = cli(["plan", file, "--cache-dir", join(dir, "cache-dropped")])
    assert.strictEqual(r.code, 0, r.stderr)
    assert.match(r.stderr, /^warning: pipeline dropped: 1 node was built but not returned from build, .*: forgotten /m)
    const bad = join(dir, "bad.ts")
    const lines = source("bad").split("\n")
    const at = lines.findIndex((l) => l.includes("description: \"a user's pipeline\""))
    lines[at] = "  description: 'unclosed,"
    writeFileSync(bad, lines.join("\n"))
    const b = cli(["run", bad])
    assert.strictEqual(b.code, 2)
    assert.match(b.stderr, new RegExp(`^error: .*bad\\.ts:${at + 1}:\\d+: `))
    assert.strictEqual(cli(["run", join(dir, "nosuch.ts")]).code, 2)
  })

  it.effect("the graph lists unreturned nodes; copies of graph nodes and upstream nodes are not", () =>
    Effect.gen(function*() {
      const g = yield* Pipeline.graph(toy, undefined, ["n=5"])
      assert.isUndefined(g.unreturned)
      const leaky = Pipeline.make({
        ...toy,
        name: "leaky",
        build: (p) => {
          Toy.numbers({ id: "numbers/1", params: { n: p.n, seed: 1, sleepMs: 0 } }) // a copy of a returned node
          Toy.numbers({ id: "lost", params: { n: 1, seed: 9, sleepMs: 0 } })
          return toy.build(p)
        }
      })
      const h = yield* Pipeline.graph(leaky, undefined, ["n=5"])
      assert.deepStrictEqual(h.unreturned, ["lost"])
    }))

  it("pipelinesOf takes a default export, a list, named exports; two of one name is an error", () => {
    const a = { ...toy, name: "a" }
    const b = { ...toy, name: "b" }
    const r = pipelinesOf([{ file: "/x/one.ts", module: { default: [a, b], other: 3 } }, { file: "/x/two.ts", module: { c: { ...toy, name: "c" } } }])
    assert.deepStrictEqual(r.pipelines.map((p) => p.name), ["a", "b", "c"])
    assert.deepStrictEqual(r.files.get("/x/one.ts")!.map((p) => p.name), ["a", "b"])
    assert.throws(() => pipelinesOf([{ file: "/x/one.ts", module: { default: a } }, { file: "/x/two.ts", module: { default: { ...toy, name: "a" } } }]), /two pipelines are named 'a'/)
  })
})
