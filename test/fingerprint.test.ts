import { assert, describe, it } from "@effect/vitest"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { computeFingerprint, importsOf } from "../src/Fingerprint.ts"

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
