import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { codecsOf } from "../src/Artifact.ts"
import { computeFingerprint, importsOf, stageFingerprint } from "../src/Fingerprint.ts"
import { Artifact, Pipeline, Stage } from "../src/index.ts"
import { memoryStore, records, runPipeline } from "./helpers.ts"

describe("code fingerprints", () => {
  it("find static, side-effect and dynamic imports, but not type-only ones", () => {
    const src = [
      'import { a } from "./a.ts"',
      'import type { T } from "./types.ts"',
      'export * from "./re.ts"',
      'import "./side.ts"',
      "const tf = await import(\"@tensorflow/tfjs-core\")",
      '// import { no } from "./commented.ts"'
    ].join("\n")
    assert.deepStrictEqual([...importsOf(src)].sort(), ["./a.ts", "./re.ts", "./side.ts", "@tensorflow/tfjs-core"].sort())
  })

  it("change when the stage file, a module it imports, or an imported package's version changes", () => {
    const dir = mkdtempSync(join(tmpdir(), "w2s-fp-"))
    const write = (f: string, text: string) => writeFileSync(join(dir, f), text)
    mkdirSync(join(dir, "node_modules", "pkg"), { recursive: true })
    write("node_modules/pkg/package.json", '{"version":"1.0.0"}')
    write("stage.ts", 'import { h } from "./helper.ts"\nimport { p } from "pkg"\nexport const s = h + p')
    write("helper.ts", "export const h = 1")
    write("unrelated.ts", "export const u = 1")
    const fp0 = computeFingerprint(join(dir, "stage.ts"))
    write("unrelated.ts", "export const u = 2")
    assert.strictEqual(computeFingerprint(join(dir, "stage.ts")), fp0, "an unimported file does not count")
    write("helper.ts", "export const h = 2")
    const fp1 = computeFingerprint(join(dir, "stage.ts"))
    assert.notStrictEqual(fp1, fp0)
    write("node_modules/pkg/package.json", '{"version":"1.0.1"}')
    const fp2 = computeFingerprint(join(dir, "stage.ts"))
    assert.notStrictEqual(fp2, fp1)
    write("stage.ts", 'import { h } from "./helper.ts"\nimport { p } from "pkg"\nexport const s = h * p')
    assert.notStrictEqual(computeFingerprint(join(dir, "stage.ts")), fp2)
  })
})

describe("fingerprints in a run", () => {
  // Two stages whose `source` files live in a temporary folder; the first one's run edits the
  // second one's file, as a user editing code during a long run would.
  it.effect("a run keys every node by the code at its start, not by an edit made while it runs", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "w2s-fp-run-"))
      const aFile = join(dir, "a.ts")
      const bFile = join(dir, "b.ts")
      writeFileSync(aFile, "export const a = 1\n")
      writeFileSync(bFile, "export const b = 1\n")
      const tag = `fp-edit-${process.pid}-${Date.now()}`
      const Value = Artifact.json(`${tag}-value`, Schema.Struct({ n: Schema.Int }))
      const first = Stage.make({
        name: `${tag}-a`,
        version: 1,
        source: pathToFileURL(aFile).href,
        params: Schema.Struct({}),
        inputs: {},
        outputs: { value: Value },
        run: () =>
          Effect.sync(() => {
            writeFileSync(bFile, "export const b = 2\n")
            return { value: { n: 1 } }
          })
      })
      const second = Stage.make({
        name: `${tag}-b`,
        version: 1,
        source: pathToFileURL(bFile).href,
        params: Schema.Struct({}),
        inputs: { value: Value },
        outputs: { value: Value },
        run: ({ inputs }) => Effect.succeed({ value: { n: inputs.value.n + 1 } })
      })
      const pipeline = Pipeline.make({
        name: tag,
        description: "a stage that edits another stage's source while it runs",
        params: Schema.Struct({}),
        presets: { default: {} },
        defaultPreset: "default",
        build: () => [second({ id: "b", params: {}, inputs: { value: first({ id: "a", params: {}, inputs: {} }).outputs.value } })]
      })
      const { store } = memoryStore()
      const { summary } = yield* runPipeline(store, pipeline, [], { jobs: 1 })
      assert.strictEqual(readFileSync(bFile, "utf8"), "export const b = 2\n", "the first stage edited the second's source")
      const b = summary.nodes.find((n) => n.id === "b")!
      assert.strictEqual(b.outcome, "ran")
      const found = records(store).read(b.key!)
      assert.strictEqual(found._tag, "Present")
      // The stage fingerprint a fresh process would compute for each version of b.ts (a copy in a
      // folder of its own: fingerprints are memoised by path, and name files relative to the stage's).
      const fingerprintOf = (text: string) => {
        const copy = join(mkdtempSync(join(tmpdir(), "w2s-fp-copy-")), "b.ts")
        writeFileSync(copy, text)
        return stageFingerprint(pathToFileURL(copy).href, codecsOf([Value, Value]))
      }
      const before = fingerprintOf("export const b = 1\n")
      assert.notStrictEqual(before, fingerprintOf("export const b = 2\n"))
      assert.strictEqual(found._tag === "Present" ? found.record.fingerprint : undefined, before, "b is keyed by the code the run started with")
    }))
})
