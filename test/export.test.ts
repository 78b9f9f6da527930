import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { parquetMetadata, parquetReadObjects } from "hyparquet"
import { AllColumns } from "./fixtures.ts"
import * as Export from "../src/Export.ts"

const T = AllColumns
const rows = [
  { s: "e2e4", f: 0.25, i: 3, b: true, l: ["a", "b"], n: null },
  { s: "d7d5, \"quoted\"", f: -1.5, i: -7, b: false, l: [], n: 2.5 }
]

describe("export", () => {
  it.effect("Parquet written for a table reads back with an independent reader (hyparquet), lists and nulls included", () =>
    Effect.gen(function*() {
      const bytes = yield* Export.parquet(T, rows)
      const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
      assert.strictEqual(Number(parquetMetadata(buf).num_rows), 2)
      const back = yield* Effect.promise(() => parquetReadObjects({ file: buf }))
      assert.deepStrictEqual(back, rows)
    }))

  it.effect("CSV quotes what needs quoting; JSON and text tables hold every row", () =>
    Effect.gen(function*() {
      const csv = (yield* Export.render("t", T, rows, "csv")) as string
      assert.strictEqual(csv.split("\n")[2], '"d7d5, ""quoted""",-1.5,-7,false,[],2.5')
      assert.deepStrictEqual(JSON.parse((yield* Export.render("t", T, rows, "json")) as string), rows)
      assert.match((yield* Export.render("t", T, rows, "table")) as string, /e2e4.*0\.25/)
      const bad = yield* Effect.exit(Export.render("t", T, rows, "png"))
      assert.strictEqual(bad._tag, "Failure")
    }))
})
